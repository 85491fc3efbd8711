// Chromium pages join one voice channel of a running Together server over its real gateway,
// send their fake microphones and play what the SFU forwards. Prints a JSON report on stdout.
// Users 1 and 2 talk, 1 mutes; then renegotiation: 2 leaves and 3 joins after 1 answered the
// leave (3 recycles 2's m-line), and 3 leaves and 2 rejoins while 1 holds its answers (1 applies
// only the latest offer, as a client may: the retired m-line must not have been recycled).
// Usage: node server-voice.mjs <base-url> <json: {guildId, channelId, users: [{id, token} x 3]}>
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
async function joinVoice({ gatewayUrl, token, guildId, channelId, join }) {
  const state = (window.__voice = { offers: 0, answers: 0, speaking: {}, error: null, ready: false, transceivers: [] });
  const mic = await navigator.mediaDevices.getUserMedia({ audio: true });
  const ws = new WebSocket(gatewayUrl + '?v=10&encoding=json');
  window.__ws = ws;
  let seq = null;
  let pc = null;
  // Offers are applied one at a time; when several wait, only the latest is applied (the
  // protocol asks clients to answer the latest offer). __hold() makes them wait.
  let pending = null;
  let busy = false;
  let hold = null;
  const send = (op, d) => ws.send(JSON.stringify({ op, d }));
  // The server handles one connection's frames in order: once a heartbeat sent now is
  // acknowledged, everything sent before it (an answer) has been applied.
  let heartbeatsSent = 0;
  let acks = 0;
  const waiting = [];
  const heartbeat = () => { heartbeatsSent++; send(1, seq); };
  window.__sync = () => new Promise((resolve) => { heartbeat(); waiting.push({ upTo: heartbeatsSent, resolve }); });
  const voiceState = (channel, muted) => send(4, { guild_id: guildId, channel_id: channel, self_mute: muted, self_deaf: false });
  window.__setMute = (muted) => voiceState(channelId, muted);
  window.__leave = () => { voiceState(null, false); pc?.close(); pc = null; window.__pc = null; };
  window.__join = () => voiceState(channelId, false);
  window.__hold = () => { let release; hold = new Promise((r) => { release = r; }); window.__release = () => { hold = null; release(); }; };
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
    state.revision = offer.revision;
    state.transceivers = pc.getTransceivers().map((t) => ({ mid: t.mid, direction: t.currentDirection }));
    state.mlines = pc.remoteDescription.sdp.split('\r\n').filter((l) => l.startsWith('m=')).map((l) => l.split(' ')[1]);
  }
  async function pump() {
    if (busy) return;
    busy = true;
    try {
      while (pending) {
        if (hold) await hold;
        const offer = pending;
        pending = null;
        await onOffer(offer);
      }
    } catch (error) {
      state.error = state.error ?? String(error);
    } finally {
      busy = false;
    }
  }
  ws.onmessage = (event) => {
    const frame = JSON.parse(event.data);
    if (frame.s) seq = frame.s;
    if (frame.op === 11) {
      acks++;
      while (waiting.length && waiting[0].upTo <= acks) waiting.shift().resolve();
    } else if (frame.op === 10) {
      setInterval(heartbeat, frame.d.heartbeat_interval);
      send(2, { token, intents: 32767, properties: { os: 'linux', browser: 'chromium', device: 'test' } });
    } else if (frame.t === 'READY') {
      state.ready = true;
      if (join) window.__join();
    } else if (frame.t === 'VOICE_OFFER') {
      state.offers++;
      state.latest = frame.d.revision;
      pending = frame.d;
      pump();
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

// What Chromium made of the SFU's receiver reports about its microphone stream.
async function remoteInbound(page) {
  return page.evaluate(async () => {
    const stats = await window.__pc.getStats();
    const found = [];
    stats.forEach((s) => {
      if (s.type === 'remote-inbound-rtp') found.push({ packetsLost: s.packetsLost, fractionLost: s.fractionLost, jitter: s.jitter, roundTripTime: s.roundTripTime, roundTripTimeMeasurements: s.roundTripTimeMeasurements });
    });
    return found;
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const voiceOf = (page) => page.evaluate(() => window.__voice);

async function until(what, check, ms = 15_000) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}`);
}

// Inbound audio packets a page received during `ms` milliseconds.
async function growth(page, ms) {
  const start = await inbound(page);
  await sleep(ms);
  return (await inbound(page)).packets - start.packets;
}

const report = { ok: false };
let context;
try {
  context = await chromium.launchPersistentContext(userDataDir, { executablePath, headless: true, args: flags });
  const pages = [context.pages()[0] ?? await context.newPage(), await context.newPage(), await context.newPage()];
  for (const page of pages) page.on('pageerror', (error) => console.error(`page error: ${error.message}`));
  const gatewayUrl = base.replace(/^http/, 'ws') + '/gateway';
  for (let i = 0; i < 3; i++) {
    await pages[i].goto(base + '/health/live');
    await pages[i].evaluate(joinVoice, { gatewayUrl, token: setup.users[i].token, guildId: setup.guildId, channelId: setup.channelId, join: i < 2 });
  }
  const deadline = Date.now() + 30_000;
  let stats = [];
  while (Date.now() < deadline) {
    stats = [await inbound(pages[0]), await inbound(pages[1])];
    if (stats.every((s) => s.packets > 100 && s.samples > 48_000)) break;
    await sleep(250);
  }
  report.before = stats;
  report.voice = await Promise.all(pages.slice(0, 2).map(voiceOf));
  // The first user mutes: the second stops receiving packets from them.
  await pages[0].evaluate(() => window.__setMute(true));
  await sleep(1000);
  const mutedStart = await inbound(pages[1]);
  await sleep(2000);
  const mutedEnd = await inbound(pages[1]);
  report.whileMuted = { start: mutedStart, end: mutedEnd };
  await pages[0].evaluate(() => window.__setMute(false));

  // Leave, then join once the leave is answered: the third user recycles the second's m-line.
  let answers = (await voiceOf(pages[0])).answers;
  await pages[1].evaluate(() => window.__leave());
  await until('user 1 to answer the leave', async () => (await voiceOf(pages[0])).answers > answers);
  await pages[0].evaluate(() => window.__sync()); // the answer has reached the server, not only left the page
  answers = (await voiceOf(pages[0])).answers;
  await pages[2].evaluate(() => window.__join());
  await until('user 1 to answer the join', async () => (await voiceOf(pages[0])).answers > answers);
  await until('user 3 to connect', async () => (await inbound(pages[2])).packets > 50);
  report.leaveThenJoin = {
    mlinePorts: (await voiceOf(pages[0])).mlines,
    transceivers: (await voiceOf(pages[0])).transceivers,
    firstHears: await growth(pages[0], 2000),
    thirdHears: (await inbound(pages[2])).packets,
  };

  // Leave and join before the first user answers: it holds its answers, receives both offers
  // and applies only the latest, so the second's new m-line must not have reused the retired one.
  const offers = (await voiceOf(pages[0])).offers;
  await pages[0].evaluate(() => window.__hold());
  await pages[2].evaluate(() => window.__leave());
  await pages[1].evaluate(() => window.__join());
  await until('user 1 to get both offers', async () => (await voiceOf(pages[0])).offers >= offers + 2);
  await pages[0].evaluate(() => window.__release());
  await until('user 1 to answer the latest offer', async () => { const v = await voiceOf(pages[0]); return v.revision === v.latest; });
  await until('user 2 to hear user 1 again', async () => (await inbound(pages[1])).packets > 50);
  report.leaveAndJoinBeforeAnswer = {
    mlinePorts: (await voiceOf(pages[0])).mlines,
    transceivers: (await voiceOf(pages[0])).transceivers,
    firstHears: await growth(pages[0], 2000),
    secondHears: (await inbound(pages[1])).packets,
  };
  // Chromium sends its sender reports only every few seconds (and our receiver report carries
  // LSR only after one), so the round trip is read last, waiting for it if need be.
  try {
    await until('a round trip from our receiver reports', async () => (await remoteInbound(pages[0])).some((r) => r.roundTripTimeMeasurements > 0), 15_000);
  } catch { /* reported below, asserted by the test */ }
  report.receiverReports = await remoteInbound(pages[0]);
  report.after = await Promise.all(pages.map(voiceOf));
  report.ok = true;
} catch (error) {
  report.error = String(error);
  try { report.after = await Promise.all(context.pages().map(voiceOf)); } catch { /* the browser is gone */ }
} finally {
  await context?.close();
  rmSync(userDataDir, { recursive: true, force: true });
}
console.log(JSON.stringify(report));
