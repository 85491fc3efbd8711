import type { Snowflake } from '@together/shared';

type SinkContext = AudioContext & { setSinkId?: (id: string) => Promise<void> };

interface Listener {
  track: MediaStreamTrack;
  element: HTMLAudioElement;
  gain: GainNode | null;
}

/**
 * Plays every remote participant through Web Audio: one GainNode per user (0–200 %, which
 * `audio.volume` cannot do above 100 %) into a master gain that deafen sets to 0.
 *
 * Each remote track is also attached to a muted `<audio>` element: Chromium only pulls (decodes)
 * a WebRTC track that plays in a media element, and Web Audio alone would get silence
 * (crbug.com/933677). Without Web Audio the element itself plays, capped at 100 %.
 */
export class Playback {
  private readonly ctx: SinkContext | null;
  private readonly master: GainNode | null;
  private readonly listeners = new Map<Snowflake, Listener>();
  private deafened = false;
  private sinkId = '';

  constructor(private readonly volumeOf: (userId: Snowflake) => number) {
    const Ctx = globalThis.AudioContext;
    this.ctx = Ctx ? (new Ctx() as SinkContext) : null;
    this.master = this.ctx ? this.ctx.createGain() : null;
    if (this.ctx && this.master) this.master.connect(this.ctx.destination);
  }

  get context(): AudioContext | null {
    return this.ctx;
  }

  /** Browsers start an AudioContext suspended until a user gesture; joining is one. */
  resume() {
    if (this.ctx?.state === 'suspended') void this.ctx.resume().catch(() => undefined);
  }

  static get canChooseOutput(): boolean {
    const Ctx = globalThis.AudioContext as unknown as { prototype?: { setSinkId?: unknown } } | undefined;
    return !!Ctx?.prototype?.setSinkId;
  }

  attach(userId: Snowflake, track: MediaStreamTrack) {
    const old = this.listeners.get(userId);
    if (old?.track === track) return;
    if (old) this.detach(userId);
    const stream = new MediaStream([track]);
    const element = document.createElement('audio');
    element.autoplay = true;
    element.srcObject = stream;
    element.dataset.userId = userId;
    let gain: GainNode | null = null;
    if (this.ctx && this.master) {
      element.muted = true;
      gain = this.ctx.createGain();
      this.ctx.createMediaStreamSource(stream).connect(gain);
      gain.connect(this.master);
    } else if (this.sinkId) {
      void (element as HTMLAudioElement & { setSinkId?: (id: string) => Promise<void> }).setSinkId?.(this.sinkId).catch(() => undefined);
    }
    element.hidden = true;
    document.body.append(element);
    void element.play().catch(() => undefined);
    this.listeners.set(userId, { track, element, gain });
    this.applyVolume(userId);
  }

  detach(userId: Snowflake) {
    const l = this.listeners.get(userId);
    if (!l) return;
    this.listeners.delete(userId);
    l.gain?.disconnect();
    l.element.srcObject = null;
    l.element.remove();
  }

  /** Users whose audio is attached now. */
  attached(): Snowflake[] {
    return [...this.listeners.keys()];
  }

  applyVolume(userId: Snowflake) {
    const l = this.listeners.get(userId);
    if (!l) return;
    const v = this.volumeOf(userId) / 100;
    if (l.gain) l.gain.gain.value = v;
    else {
      l.element.volume = Math.min(1, v);
      l.element.muted = this.deafened || v === 0;
    }
  }

  applyAllVolumes() {
    for (const id of this.listeners.keys()) this.applyVolume(id);
  }

  setDeafened(deafened: boolean) {
    this.deafened = deafened;
    if (this.master) this.master.gain.value = deafened ? 0 : 1;
    else this.applyAllVolumes();
  }

  async setOutput(deviceId: string) {
    this.sinkId = deviceId;
    if (this.ctx?.setSinkId) {
      await this.ctx.setSinkId(deviceId);
      return;
    }
    for (const l of this.listeners.values()) {
      await (l.element as HTMLAudioElement & { setSinkId?: (id: string) => Promise<void> }).setSinkId?.(deviceId);
    }
  }

  close() {
    for (const id of [...this.listeners.keys()]) this.detach(id);
    void this.ctx?.close().catch(() => undefined);
  }
}

/**
 * "Am I speaking?" from the microphone's level, for my own speaking ring without waiting for the
 * server's VOICE_SPEAKING: RMS over the analyser window above about -45 dBFS, held for 300 ms.
 */
export class LevelMeter {
  private readonly analyser: AnalyserNode;
  private readonly source: MediaStreamAudioSourceNode;
  private readonly buffer: Float32Array<ArrayBuffer>;
  private lastLoud = 0;

  constructor(ctx: AudioContext, track: MediaStreamTrack) {
    this.source = ctx.createMediaStreamSource(new MediaStream([track]));
    this.analyser = ctx.createAnalyser();
    this.analyser.fftSize = 1024;
    this.buffer = new Float32Array(this.analyser.fftSize);
    this.source.connect(this.analyser);
  }

  speaking(now: number): boolean {
    this.analyser.getFloatTimeDomainData(this.buffer);
    let sum = 0;
    for (const x of this.buffer) sum += x * x;
    const rms = Math.sqrt(sum / this.buffer.length);
    if (rms > 0.0056) this.lastLoud = now;
    return now - this.lastLoud < 300;
  }

  close() {
    this.source.disconnect();
  }
}
