import { Op, type Snowflake, type VoiceOffer, type VoiceState } from '@together/shared';
import { VoiceConnection } from './connection';
import { TransmitGate } from './ptt';
import { quality, sampleStats, type Quality, type StatsSample } from './quality';
import { OfferTracker } from './sdp';
import type { VoicePrefs, VoiceSettings } from './settings';

export type VoiceStatus = 'idle' | 'acquiring' | 'connecting' | 'connected' | 'reconnecting' | 'failed';

export type VoiceErrorKind = 'permission' | 'no-device' | 'device' | 'unsupported' | 'connection' | 'timeout' | 'elsewhere' | 'removed';

export interface VoiceError {
  kind: VoiceErrorKind;
  message: string;
  /** Where Retry goes back to (connection failures). */
  retry?: { guildId: Snowflake; channelId: Snowflake };
}

export interface VoiceSnapshot {
  status: VoiceStatus;
  guildId: Snowflake | null;
  channelId: Snowflake | null;
  error: VoiceError | null;
  quality: Quality | null;
  selfMute: boolean;
  selfDeaf: boolean;
  /** The microphone track is enabled (not muted, and the push-to-talk key is held if that mode is on). */
  transmitting: boolean;
  /** My own level, measured locally, above the speaking threshold while transmitting. */
  localSpeaking: boolean;
}

/** What the controller needs from the browser and the session; tests pass fakes. */
export interface VoiceEnv {
  send: (op: number, d: unknown) => void;
  selfId: () => Snowflake | null;
  gatewaySessionId: () => string | null;
  /** The gateway is connected (READY or RESUMED): signalling can flow. */
  gatewayReady: () => boolean;
  getUserMedia: (constraints: MediaStreamConstraints) => Promise<MediaStream>;
  connect: (offer: VoiceOffer, mic: MediaStreamTrack | null, on: ConstructorParameters<typeof VoiceConnection>[2]) => Pick<VoiceConnection, 'answer' | 'replaceMic' | 'getStats' | 'close'>;
  playback: () => PlaybackLike;
  /** Where push-to-talk keys are heard (window). */
  keys?: Pick<Window, 'addEventListener' | 'removeEventListener'>;
  now?: () => number;
  setTimeout?: typeof setTimeout;
  clearTimeout?: typeof clearTimeout;
  setInterval?: typeof setInterval;
  clearInterval?: typeof clearInterval;
}

export interface PlaybackLike {
  attach(userId: Snowflake, track: MediaStreamTrack): void;
  detach(userId: Snowflake): void;
  applyVolume(userId: Snowflake): void;
  setDeafened(deafened: boolean): void;
  setOutput(deviceId: string): Promise<void>;
  resume(): void;
  close(): void;
  meter?(track: MediaStreamTrack): { speaking(now: number): boolean; close(): void } | null;
}

/** How long a connection may take from the first offer to ICE+DTLS connected. */
export const CONNECT_TIMEOUT_MS = 15_000;
/** How long ICE may stay `disconnected` before we call it failed. */
export const DISCONNECTED_GRACE_MS = 10_000;
const STATS_EVERY_MS = 2000;

const IN_VOICE: ReadonlySet<VoiceStatus> = new Set(['connecting', 'connected', 'reconnecting']);

/**
 * The voice session of this tab: one channel at a time across all guilds, as on Discord. Drives
 * op 4 (join, move, leave, self mute/deafen), answers VOICE_OFFERs through a `VoiceConnection`,
 * keeps the microphone and playback, and exposes an immutable snapshot for React.
 */
export class VoiceController {
  private snap: VoiceSnapshot;
  private readonly listeners = new Set<() => void>();
  private readonly tracker = new OfferTracker();
  private readonly gate: TransmitGate;
  private conn: ReturnType<VoiceEnv['connect']> | null = null;
  private playback: PlaybackLike | null = null;
  private mic: MediaStream | null = null;
  private meter: ReturnType<NonNullable<PlaybackLike['meter']>> | null = null;
  private chain: Promise<void> = Promise.resolve();
  private attempt = 0;
  private timeout: ReturnType<typeof setTimeout> | null = null;
  private statsTimer: ReturnType<typeof setInterval> | null = null;
  private lastSample: StatsSample | null = null;
  private keysBound = false;
  /** The call broke while the gateway was down too: rejoin once the gateway is back. */
  private awaitingGateway = false;

  constructor(private readonly env: VoiceEnv, readonly prefs: VoicePrefs) {
    const s = prefs.settings;
    this.gate = new TransmitGate(s.inputMode, s.pushToTalkKey, s.selfMute || s.selfDeaf, s.selfDeaf);
    this.snap = {
      status: 'idle', guildId: null, channelId: null, error: null, quality: null,
      selfMute: s.selfMute, selfDeaf: s.selfDeaf, transmitting: false, localSpeaking: false,
    };
  }

  get snapshot(): VoiceSnapshot {
    return this.snap;
  }

  subscribe = (l: () => void) => {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  };

  getSnapshot = () => this.snap;

  private set(patch: Partial<VoiceSnapshot>) {
    this.snap = { ...this.snap, ...patch };
    for (const l of [...this.listeners]) l();
  }

  /** Join (or move to) a voice channel. The microphone comes first: without it nothing is sent. */
  async join(guildId: Snowflake, channelId: Snowflake) {
    if (this.snap.channelId === channelId && IN_VOICE.has(this.snap.status)) return;
    const attempt = ++this.attempt;
    // Discord's one-call-at-a-time rule: leaving another guild's channel first.
    if (this.snap.guildId && this.snap.guildId !== guildId && IN_VOICE.has(this.snap.status)) this.teardown(true);
    // Created inside the click that asked to join, so the browser lets it play.
    this.playback ??= this.env.playback();
    this.playback.resume();
    if (!this.mic) {
      this.set({ status: 'acquiring', error: null, guildId, channelId });
      let mic: MediaStream;
      try {
        mic = await this.getMic(this.prefs.settings);
      } catch (e) {
        if (attempt !== this.attempt) return;
        // Nothing was sent yet: no half-joined state for others to see.
        this.playback?.close();
        this.playback = null;
        this.set({ status: 'idle', guildId: null, channelId: null, error: micError(e) });
        return;
      }
      if (attempt !== this.attempt || this.mic) {
        // A later click (or Disconnect) overtook this one while the browser asked for the mic.
        mic.getTracks().forEach((t) => t.stop());
        if (attempt !== this.attempt) return;
      } else {
        this.useMic(mic);
      }
    }
    const moving = IN_VOICE.has(this.snap.status) && this.snap.guildId === guildId;
    this.set({ status: moving ? this.snap.status : 'connecting', error: null, guildId, channelId });
    if (!moving) this.tracker.reset();
    this.applyGate();
    this.bindKeys();
    this.sendState();
    this.armTimeout();
  }

  /** Leave the voice channel (the Disconnect button). */
  leave() {
    this.attempt++;
    if (!this.snap.guildId) {
      if (this.snap.error) this.set({ error: null, status: 'idle' });
      return;
    }
    this.teardown(IN_VOICE.has(this.snap.status));
    this.set({ status: 'idle', guildId: null, channelId: null, error: null, quality: null, localSpeaking: false });
  }

  retry() {
    const target = this.snap.error?.retry;
    this.set({ error: null });
    if (target) void this.join(target.guildId, target.channelId);
  }

  dismissError() {
    this.set({ error: null, status: this.snap.status === 'failed' ? 'idle' : this.snap.status });
  }

  setMute(muted: boolean) {
    // Unmuting while deafened undeafens too, as on Discord.
    const deaf = muted ? this.snap.selfDeaf : false;
    this.prefs.update({ selfMute: muted, selfDeaf: deaf });
    this.set({ selfMute: muted, selfDeaf: deaf });
    this.applySelfState();
  }

  setDeaf(deafened: boolean) {
    this.prefs.update({ selfDeaf: deafened });
    this.set({ selfDeaf: deafened });
    this.applySelfState();
  }

  /** The user's settings changed: devices, constraints, input mode. */
  async applySettings(before: VoiceSettings, after: VoiceSettings) {
    if (this.gate.configure(after.inputMode, after.pushToTalkKey)) this.applyGate();
    this.bindKeys();
    if (after.outputDeviceId !== before.outputDeviceId && this.playback) {
      await this.playback.setOutput(after.outputDeviceId).catch(() => undefined);
    }
    const micChanged = after.inputDeviceId !== before.inputDeviceId || after.noiseSuppression !== before.noiseSuppression
      || after.echoCancellation !== before.echoCancellation;
    if (micChanged && this.mic) await this.reacquireMic(after);
  }

  /**
   * Stop the old capture first: while one track of a device is open, Chromium gives a new one
   * the same audio processing, so toggling noise suppression or echo cancellation would silently
   * not apply. Then swap the new track in place (no renegotiation).
   */
  private async reacquireMic(settings: VoiceSettings) {
    this.releaseMic();
    let next: MediaStream;
    try {
      next = await this.getMic(settings);
    } catch (e) {
      await this.conn?.replaceMic(null);
      this.set({ error: micError(e) });
      return;
    }
    if (!IN_VOICE.has(this.snap.status) || this.mic) {
      next.getTracks().forEach((t) => t.stop()); // left the call (or another swap won) meanwhile
      return;
    }
    this.useMic(next);
    await this.conn?.replaceMic(this.micTrack());
    this.applyGate();
  }

  volumeChanged(userId: Snowflake) {
    this.playback?.applyVolume(userId);
  }

  /** Signalling and my own voice state, from the session's dispatch stream. */
  onDispatch(t: string, d: unknown) {
    if (t === 'VOICE_OFFER') this.onOffer(d as VoiceOffer);
    else if (t === 'VOICE_STATE_UPDATE') this.onVoiceState(d as VoiceState & { guild_id: Snowflake });
  }

  /**
   * READY after the gateway lost its session: the server ended our voice state with it, so join
   * again on the new session. A resume keeps the voice state and needs nothing, unless the media
   * connection broke meanwhile.
   */
  onReady(reidentified: boolean) {
    if (!IN_VOICE.has(this.snap.status) || !this.snap.guildId) return;
    if (reidentified) this.rejoin(false);
    else if (this.awaitingGateway) this.rejoin(true);
  }

  onResumed() {
    if (this.awaitingGateway && IN_VOICE.has(this.snap.status) && this.snap.guildId) this.rejoin(true);
  }

  private rejoin(sameSession: boolean) {
    this.awaitingGateway = false;
    this.closeConnection();
    this.tracker.reset();
    this.set({ status: 'reconnecting', quality: null });
    // On the same gateway session the server treats a join to the channel it already has as a
    // mute/deafen update and offers nothing: leave first so the join makes a fresh server peer.
    if (sameSession) this.env.send(Op.VoiceStateUpdate, { guild_id: this.snap.guildId, channel_id: null, self_mute: this.snap.selfMute || this.snap.selfDeaf, self_deaf: this.snap.selfDeaf });
    this.sendState();
    this.armTimeout();
  }

  /** Logout or closing the session. */
  dispose() {
    this.leave();
    this.releaseMic();
    this.playback?.close();
    this.playback = null;
  }

  private onOffer(offer: VoiceOffer) {
    if (offer.guild_id !== this.snap.guildId || !IN_VOICE.has(this.snap.status)) return;
    const attempt = this.attempt;
    this.chain = this.chain
      .then(() => (attempt === this.attempt ? this.handleOffer(offer) : undefined))
      .catch((e) => {
        if (attempt === this.attempt) this.fail('connection', `Could not set up the voice connection: ${e instanceof Error ? e.message : String(e)}`);
      });
  }

  private async handleOffer(offer: VoiceOffer) {
    if (offer.guild_id !== this.snap.guildId) return;
    const decision = this.tracker.decide(offer);
    if (decision === 'stale') return;
    if (offer.channel_id !== this.snap.channelId) this.set({ channelId: offer.channel_id });
    if (decision === 'new-connection' || !this.conn) {
      this.closeConnection();
      if (this.snap.status === 'connected') this.set({ status: 'connecting' });
      this.armTimeout();
      const conn = this.env.connect(offer, this.micTrack(), {
        state: (s) => this.conn === conn && this.onConnectionState(s),
        track: (userId, track) => this.conn === conn && this.playback?.attach(userId, track),
        gone: (userId) => this.playback?.detach(userId),
      });
      this.conn = conn;
    }
    const sdp = await this.conn.answer(offer);
    if (offer.guild_id !== this.snap.guildId) return;
    this.env.send(Op.VoiceAnswer, { guild_id: offer.guild_id, sdp });
  }

  private onConnectionState(s: RTCPeerConnectionState) {
    if (s === 'connected') {
      this.clearTimeout();
      this.set({ status: 'connected', error: null });
      this.startStats();
    } else if (s === 'disconnected') {
      // ICE may come back on its own (consent checks resume); give it a while.
      this.set({ status: 'reconnecting' });
      this.armTimeout(DISCONNECTED_GRACE_MS);
    } else if (s === 'failed') {
      this.fail('connection', 'The voice connection failed (no route to the voice server, or it stopped answering).');
    }
  }

  private onVoiceState(v: VoiceState & { guild_id: Snowflake }) {
    if (v.user_id !== this.env.selfId() || v.guild_id !== this.snap.guildId || !IN_VOICE.has(this.snap.status)) return;
    const mine = v.session_id === this.env.gatewaySessionId();
    if (!mine && v.channel_id) {
      // The same account joined voice from another tab or device: the server moved the call there.
      this.attempt++;
      this.teardown(false);
      this.set({ status: 'idle', guildId: null, channelId: null, quality: null, error: { kind: 'elsewhere', message: 'You joined voice somewhere else, so this tab left the call.' } });
    } else if (mine && !v.channel_id) {
      // Someone with Move Members disconnected us (or we were removed from the server).
      this.attempt++;
      this.teardown(false);
      this.set({ status: 'idle', guildId: null, channelId: null, quality: null, error: { kind: 'removed', message: 'You were disconnected from voice.' } });
    } else if (mine && v.channel_id !== this.snap.channelId) {
      this.set({ channelId: v.channel_id }); // moved by a moderator; the new offer follows
    }
  }

  private fail(kind: VoiceErrorKind, message: string) {
    if (!this.env.gatewayReady() && this.snap.guildId && this.snap.channelId) {
      // Signalling is down as well (network loss): nothing can be fixed until the gateway is
      // back, and then we rejoin by ourselves (onReady/onResumed).
      this.awaitingGateway = true;
      this.clearTimeout();
      this.stopStats();
      this.closeConnection();
      this.tracker.reset();
      this.set({ status: 'reconnecting', quality: null, localSpeaking: false });
      return;
    }
    const retry = this.snap.guildId && this.snap.channelId ? { guildId: this.snap.guildId, channelId: this.snap.channelId } : undefined;
    this.attempt++;
    // Leave on the server too, so nobody sees a ghost that cannot hear them.
    this.teardown(true);
    this.set({ status: 'failed', guildId: null, channelId: null, quality: null, localSpeaking: false, error: { kind, message, retry } });
  }

  private teardown(sendLeave: boolean) {
    this.awaitingGateway = false;
    if (sendLeave && this.snap.guildId) {
      this.env.send(Op.VoiceStateUpdate, { guild_id: this.snap.guildId, channel_id: null, self_mute: this.snap.selfMute || this.snap.selfDeaf, self_deaf: this.snap.selfDeaf });
    }
    this.clearTimeout();
    this.stopStats();
    this.closeConnection();
    this.tracker.reset();
    this.unbindKeys();
    // The microphone indicator should go off when not in a call, and an idle AudioContext
    // still runs its render thread: both are made again by the next join (a click).
    this.releaseMic();
    this.playback?.close();
    this.playback = null;
  }

  private closeConnection() {
    this.conn?.close();
    this.conn = null;
    this.lastSample = null;
  }

  private releaseMic() {
    this.meter?.close();
    this.meter = null;
    this.mic?.getTracks().forEach((t) => t.stop());
    this.mic = null;
    if (this.snap.transmitting || this.snap.localSpeaking) this.set({ transmitting: false, localSpeaking: false });
  }

  private useMic(stream: MediaStream) {
    this.mic = stream;
    this.startMeter();
    // The device went away (unplugged, or revoked in the browser's site settings): fall back to
    // the default microphone rather than carrying on silently.
    stream.getAudioTracks()[0]?.addEventListener?.('ended', () => {
      if (this.mic !== stream || !IN_VOICE.has(this.snap.status)) return;
      void this.reacquireMic({ ...this.prefs.settings, inputDeviceId: '' });
    });
  }

  /** The chosen microphone, or the default one when the chosen one is not there any more. */
  private async getMic(settings: VoiceSettings): Promise<MediaStream> {
    try {
      return await this.env.getUserMedia({ audio: this.constraints(settings), video: false });
    } catch (e) {
      const name = (e as { name?: string } | null)?.name;
      if (!settings.inputDeviceId || (name !== 'OverconstrainedError' && name !== 'NotFoundError')) throw e;
      return this.env.getUserMedia({ audio: this.constraints({ ...settings, inputDeviceId: '' }), video: false });
    }
  }

  private micTrack(): MediaStreamTrack | null {
    return this.mic?.getAudioTracks()[0] ?? null;
  }

  private constraints(s: VoiceSettings): MediaTrackConstraints {
    return {
      deviceId: s.inputDeviceId ? { exact: s.inputDeviceId } : undefined,
      noiseSuppression: s.noiseSuppression,
      echoCancellation: s.echoCancellation,
      autoGainControl: true,
    };
  }

  private sendState() {
    if (!this.snap.guildId) return;
    this.env.send(Op.VoiceStateUpdate, {
      guild_id: this.snap.guildId, channel_id: this.snap.channelId, self_mute: this.snap.selfMute || this.snap.selfDeaf, self_deaf: this.snap.selfDeaf,
    });
  }

  private applySelfState() {
    this.gate.setMuted(this.snap.selfMute || this.snap.selfDeaf, this.snap.selfDeaf);
    this.applyGate();
    this.playback?.setDeafened(this.snap.selfDeaf);
    if (IN_VOICE.has(this.snap.status)) this.sendState();
  }

  private applyGate() {
    const on = this.gate.transmitting && !!this.mic;
    const track = this.micTrack();
    if (track) track.enabled = on;
    this.playback?.setDeafened(this.snap.selfDeaf);
    if (this.snap.transmitting !== on) this.set({ transmitting: on, localSpeaking: on && this.snap.localSpeaking });
  }

  private readonly onKeyDown = (e: Event) => {
    const k = e as KeyboardEvent;
    if (this.gate.keyDown(k.code, k.repeat)) this.applyGate();
  };
  private readonly onKeyUp = (e: Event) => {
    if (this.gate.keyUp((e as KeyboardEvent).code)) this.applyGate();
  };
  private readonly onBlur = () => {
    if (this.gate.blur()) this.applyGate();
  };

  private bindKeys() {
    const want = this.prefs.settings.inputMode === 'push-to-talk' && !!this.mic;
    if (want === this.keysBound || !this.env.keys) return;
    const k = this.env.keys;
    if (want) {
      k.addEventListener('keydown', this.onKeyDown);
      k.addEventListener('keyup', this.onKeyUp);
      k.addEventListener('blur', this.onBlur);
    } else {
      k.removeEventListener('keydown', this.onKeyDown);
      k.removeEventListener('keyup', this.onKeyUp);
      k.removeEventListener('blur', this.onBlur);
    }
    this.keysBound = want;
  }

  private unbindKeys() {
    if (!this.keysBound || !this.env.keys) return;
    this.env.keys.removeEventListener('keydown', this.onKeyDown);
    this.env.keys.removeEventListener('keyup', this.onKeyUp);
    this.env.keys.removeEventListener('blur', this.onBlur);
    this.keysBound = false;
    this.gate.blur();
  }

  private startMeter() {
    this.meter?.close();
    const track = this.micTrack();
    this.meter = track ? (this.playback?.meter?.(track) ?? null) : null;
  }

  private armTimeout(ms = CONNECT_TIMEOUT_MS) {
    this.clearTimeout();
    const attempt = this.attempt;
    this.timeout = (this.env.setTimeout ?? setTimeout)(() => {
      this.timeout = null;
      if (attempt !== this.attempt || this.snap.status === 'connected') return;
      this.fail('timeout', this.snap.status === 'reconnecting'
        ? 'Lost the voice connection and could not get it back.'
        : 'Could not connect to voice: the voice server did not answer in time. You may lack permission to connect, the channel may be full, or UDP to the server is blocked.');
    }, ms);
  }

  private clearTimeout() {
    if (this.timeout) (this.env.clearTimeout ?? clearTimeout)(this.timeout);
    this.timeout = null;
  }

  private startStats() {
    if (this.statsTimer) return;
    const tick = async () => {
      const conn = this.conn;
      const now = (this.env.now ?? Date.now)();
      if (this.meter) {
        const speaking = this.snap.transmitting && this.meter.speaking(now);
        if (speaking !== this.snap.localSpeaking) this.set({ localSpeaking: speaking });
      }
      if (!conn || now - (this.lastSample?.at ?? 0) < STATS_EVERY_MS) return;
      try {
        const sample = sampleStats(await conn.getStats(), now);
        if (conn !== this.conn) return;
        this.set({ quality: quality(this.lastSample, sample) });
        this.lastSample = sample;
      } catch {
        // A closing connection; the next tick has a new one or none.
      }
    };
    // The level meter wants ~10 Hz for a responsive ring; stats are read every 2 s of those ticks.
    this.statsTimer = (this.env.setInterval ?? setInterval)(() => void tick(), 100);
  }

  private stopStats() {
    if (this.statsTimer) (this.env.clearInterval ?? clearInterval)(this.statsTimer);
    this.statsTimer = null;
  }
}

/** Words for a getUserMedia failure that tell the person what to do. */
export function micError(e: unknown): VoiceError {
  const name = (e as { name?: string } | null)?.name ?? '';
  if (name === 'NotAllowedError' || name === 'SecurityError' || name === 'PermissionDeniedError') {
    return {
      kind: 'permission',
      message: 'Microphone access is blocked, so you cannot join voice. Allow it in your browser: click the lock or microphone icon left of the address, set Microphone to Allow, then try again. (Voice needs https, or localhost.)',
    };
  }
  if (name === 'NotFoundError' || name === 'DevicesNotFoundError' || name === 'OverconstrainedError') {
    return { kind: 'no-device', message: 'No microphone was found. Plug one in (or pick another input device in Voice Settings) and try again.' };
  }
  if (name === 'NotReadableError' || name === 'TrackStartError' || name === 'AbortError') {
    return { kind: 'device', message: 'Your microphone could not be started: another program may be using it.' };
  }
  if (name === 'TypeError' || !(globalThis.navigator?.mediaDevices)) {
    return { kind: 'unsupported', message: 'This browser cannot use a microphone here (voice needs https, or localhost).' };
  }
  return { kind: 'device', message: `Your microphone could not be used: ${e instanceof Error ? e.message : String(e)}` };
}
