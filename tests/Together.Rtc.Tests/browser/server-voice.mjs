// Two Chromium pages join one voice channel of a running Together server over its real gateway,
// send their fake microphones and play what the SFU forwards. Prints a JSON report on stdout.
// Usage: node server-voice.mjs <base-url> <json: {guildId, channelId, users: [{id, token}, {id, token}]}>
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [base, setupJson] = process.argv.slice(2);
const setup = JSON.parse(setupJson);
const executablePath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const userDataDir = mkdtempSync(join(tmpdir(), 'together-voice-chromium-'));
const flags = [
  '--no-sandbox', '--disable-gpu', '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
  '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run',
  '--allow-loopback-in-peer-connection', '--autoplay-policy=no-user-gesture-required',
  '--disable-features=WebRtcHideLocalIpsWithMdns',
];

// Runs inside each page: the gateway client and the voice connection, as a web client does it.
async function joinVoice({ gatewayUrl, token, guildId, channelId }) {
  const state = (window.__voice = { offers: 0, answers: 0, speaking: {}, error: null, ready: false });
  const mic = await navigator.mediaDevices.getUserMedia({ audio: true });
  const ws = new WebSocket(gatewayUrl + '?v=10&encoding=json');
  window.__ws = ws;
  let seq = null;
  let pc = null;
  let chain = Promise.resolve();
  const send = (op, d) => ws.send(JSON.stringify({ op, d }));
  window.__setMute = (muted) => send(4, { guild_id: guildId, channel_id: channelId, self_mute: muted, self_deaf: false });
  async function onOffer(offer) {
    if (!pc) {
      pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle', iceServers: offer.ice_servers });
      window.__pc = pc;
      pc.ontrack = (event) => {
        const audio = new Audio();
        audio.srcObject = new MediaStream([event.track]);
        audio.autoplay = true;
        audio.play().catch(() => {});
        document.body.append(audio);
      };
    }
    await pc.setRemoteDescription({ type: 'offer', sdp: offer.sdp });
    const [uplink, ...others] = pc.getTransceivers();
    uplink.direction = 'sendonly';
    await uplink.sender.replaceTrack(mic.getAudioTracks()[0]);
    for (const transceiver of others)
      if (transceiver.currentDirection !== 'stopped' && !transceiver.stopped) transceiver.direction = 'recvonly';
    await pc.setLocalDescription(await pc.createAnswer());
    send(40, { guild_id: guildId, sdp: pc.localDescription.sdp });
    state.answers++;
  }
  ws.onmessage = (event) => {
    const frame = JSON.parse(event.data);
    if (frame.s) seq = frame.s;
    if (frame.op === 10) {
      setInterval(() => send(1, seq), frame.d.heartbeat_interval);
      send(2, { token, intents: 32767, properties: { os: 'linux', browser: 'chromium', device: 'test' } });
    } else if (frame.t === 'READY') {
      send(4, { guild_id: guildId, channel_id: channelId, self_mute: false, self_deaf: false });
    } else if (frame.t === 'VOICE_OFFER') {
      state.offers++;
      chain = chain.then(() => onOffer(frame.d)).catch((error) => { state.error = String(error); });
    } else if (frame.t === 'VOICE_SPEAKING') {
      state.speaking[frame.d.user_id] = (state.speaking[frame.d.user_id] ?? 0) + (frame.d.speaking ? 1 : 0);
    }
  };
  ws.onclose = (event) => { state.error = state.error ?? `gateway closed ${event.code}`; };
}

async function inbound(page) {
  return page.evaluate(async () => {
    if (!window.__pc) return { packets: 0, samples: 0 };
    const stats = await window.__pc.getStats();
    let packets = 0, samples = 0;
    stats.forEach((s) => { if (s.type === 'inbound-rtp' && s.kind === 'audio') { packets += s.packetsReceived ?? 0; samples += s.totalSamplesReceived ?? 0; } });
    return { packets, samples };
  });
}

const report = { ok: false };
let context;
try {
  context = await chromium.launchPersistentContext(userDataDir, { executablePath, headless: true, args: flags });
  const pages = [context.pages()[0] ?? await context.newPage(), await context.newPage()];
  for (const page of pages) page.on('pageerror', (error) => console.error(`page error: ${error.message}`));
  const gatewayUrl = base.replace(/^http/, 'ws') + '/gateway';
  for (let i = 0; i < 2; i++) {
    await pages[i].goto(base + '/health/live');
    await pages[i].evaluate(joinVoice, { gatewayUrl, token: setup.users[i].token, guildId: setup.guildId, channelId: setup.channelId });
  }
  const deadline = Date.now() + 30_000;
  let stats = [];
  while (Date.now() < deadline) {
    stats = [await inbound(pages[0]), await inbound(pages[1])];
    if (stats.every((s) => s.packets > 100 && s.samples > 48_000)) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  report.before = stats;
  report.voice = await Promise.all(pages.map((p) => p.evaluate(() => window.__voice)));
  // The first user mutes: the second stops receiving packets from them.
  await pages[0].evaluate(() => window.__setMute(true));
  await new Promise((r) => setTimeout(r, 1000));
  const mutedStart = await inbound(pages[1]);
  await new Promise((r) => setTimeout(r, 2000));
  const mutedEnd = await inbound(pages[1]);
  report.whileMuted = { start: mutedStart, end: mutedEnd };
  report.ok = true;
} catch (error) {
  report.error = String(error);
} finally {
  await context?.close();
  rmSync(userDataDir, { recursive: true, force: true });
}
console.log(JSON.stringify(report));
