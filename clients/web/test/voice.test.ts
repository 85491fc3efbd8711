import { describe, expect, test, vi } from 'vitest';
import { Op, type VoiceOffer } from '@together/shared';
import { OfferTracker, parseOffer } from '../src/voice/sdp';
import { TransmitGate } from '../src/voice/ptt';
import { DEFAULT_SETTINGS, VoicePrefs, clampVolume, keyLabel } from '../src/voice/settings';
import { quality, sampleStats } from '../src/voice/quality';
import { VoiceController, micError, type PlaybackLike, type VoiceEnv } from '../src/voice/controller';

/** Shaped like what the SFU sends (server/Together.Rtc SdpOfferBuilder): session-level ICE, mic m-line first. */
function offerSdp(ufrag: string, others: Array<{ mid: string; user: string | null; port?: number }>) {
  const lines = ['v=0', 'o=- 1 2 IN IP4 127.0.0.1', 's=-', 't=0 0', 'a=ice-lite', `a=ice-ufrag:${ufrag}`, 'a=ice-pwd:x', `a=group:BUNDLE 0 ${others.map((o) => o.mid).join(' ')}`,
    'm=audio 50000 UDP/TLS/RTP/SAVPF 111', 'a=mid:0', 'a=recvonly', 'a=rtpmap:111 opus/48000/2'];
  for (const o of others) {
    lines.push(`m=audio ${o.port ?? 50000} UDP/TLS/RTP/SAVPF 111`, `a=mid:${o.mid}`, 'a=sendonly', 'a=rtpmap:111 opus/48000/2');
    if (o.user) lines.push(`a=msid:u${o.user} u${o.user}-audio`, `a=ssrc:1234 cname:u${o.user}`);
  }
  return lines.join('\r\n') + '\r\n';
}

const offer = (ufrag: string, revision: number, others: Parameters<typeof offerSdp>[1] = [], channel = '210'): VoiceOffer => ({
  guild_id: '100', channel_id: channel, sdp: offerSdp(ufrag, others), revision, ice_servers: [],
});

function memory() {
  const m = new Map<string, string>();
  return { getItem: (k: string) => m.get(k) ?? null, setItem: (k: string, v: string) => void m.set(k, v), removeItem: (k: string) => void m.delete(k), m };
}

describe('offer parsing and bookkeeping', () => {
  test('reads the ufrag and who each m-line carries; retired m-lines have port 0', () => {
    const info = parseOffer(offerSdp('abcd', [{ mid: '1', user: '42' }, { mid: '2', user: null, port: 0 }]));
    expect(info.ufrag).toBe('abcd');
    expect(info.media).toEqual([
      { mid: '0', port: 50000, direction: 'recvonly', userId: null },
      { mid: '1', port: 50000, direction: 'sendonly', userId: '42' },
      { mid: '2', port: 0, direction: 'sendonly', userId: null },
    ]);
  });

  test('a new ufrag means a new connection; higher revisions renegotiate; older ones are stale', () => {
    const t = new OfferTracker();
    expect(t.decide(offer('a', 1))).toBe('new-connection');
    expect(t.decide(offer('a', 2))).toBe('renegotiate');
    expect(t.decide(offer('a', 2))).toBe('stale');
    expect(t.decide(offer('a', 1))).toBe('stale');
    expect(t.decide(offer('a', 4))).toBe('renegotiate');
    // Moved to another channel: a new server peer, revisions start again.
    expect(t.decide(offer('b', 1))).toBe('new-connection');
    expect(t.decide(offer('b', 2))).toBe('renegotiate');
    t.reset();
    expect(t.decide(offer('b', 3))).toBe('new-connection');
  });
});

describe('push to talk', () => {
  test('voice activity transmits unless muted or deafened', () => {
    const g = new TransmitGate('voice-activity', 'KeyV');
    expect(g.transmitting).toBe(true);
    expect(g.setMuted(true, false)).toBe(true);
    expect(g.transmitting).toBe(false);
    g.setMuted(false, true);
    expect(g.transmitting).toBe(false);
    g.setMuted(false, false);
    expect(g.transmitting).toBe(true);
  });

  test('push to talk transmits only while its key is held; other keys, repeats and blur', () => {
    const g = new TransmitGate('push-to-talk', 'KeyV');
    expect(g.transmitting).toBe(false);
    expect(g.keyDown('KeyB')).toBe(false);
    expect(g.keyDown('KeyV')).toBe(true);
    expect(g.transmitting).toBe(true);
    expect(g.keyDown('KeyV', true)).toBe(false);
    expect(g.keyUp('KeyB')).toBe(false);
    expect(g.keyUp('KeyV')).toBe(true);
    expect(g.transmitting).toBe(false);
    g.keyDown('KeyV');
    expect(g.blur()).toBe(true); // the tab lost focus: the key-up will never come
    expect(g.transmitting).toBe(false);
  });

  test('muted beats a held key; changing the key releases it; switching mode applies at once', () => {
    const g = new TransmitGate('push-to-talk', 'KeyV', true);
    g.keyDown('KeyV');
    expect(g.transmitting).toBe(false);
    g.setMuted(false, false);
    expect(g.transmitting).toBe(true);
    expect(g.configure('push-to-talk', 'Space')).toBe(true);
    expect(g.transmitting).toBe(false);
    expect(g.configure('voice-activity', 'Space')).toBe(true);
    expect(g.transmitting).toBe(true);
  });
});

describe('voice settings and volumes', () => {
  test('defaults, updates persisted, read back by a new instance', () => {
    const s = memory();
    const a = new VoicePrefs(s, '1');
    expect(a.settings).toEqual(DEFAULT_SETTINGS);
    a.update({ inputMode: 'push-to-talk', pushToTalkKey: 'KeyV', noiseSuppression: false, inputDeviceId: 'mic2', selfMute: true });
    const b = new VoicePrefs(s, '1');
    expect(b.settings).toMatchObject({ inputMode: 'push-to-talk', pushToTalkKey: 'KeyV', noiseSuppression: false, echoCancellation: true, inputDeviceId: 'mic2', selfMute: true });
  });

  test('bad stored values fall back field by field', () => {
    const s = memory();
    s.setItem('together.voice.settings', JSON.stringify({ inputMode: 'telepathy', echoCancellation: 'yes', noiseSuppression: false, pushToTalkKey: '' }));
    expect(new VoicePrefs(s, '1').settings).toEqual({ ...DEFAULT_SETTINGS, noiseSuppression: false });
    s.setItem('together.voice.settings', '{not json');
    s.setItem('together.voice.volumes.1', '[1,2');
    const p = new VoicePrefs(s, '1');
    expect(p.settings).toEqual(DEFAULT_SETTINGS);
    expect(p.volume('2')).toBe(100);
  });

  test('per-user volume 0–200 %, remembered per logged-in user, notifying subscribers', () => {
    const s = memory();
    const p = new VoicePrefs(s, '1');
    const seen = vi.fn();
    p.subscribe(seen);
    p.setVolume('2', 175);
    p.setVolume('3', 999);
    p.setVolume('4', -5);
    expect([p.volume('2'), p.volume('3'), p.volume('4'), p.volume('5')]).toEqual([175, 200, 0, 100]);
    expect(seen).toHaveBeenCalledTimes(3);
    expect(new VoicePrefs(s, '1').volume('2')).toBe(175);
    expect(new VoicePrefs(s, '9').volume('2')).toBe(100); // another account on this browser
    p.setVolume('2', 100);
    expect(JSON.parse(s.getItem('together.voice.volumes.1')!)).toEqual({ '3': 200, '4': 0 });
    expect(clampVolume(Number.NaN)).toBe(100);
  });

  test('key names', () => {
    expect(keyLabel('KeyV')).toBe('V');
    expect(keyLabel('Digit4')).toBe('4');
    expect(keyLabel('Backquote')).toBe('`');
    expect(keyLabel('F13')).toBe('F13');
  });
});

describe('connection quality from getStats', () => {
  const report = (received: number, lost: number, rtt = 0.05, uplink?: number) => [
    { type: 'transport', id: 'T', selectedCandidatePairId: 'CP' },
    { type: 'candidate-pair', id: 'CP', state: 'succeeded', nominated: true, currentRoundTripTime: rtt },
    { type: 'candidate-pair', id: 'other', state: 'failed', currentRoundTripTime: 9 },
    { type: 'inbound-rtp', kind: 'audio', packetsReceived: received, packetsLost: lost },
    { type: 'inbound-rtp', kind: 'audio', packetsReceived: received, packetsLost: 0 },
    ...(uplink === undefined ? [] : [{ type: 'remote-inbound-rtp', fractionLost: uplink }]),
  ];

  test('RTT from the selected pair; loss over the interval, not since the start', () => {
    const a = sampleStats(report(100, 50), 0);
    expect(a).toMatchObject({ rtt: 0.05, packetsReceived: 200, packetsLost: 50, uplinkLoss: null });
    expect(quality(null, a)).toEqual({ rttMs: 50, lossPercent: 0, level: 'good' });
    const b = sampleStats(report(200, 50, 0.3), 2000);
    expect(quality(a, b)).toEqual({ rttMs: 300, lossPercent: 0, level: 'fair' });
    const c = sampleStats(report(290, 70), 4000);
    expect(quality(b, c)).toEqual({ rttMs: 50, lossPercent: 10, level: 'fair' });
    const d = sampleStats(report(300, 100), 6000);
    expect(quality(c, d).level).toBe('poor');
  });

  test('uplink loss the server reports counts too', () => {
    const a = sampleStats(report(100, 0, 0.01, 0.2), 0);
    expect(quality(null, a)).toEqual({ rttMs: 10, lossPercent: 20, level: 'poor' });
  });
});

/** A controller over fakes: what it sends on the gateway, a fake mic, connection and playback. */
function harness(opts: { deny?: string; missing?: boolean; settings?: Parameters<VoicePrefs['update']>[0] } = {}) {
  const sent: Array<{ op: number; d: any }> = [];
  const timers: Array<{ fn: () => void; ms: number; id: number }> = [];
  let nextTimer = 1;
  const track = { enabled: true, stopped: false, stop() { this.stopped = true; } };
  const mics: Array<typeof track & { ended?: Array<() => void> }> = [];
  const asked: MediaStreamConstraints[] = [];
  const openAtAcquire: number[] = []; // how many mic tracks were still open at each getUserMedia
  const connections: Array<{ offers: VoiceOffer[]; closed: boolean; mic: unknown; on: any }> = [];
  const playback: PlaybackLike & { deafened: boolean } = {
    deafened: false, attach: vi.fn(), detach: vi.fn(), applyVolume: vi.fn(), setOutput: vi.fn(async () => undefined),
    resume: vi.fn(), close: vi.fn(), setDeafened(d) { this.deafened = d; },
  };
  const listeners = new Map<string, (e: any) => void>();
  const gateway = { ready: true };
  const env: VoiceEnv = {
    send: (op, d) => sent.push({ op, d }),
    selfId: () => '1',
    gatewaySessionId: () => 'sess',
    gatewayReady: () => gateway.ready,
    getUserMedia: async (c) => {
      asked.push(c);
      if (opts.missing && (c.audio as MediaTrackConstraints).deviceId) throw Object.assign(new Error('gone'), { name: 'OverconstrainedError' });
      if (opts.deny) throw Object.assign(new Error('denied'), { name: opts.deny });
      openAtAcquire.push(mics.filter((m) => !m.stopped).length);
      const t = { ...track, ended: [] as Array<() => void>, addEventListener(type: string, fn: () => void) { if (type === 'ended') this.ended.push(fn); } };
      mics.push(t);
      return { getAudioTracks: () => [t], getTracks: () => [t] } as unknown as MediaStream;
    },
    connect: (_o, mic, on) => {
      const c = { offers: [] as VoiceOffer[], closed: false, mic, on };
      connections.push(c);
      return {
        answer: async (o: VoiceOffer) => { c.offers.push(o); return `answer-${o.revision}`; },
        replaceMic: async (m: MediaStreamTrack | null) => { c.mic = m; },
        getStats: async () => new Map() as unknown as RTCStatsReport,
        close: () => { c.closed = true; },
      };
    },
    playback: () => playback,
    keys: { addEventListener: (t: string, l: any) => listeners.set(t, l), removeEventListener: (t: string) => listeners.delete(t) } as any,
    setTimeout: ((fn: () => void, ms: number) => { const id = nextTimer++; timers.push({ fn, ms, id }); return id; }) as any,
    clearTimeout: ((id: number) => { const i = timers.findIndex((t) => t.id === id); if (i >= 0) timers.splice(i, 1); }) as any,
    setInterval: (() => 0) as any,
    clearInterval: (() => undefined) as any,
  };
  const prefs = new VoicePrefs(memory(), '1');
  if (opts.settings) prefs.update(opts.settings);
  const voice = new VoiceController(env, prefs);
  const flush = () => new Promise((r) => setTimeout(r, 0));
  return { voice, sent, timers, mics, connections, playback, listeners, flush, prefs, gateway, openAtAcquire, asked };
}

describe('the voice controller', () => {
  test('join: mic first, then op 4; offers are answered with op 40; connected when the connection says so', async () => {
    const h = harness();
    await h.voice.join('100', '210');
    expect(h.voice.snapshot.status).toBe('connecting');
    expect(h.sent).toEqual([{ op: Op.VoiceStateUpdate, d: { guild_id: '100', channel_id: '210', self_mute: false, self_deaf: false } }]);
    h.voice.onDispatch('VOICE_OFFER', offer('a', 1));
    await h.flush();
    expect(h.sent[1]).toEqual({ op: Op.VoiceAnswer, d: { guild_id: '100', sdp: 'answer-1' } });
    expect(h.connections[0].mic).toBe(h.mics[0]);
    h.connections[0].on.state('connected');
    expect(h.voice.snapshot.status).toBe('connected');
    // A renegotiation reuses the connection; a stale one is ignored.
    h.voice.onDispatch('VOICE_OFFER', offer('a', 3, [{ mid: '1', user: '2' }]));
    h.voice.onDispatch('VOICE_OFFER', offer('a', 2));
    await h.flush();
    expect(h.connections).toHaveLength(1);
    expect(h.connections[0].offers.map((o) => o.revision)).toEqual([1, 3]);
    // Offers for another guild are not ours.
    h.voice.onDispatch('VOICE_OFFER', { ...offer('z', 1), guild_id: '999' });
    await h.flush();
    expect(h.connections).toHaveLength(1);
  });

  test('a denied microphone: a clear error and nothing sent (no half-joined state)', async () => {
    const h = harness({ deny: 'NotAllowedError' });
    await h.voice.join('100', '210');
    expect(h.sent).toEqual([]);
    expect(h.voice.snapshot).toMatchObject({ status: 'idle', guildId: null, channelId: null });
    expect(h.voice.snapshot.error?.kind).toBe('permission');
    expect(h.voice.snapshot.error?.message).toMatch(/Allow/);
    expect(micError({ name: 'NotFoundError' }).kind).toBe('no-device');
    expect(micError({ name: 'NotReadableError' }).kind).toBe('device');
  });

  test('mute and deafen: sent with op 4, mic track disabled, deafen silences playback and mutes; undeafen restores mute', async () => {
    const h = harness();
    await h.voice.join('100', '210');
    h.voice.setMute(true);
    expect(h.mics[0].enabled).toBe(false);
    expect(h.sent.at(-1)!.d).toMatchObject({ channel_id: '210', self_mute: true, self_deaf: false });
    h.voice.setMute(false);
    expect(h.mics[0].enabled).toBe(true);
    h.voice.setDeaf(true);
    expect(h.sent.at(-1)!.d).toMatchObject({ self_mute: true, self_deaf: true });
    expect(h.mics[0].enabled).toBe(false);
    expect(h.playback.deafened).toBe(true);
    h.voice.setDeaf(false);
    expect(h.sent.at(-1)!.d).toMatchObject({ self_mute: false, self_deaf: false });
    expect(h.playback.deafened).toBe(false);
    expect(h.mics[0].enabled).toBe(true);
    // Unmuting while deafened undeafens too (Discord).
    h.voice.setDeaf(true);
    h.voice.setMute(false);
    expect(h.voice.snapshot).toMatchObject({ selfMute: false, selfDeaf: false });
    expect(h.prefs.settings.selfDeaf).toBe(false);
  });

  test('push to talk: the mic track is enabled only while the key is held', async () => {
    const h = harness({ settings: { inputMode: 'push-to-talk', pushToTalkKey: 'KeyV' } });
    await h.voice.join('100', '210');
    expect(h.mics[0].enabled).toBe(false);
    h.listeners.get('keydown')!({ code: 'KeyV', repeat: false });
    expect(h.mics[0].enabled).toBe(true);
    expect(h.voice.snapshot.transmitting).toBe(true);
    h.listeners.get('keyup')!({ code: 'KeyV' });
    expect(h.mics[0].enabled).toBe(false);
    h.listeners.get('keydown')!({ code: 'KeyV', repeat: false });
    h.listeners.get('blur')!({});
    expect(h.mics[0].enabled).toBe(false);
    h.voice.leave();
    expect(h.listeners.size).toBe(0);
  });

  test('a failed connection leaves on the server, says so, and Retry joins again', async () => {
    const h = harness();
    await h.voice.join('100', '210');
    h.voice.onDispatch('VOICE_OFFER', offer('a', 1));
    await h.flush();
    h.connections[0].on.state('failed');
    expect(h.voice.snapshot.status).toBe('failed');
    expect(h.voice.snapshot.error).toMatchObject({ kind: 'connection', retry: { guildId: '100', channelId: '210' } });
    expect(h.sent.at(-1)).toEqual({ op: Op.VoiceStateUpdate, d: { guild_id: '100', channel_id: null, self_mute: false, self_deaf: false } });
    expect(h.connections[0].closed).toBe(true);
    expect(h.mics[0].stopped).toBe(true);
    h.voice.retry();
    await h.flush();
    expect(h.sent.at(-1)!.d).toMatchObject({ channel_id: '210' });
    expect(h.voice.snapshot.status).toBe('connecting');
  });

  test('no connection within the timeout is a failure with Retry', async () => {
    const h = harness();
    await h.voice.join('100', '210');
    const timer = h.timers.at(-1)!;
    expect(timer.ms).toBe(15_000);
    timer.fn();
    expect(h.voice.snapshot.error).toMatchObject({ kind: 'timeout', retry: { channelId: '210' } });
  });

  test('after a re-identify the controller joins again; a resume needs nothing', async () => {
    const h = harness();
    await h.voice.join('100', '210');
    h.voice.onDispatch('VOICE_OFFER', offer('a', 1));
    await h.flush();
    h.connections[0].on.state('connected');
    const before = h.sent.length;
    h.voice.onReady(false);
    expect(h.sent.length).toBe(before);
    h.voice.onReady(true);
    expect(h.voice.snapshot.status).toBe('reconnecting');
    expect(h.connections[0].closed).toBe(true);
    expect(h.sent.at(-1)!.d).toMatchObject({ guild_id: '100', channel_id: '210' });
    // The new session's server peer has a new ufrag and starts again at revision 1.
    h.voice.onDispatch('VOICE_OFFER', offer('b', 1));
    await h.flush();
    expect(h.connections).toHaveLength(2);
    h.connections[1].on.state('connected');
    expect(h.voice.snapshot.status).toBe('connected');
  });

  test('the connection breaks while the gateway is down too: wait, then rejoin when it is back', async () => {
    const h = harness();
    await h.voice.join('100', '210');
    h.voice.onDispatch('VOICE_OFFER', offer('a', 1));
    await h.flush();
    h.connections[0].on.state('connected');
    h.gateway.ready = false;
    h.connections[0].on.state('failed');
    expect(h.voice.snapshot).toMatchObject({ status: 'reconnecting', error: null, channelId: '210' });
    expect(h.connections[0].closed).toBe(true);
    expect(h.mics[0].stopped).toBe(false);
    const before = h.sent.length;
    // Resumed: same session, so leave and join again to get a fresh server peer.
    h.gateway.ready = true;
    h.voice.onResumed();
    expect(h.sent.slice(before).map((s) => s.d.channel_id)).toEqual([null, '210']);
    expect(h.voice.snapshot.status).toBe('reconnecting');
    // A resume without a broken connection changes nothing.
    const after = h.sent.length;
    h.voice.onResumed();
    h.voice.onReady(false);
    expect(h.sent.length).toBe(after);
  });

  test('moving: op 4 with the new channel, then a new connection for the new server peer', async () => {
    const h = harness();
    await h.voice.join('100', '210');
    h.voice.onDispatch('VOICE_OFFER', offer('a', 1));
    await h.flush();
    h.connections[0].on.state('connected');
    await h.voice.join('100', '211');
    expect(h.sent.at(-1)!.d).toMatchObject({ channel_id: '211' });
    expect(h.mics).toHaveLength(1); // the same microphone
    h.voice.onDispatch('VOICE_OFFER', offer('b', 1, [], '211'));
    await h.flush();
    expect(h.connections[0].closed).toBe(true);
    expect(h.connections).toHaveLength(2);
    expect(h.voice.snapshot.channelId).toBe('211');
  });

  test('joining another guild leaves the first one', async () => {
    const h = harness();
    await h.voice.join('100', '210');
    await h.voice.join('300', '310');
    const ops = h.sent.filter((s) => s.op === Op.VoiceStateUpdate).map((s) => [s.d.guild_id, s.d.channel_id]);
    expect(ops).toEqual([['100', '210'], ['100', null], ['300', '310']]);
  });

  test('disconnected by a moderator, or voice taken over by another session, ends the call here', async () => {
    const h = harness();
    await h.voice.join('100', '210');
    h.voice.onDispatch('VOICE_STATE_UPDATE', { guild_id: '100', user_id: '1', channel_id: null, session_id: 'sess' });
    expect(h.voice.snapshot).toMatchObject({ status: 'idle', error: { kind: 'removed' } });
    await h.voice.join('100', '210');
    h.voice.onDispatch('VOICE_STATE_UPDATE', { guild_id: '100', user_id: '1', channel_id: '210', session_id: 'other-tab' });
    expect(h.voice.snapshot).toMatchObject({ status: 'idle', error: { kind: 'elsewhere' } });
    // Someone else's state changes nothing.
    await h.voice.join('100', '210');
    h.voice.onDispatch('VOICE_STATE_UPDATE', { guild_id: '100', user_id: '2', channel_id: null, session_id: 'x' });
    expect(h.voice.snapshot.status).toBe('connecting');
  });

  test('a second click while the browser asks for the mic wins; the first mic is released', async () => {
    const h = harness();
    const first = h.voice.join('100', '210');
    const second = h.voice.join('100', '211');
    await Promise.all([first, second]);
    const joins = h.sent.filter((s) => s.op === Op.VoiceStateUpdate).map((s) => s.d.channel_id);
    expect(joins).toEqual(['211']);
    expect(h.mics.filter((m) => !m.stopped)).toHaveLength(1);
  });

  test('changing the input device or processing re-acquires the mic and swaps the track in place', async () => {
    const h = harness();
    await h.voice.join('100', '210');
    h.voice.onDispatch('VOICE_OFFER', offer('a', 1));
    await h.flush();
    const before = h.prefs.settings;
    h.prefs.update({ noiseSuppression: false });
    await h.voice.applySettings(before, h.prefs.settings);
    expect(h.mics).toHaveLength(2);
    expect(h.mics[0].stopped).toBe(true);
    // Stopped before asking again: Chromium would hand the new track the old processing.
    expect(h.openAtAcquire).toEqual([0, 0]);
    expect(h.connections[0].mic).toBe(h.mics[1]);
    // Output and mode changes do not touch the mic.
    const again = h.prefs.settings;
    h.prefs.update({ outputDeviceId: 'speakers', inputMode: 'push-to-talk' });
    await h.voice.applySettings(again, h.prefs.settings);
    expect(h.mics).toHaveLength(2);
    expect(h.playback.setOutput).toHaveBeenCalledWith('speakers');
    expect(h.mics[1].enabled).toBe(false); // push to talk, key up
  });

  test('an unplugged microphone falls back to the default one', async () => {
    const h = harness({ settings: { inputDeviceId: 'usb-mic' } });
    await h.voice.join('100', '210');
    h.voice.onDispatch('VOICE_OFFER', offer('a', 1));
    await h.flush();
    h.mics[0].ended!.forEach((fn) => fn());
    await h.flush();
    expect(h.mics).toHaveLength(2);
    expect(h.connections[0].mic).toBe(h.mics[1]);
    expect(h.mics[1].enabled).toBe(true);
    expect((h.asked[0].audio as MediaTrackConstraints).deviceId).toEqual({ exact: 'usb-mic' });
    expect((h.asked[1].audio as MediaTrackConstraints).deviceId).toBeUndefined();
    expect(h.prefs.settings.inputDeviceId).toBe('usb-mic'); // remembered for when it comes back
  });

  test('a remembered input device that is gone: the default microphone is used', async () => {
    const h = harness({ missing: true, settings: { inputDeviceId: 'usb-mic' } });
    await h.voice.join('100', '210');
    expect(h.asked).toHaveLength(2);
    expect(h.voice.snapshot).toMatchObject({ status: 'connecting', error: null });
  });

  test('leaving releases the mic and the audio output', async () => {
    const h = harness();
    await h.voice.join('100', '210');
    h.voice.leave();
    expect(h.mics[0].stopped).toBe(true);
    expect(h.playback.close).toHaveBeenCalled();
    expect(h.sent.at(-1)!.d).toMatchObject({ channel_id: null });
    expect(h.voice.snapshot).toMatchObject({ status: 'idle', guildId: null, channelId: null });
  });

  test('remote tracks go to playback per user and leave with their m-line', async () => {
    const h = harness();
    await h.voice.join('100', '210');
    h.voice.onDispatch('VOICE_OFFER', offer('a', 1));
    await h.flush();
    const track = {} as MediaStreamTrack;
    h.connections[0].on.track('2', track);
    expect(h.playback.attach).toHaveBeenCalledWith('2', track);
    h.connections[0].on.gone('2');
    expect(h.playback.detach).toHaveBeenCalledWith('2');
  });
});
