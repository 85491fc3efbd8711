// Voice end to end: real headless Chromium (fake microphone), the real server and its SFU over
// UDP on 127.0.0.1. Two people join a voice channel through the UI and hear each other (checked
// with getStats: inbound packets and decoded samples grow), see each other listed with speaking
// rings, mute and deafen stop the audio and show the icons, per-user volume changes what reaches
// the speakers, a move to another channel and a gateway re-identify keep the call going,
// disconnect removes them, a denied microphone explains itself without joining, push to talk
// gates the mic, and a connection that cannot be made offers Retry.
import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { reportFailure, repoRoot, startStack } from './harness.mjs';

const shots = process.env.UPDATE_SCREENSHOTS === '1'
  ? join(repoRoot, 'docs/screenshots')
  : join(dirname(fileURLToPath(import.meta.url)), '../e2e-artifacts/screenshots');
mkdirSync(shots, { recursive: true });
const T = 20_000;
const suffix = Date.now().toString(36).slice(-5);
const ALICE = `valice_${suffix}`;
const BOB = `vbob_${suffix}`;
const CAROL = `vcarol_${suffix}`;
const PASSWORD = 'correct horse battery';

let stack;
let alice;
let bob;
let carol;
let inviteCode;
let guildId;
let bobSocket = null; // the proxied gateway WebSocket of bob's page
const bobOps = []; // every op bob's page sent, across connections
const consoleLines = [];

before(async () => {
  stack = await startStack();
  console.log(`# web client served by ${stack.servedBy} at ${stack.base}, API at ${stack.api}`);
});

after(async () => {
  await stack?.close();
});

afterEach((t) => reportFailure(t, {
  stack, consoleLines, pages: { alice, bob, carol }, prefix: 'voice-', serverLines: /warn|fail|error|exception|voice/i,
  describe: async (page) => ({
    ...(await page.evaluate(() => ({
      alerts: [...document.querySelectorAll('[role=alert]')].map((e) => e.textContent),
      voice: document.querySelector('.voice-panel')?.textContent ?? null,
      lists: [...document.querySelectorAll('.voice-members')].map((l) => `${l.getAttribute('aria-label')}: ${[...l.querySelectorAll('li')].map((li) => `${li.textContent}[speaking=${li.dataset.speaking},muted=${li.dataset.muted}]`).join(', ')}`),
    }))),
    inbound: await inbound(page).catch(() => null),
  }),
}));

/** A person's browser context; `microphone` granted unless told otherwise (headless then denies it). */
async function newPage({ allowMic = true, proxyGateway = false } = {}) {
  const context = await stack.browser.newContext({ viewport: { width: 1280, height: 800 }, baseURL: stack.base });
  if (allowMic) await context.grantPermissions(['microphone'], { origin: stack.base });
  // Keep every RTCPeerConnection the app makes, so the test can read getStats() as a user's ears would.
  await context.addInitScript(() => {
    const Native = window.RTCPeerConnection;
    window.__pcs = [];
    // And every Web Audio node that feeds the speakers, to measure what would actually be heard.
    const connect = AudioNode.prototype.connect;
    window.__outputs = [];
    window.__tap = connect;
    AudioNode.prototype.connect = function (destination, ...rest) {
      if (destination instanceof AudioDestinationNode) window.__outputs.push(this);
      return connect.call(this, destination, ...rest);
    };
    window.RTCPeerConnection = class extends Native {
      constructor(...args) {
        super(...args);
        window.__pcs.push(this);
      }

      // With __breakIce set, the server's candidate points at a port nobody answers on, so ICE
      // never connects: what a blocked UDP port looks like to the browser.
      setRemoteDescription(description) {
        if (window.__breakIce && description?.sdp) {
          description = { type: description.type, sdp: description.sdp.replace(/(a=candidate:\S+ \d+ udp \d+ 127\.0\.0\.1) \d+/gi, '$1 9') };
        }
        return super.setRemoteDescription(description);
      }
    };
  });
  const page = await context.newPage();
  page.setDefaultTimeout(T);
  page.on('pageerror', (e) => consoleLines.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') consoleLines.push(`console ${m.type()}: ${m.text()}`.slice(0, 300));
  });
  if (proxyGateway) {
    // Bob's gateway goes through the test, which can cut it and make the resume fail (op 9),
    // as when a phone loses the network for longer than the resume window.
    await page.routeWebSocket(/\/gateway/, (ws) => {
      const server = ws.connectToServer();
      const entry = { ws, server };
      bobSocket = entry;
      ws.onMessage((m) => {
        const frame = JSON.parse(m);
        bobOps.push(frame.op);
        server.send(JSON.stringify(frame));
      });
      server.onMessage((m) => ws.send(m));
      ws.onClose((code, reason) => server.close({ code, reason }));
      server.onClose((code, reason) => ws.close({ code, reason }));
    });
  }
  return page;
}

async function register(page, name) {
  await page.getByRole('button', { name: 'Register' }).click();
  await page.getByLabel('Username').fill(name);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Continue' }).click();
}

async function joinByInvite(page, name) {
  await page.goto(`/invite/${inviteCode}`);
  await register(page, name);
  await page.getByRole('dialog', { name: 'Join a server' }).waitFor();
  await page.getByRole('button', { name: 'Join Server' }).click();
  await page.getByRole('heading', { level: 2, name: 'general', exact: true }).waitFor();
}

/** Received audio on the page's live peer connections: RTP packets and decoded samples. */
function inbound(page) {
  return page.evaluate(async () => {
    let packets = 0;
    let samples = 0;
    for (const pc of window.__pcs ?? []) {
      if (pc.signalingState === 'closed') continue;
      (await pc.getStats()).forEach((s) => {
        if (s.type === 'inbound-rtp' && s.kind === 'audio') {
          packets += s.packetsReceived ?? 0;
          samples += s.totalSamplesReceived ?? 0;
        }
      });
    }
    return { packets, samples };
  });
}

/** The loudest RMS level (0..1) of what the page sends to its speakers during `ms` (after volume and deafen). */
function outputLevel(page, ms = 1500) {
  return page.evaluate(async (ms) => {
    const node = window.__outputs.filter((n) => n.context.state !== 'closed').at(-1);
    if (!node) return -1;
    const analyser = node.context.createAnalyser();
    analyser.fftSize = 2048;
    window.__tap.call(node, analyser);
    const buffer = new Float32Array(analyser.fftSize);
    let loudest = 0;
    for (const end = Date.now() + ms; Date.now() < end;) {
      await new Promise((r) => setTimeout(r, 20));
      analyser.getFloatTimeDomainData(buffer);
      let sum = 0;
      for (const x of buffer) sum += x * x;
      loudest = Math.max(loudest, Math.sqrt(sum / buffer.length));
    }
    node.disconnect(analyser);
    return loudest;
  }, ms);
}

/** How much the page received during `ms`. */
async function receivedDuring(page, ms) {
  const a = await inbound(page);
  await page.waitForTimeout(ms);
  const b = await inbound(page);
  return { packets: b.packets - a.packets, samples: b.samples - a.samples };
}

/** Waits until the page decodes audio: packets and samples keep growing (≥ 1 s of 48 kHz). */
async function waitForAudio(page, what) {
  const end = Date.now() + T;
  let last;
  while (Date.now() < end) {
    last = await receivedDuring(page, 1000);
    if (last.packets >= 25 && last.samples >= 24_000) return last;
  }
  assert.fail(`${what}: no audio arriving (last second: ${JSON.stringify(last)})`);
}

/** Waits until nothing arrives any more (a second of grace for packets in flight). */
async function waitForSilence(page, what) {
  const end = Date.now() + T;
  let last;
  await page.waitForTimeout(500);
  while (Date.now() < end) {
    last = await receivedDuring(page, 1500);
    if (last.packets <= 2) return last;
  }
  assert.fail(`${what}: audio still arriving (last 1.5 s: ${JSON.stringify(last)})`);
}

const voiceList = (page, channel) => page.getByRole('list', { name: `In ${channel}`, exact: true });
const voiceMember = (page, channel, name) => voiceList(page, channel).locator('li.voice-member', { hasText: name });
const voiceStatus = (page) => page.getByTestId('voice-status');

async function clickVoiceChannel(page, name) {
  await page.getByRole('button', { name: new RegExp(`^${name} \\(voice channel\\)`) }).click();
}

test('alice creates a server; bob joins it', async () => {
  alice = await newPage();
  await alice.goto('/');
  await register(alice, ALICE);
  await alice.getByText('You are not in any server yet.').waitFor();
  await alice.getByRole('button', { name: 'Create a server' }).first().click();
  await alice.getByLabel('Server name').fill('Voice Night');
  await alice.getByRole('button', { name: 'Create', exact: true }).click();
  await alice.getByRole('heading', { level: 2, name: 'general', exact: true }).waitFor();
  await alice.getByRole('heading', { name: 'Voice Channels' }).waitFor();
  await alice.getByRole('button', { name: 'Server menu' }).click();
  await alice.getByRole('menuitem', { name: 'Invite People' }).click();
  inviteCode = await alice.getByLabel('Invite link').getAttribute('data-invite-code');
  await alice.getByRole('button', { name: 'Done' }).click();
  guildId = await alice.evaluate(() => localStorage.getItem('together.ui.guild'));
  assert.ok(guildId);
  bob = await newPage({ proxyGateway: true });
  await joinByInvite(bob, BOB);
});

test('both join General through the UI, are listed for each other and hear each other', async () => {
  await clickVoiceChannel(alice, 'General');
  await voiceStatus(alice).filter({ hasText: 'Voice Connected' }).waitFor();
  // Bob sees alice in the channel before joining himself.
  await voiceMember(bob, 'General', ALICE).waitFor();
  await clickVoiceChannel(bob, 'General');
  await voiceStatus(bob).filter({ hasText: 'Voice Connected' }).waitFor();
  for (const page of [alice, bob]) {
    await voiceMember(page, 'General', ALICE).waitFor();
    await voiceMember(page, 'General', BOB).waitFor();
  }
  await bob.getByRole('button', { name: 'General (voice channel), connected' }).waitFor();
  const heardByBob = await waitForAudio(bob, 'bob hearing alice');
  const heardByAlice = await waitForAudio(alice, 'alice hearing bob');
  console.log(`# per second: bob got ${JSON.stringify(heardByBob)}, alice got ${JSON.stringify(heardByAlice)}`);
  // And it reaches the speakers through the Web Audio graph (not just the decoder).
  const levels = [await outputLevel(alice), await outputLevel(bob)];
  console.log(`# output levels: alice ${levels[0].toFixed(4)}, bob ${levels[1].toFixed(4)}`);
  for (const l of levels) assert.ok(l > 0.005, `audible output: ${levels}`);
  // The connection quality (RTT and loss from getStats) shows in the panel.
  await alice.getByTestId('voice-quality').filter({ hasText: /\d+ ms · [\d.]+% loss/ }).waitFor();
});

test('speaking rings light up from VOICE_SPEAKING (and locally for yourself)', async () => {
  // The fake microphone beeps: the SFU reads the level and announces speaking.
  await voiceMember(bob, 'General', ALICE).and(bob.locator('[data-speaking=true]')).waitFor();
  await voiceMember(alice, 'General', BOB).and(alice.locator('[data-speaking=true]')).waitFor();
  await voiceMember(alice, 'General', ALICE).and(alice.locator('[data-speaking=true]')).waitFor();
  await alice.screenshot({ path: join(shots, 'voice.png') });
});

test('mute: bob stops hearing alice and sees her mute icon; unmute brings her back', async () => {
  await alice.getByRole('button', { name: 'Mute', exact: true }).click();
  assert.equal(await alice.getByRole('button', { name: 'Mute', exact: true }).getAttribute('aria-pressed'), 'true');
  const row = voiceMember(bob, 'General', ALICE);
  await row.and(bob.locator('[data-muted=true]')).waitFor();
  await row.locator('.voice-flag[title=Muted]').waitFor();
  await waitForSilence(bob, 'bob while alice is muted');
  // A muted speaker's ring goes out.
  await row.and(bob.locator('[data-speaking=false]')).waitFor();
  // Alice still hears bob.
  await waitForAudio(alice, 'alice hearing bob while muted');
  await alice.getByRole('button', { name: 'Mute', exact: true }).click();
  await row.and(bob.locator('[data-muted=false]')).waitFor();
  await waitForAudio(bob, 'bob hearing alice after unmute');
});

test('deafen: bob hears nothing, is muted too, and alice sees the deafen icon', async () => {
  await bob.getByRole('button', { name: 'Deafen', exact: true }).click();
  assert.equal(await bob.getByRole('button', { name: 'Mute', exact: true }).getAttribute('aria-pressed'), 'true', 'deafen mutes too');
  const row = voiceMember(alice, 'General', BOB);
  await row.and(alice.locator('[data-deafened=true]')).waitFor();
  await row.locator('.voice-flag[title=Deafened]').waitFor();
  await waitForSilence(bob, 'bob while deafened');
  assert.ok((await outputLevel(bob)) < 0.001, 'nothing reaches bob\'s speakers while deafened');
  await waitForSilence(alice, 'alice while bob is deafened (and so muted)');
  await bob.getByRole('button', { name: 'Deafen', exact: true }).click();
  await row.and(alice.locator('[data-deafened=false]')).waitFor();
  await waitForAudio(bob, 'bob hearing again after undeafen');
  await waitForAudio(alice, 'alice hearing bob after he undeafened');
});

test('per-user volume 0–200 % changes what alice hears of bob, and is remembered', async () => {
  const normal = await outputLevel(alice);
  await voiceMember(alice, 'General', BOB).getByRole('button').click({ button: 'right' });
  const popover = alice.getByRole('dialog', { name: `Volume of ${BOB}` });
  await popover.getByRole('button', { name: 'Mute for me' }).click();
  await popover.getByText('0%').waitFor();
  await waitForAudio(alice, 'packets still arrive while bob is at 0 % for alice');
  const silent = await outputLevel(alice);
  const slider = alice.getByRole('slider', { name: `User volume of ${BOB}` });
  await slider.fill('175');
  const louder = await outputLevel(alice);
  console.log(`# alice's output: ${normal.toFixed(3)} at 100 %, ${silent.toFixed(4)} at 0 %, ${louder.toFixed(3)} at 175 %`);
  assert.ok(silent < 0.001, `silent at 0 %: ${silent}`);
  // Above 100 %: Web Audio gain, which audio.volume cannot do.
  assert.ok(louder > normal * 1.4, `louder at 175 %: ${louder} vs ${normal}`);
  await popover.getByText('175%').waitFor();
  await alice.keyboard.press('Escape');
  const bobId = await bob.evaluate(() => JSON.parse(localStorage.getItem('together.tokens')).userId);
  const stored = await alice.evaluate(() => Object.entries(localStorage).filter(([k]) => k.startsWith('together.voice.volumes.')).map(([, v]) => JSON.parse(v)));
  assert.deepEqual(stored, [{ [bobId]: 175 }]);
  await voiceMember(alice, 'General', BOB).getByRole('button').click();
  assert.equal(await alice.getByRole('slider', { name: `User volume of ${BOB}` }).inputValue(), '175');
  await alice.keyboard.press('Escape');
  await waitForAudio(alice, 'alice hearing bob at 175 %');
});

test('bob moves to another voice channel; the call follows him there', async () => {
  // A second voice channel, made over REST with alice's token (the settings UI has its own test).
  await alice.evaluate(async (g) => {
    const { token } = JSON.parse(localStorage.getItem('together.tokens'));
    const r = await fetch(`/api/v10/guilds/${g}/channels`, {
      method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Lounge', type: 2 }),
    });
    if (!r.ok) throw new Error(`create channel: ${r.status}`);
  }, guildId);
  await clickVoiceChannel(bob, 'Lounge');
  await voiceMember(alice, 'Lounge', BOB).waitFor();
  await voiceStatus(bob).filter({ hasText: 'Voice Connected' }).waitFor();
  assert.equal(await voiceMember(alice, 'General', BOB).count(), 0);
  // Alone in Lounge, bob hears nobody; alice hears nobody either.
  await waitForSilence(alice, 'alice after bob left General');
  await clickVoiceChannel(alice, 'Lounge');
  await voiceStatus(alice).filter({ hasText: 'Voice Connected' }).waitFor();
  await waitForAudio(bob, 'bob hearing alice in Lounge');
  await waitForAudio(alice, 'alice hearing bob in Lounge');
});

test('the gateway loses its session while in voice: bob rejoins and is heard again', async () => {
  const before = bobSocket;
  bobOps.length = 0;
  // To the server bob's connection ends for good (1000 ends the session, as an expired resume
  // window would, and the server drops his voice state and SFU peer); to bob's page it is a
  // network blip (4000), so it tries to resume, gets op 9, and identifies afresh.
  before.server.close({ code: 1000, reason: 'gone' });
  before.ws.close({ code: 4000, reason: 'blip' });
  await voiceMember(alice, 'Lounge', BOB).waitFor({ state: 'detached' });
  await bob.waitForFunction(() => !document.querySelector('.connection-banner'), null, { timeout: 30_000 });
  assert.ok(bobOps.includes(6), 'tried to resume');
  await voiceMember(alice, 'Lounge', BOB).waitFor({ timeout: 30_000 });
  await voiceStatus(bob).filter({ hasText: 'Voice Connected' }).waitFor({ timeout: 30_000 });
  assert.ok(bobSocket !== before && bobOps.includes(2), `identified again (ops sent: ${bobOps})`);
  await waitForAudio(alice, 'alice hearing bob after his re-identify');
  await waitForAudio(bob, 'bob hearing alice after his re-identify');
});

test('disconnect removes bob from the list for both', async () => {
  await bob.getByRole('button', { name: 'Disconnect' }).click();
  await voiceMember(alice, 'Lounge', BOB).waitFor({ state: 'detached' });
  await voiceMember(bob, 'Lounge', BOB).waitFor({ state: 'detached' });
  await voiceMember(bob, 'Lounge', ALICE).waitFor();
  assert.equal(await bob.locator('.voice-panel').count(), 0);
  await waitForSilence(alice, 'alice after bob disconnected');
  // Bob's microphone is released when he is not in a call.
  assert.equal(await bob.evaluate(() => window.__pcs.filter((pc) => pc.signalingState !== 'closed').length), 0);
});

test('a denied microphone explains how to allow it and joins nothing', async () => {
  carol = await newPage({ allowMic: false });
  await joinByInvite(carol, CAROL);
  await clickVoiceChannel(carol, 'Lounge');
  const alert = carol.locator('.voice-panel [role=alert]');
  await alert.filter({ hasText: 'Microphone access is blocked' }).waitFor();
  assert.match(await alert.textContent(), /Allow/);
  await carol.screenshot({ path: join(shots, 'voice-denied.png') });
  // No half-joined state: nobody sees carol in the channel, and her panel does not say connecting.
  await alice.waitForTimeout(1000);
  assert.equal(await voiceMember(alice, 'Lounge', CAROL).count(), 0);
  assert.equal(await voiceStatus(carol).count(), 0);
  assert.equal(await carol.evaluate(() => window.__pcs.length), 0);
  await carol.getByRole('button', { name: 'Dismiss' }).click();
  assert.equal(await carol.locator('.voice-panel').count(), 0);
});

test('voice settings: push to talk keeps the mic closed until the key is held; settings are remembered', async () => {
  await alice.getByRole('button', { name: 'Voice Settings' }).click();
  const dialog = alice.getByRole('dialog', { name: 'Voice Settings' });
  await dialog.getByLabel('Push to talk').check();
  await dialog.getByRole('button', { name: 'Change key' }).click();
  await alice.keyboard.press('KeyV');
  assert.equal(await dialog.getByTestId('ptt-key').textContent(), 'V');
  await dialog.getByLabel('Noise suppression').uncheck();
  await dialog.getByRole('button', { name: 'Done' }).click();
  const stored = await alice.evaluate(() => JSON.parse(localStorage.getItem('together.voice.settings')));
  assert.equal(stored.inputMode, 'push-to-talk');
  assert.equal(stored.pushToTalkKey, 'KeyV');
  assert.equal(stored.noiseSuppression, false);
  // Alice is in a call: the mic was re-acquired without noise suppression and swapped in place.
  await alice.waitForFunction(() => {
    const tracks = window.__pcs.filter((pc) => pc.signalingState !== 'closed').flatMap((pc) => pc.getSenders()).map((s) => s.track);
    return tracks.length === 1 && tracks[0]?.readyState === 'live' && tracks[0].getSettings().noiseSuppression === false;
  }, null, { timeout: 5000 });
  // Bob joins Lounge again to listen to alice.
  await clickVoiceChannel(bob, 'Lounge');
  await voiceStatus(bob).filter({ hasText: 'Voice Connected' }).waitFor();
  await waitForAudio(alice, 'alice hearing bob');
  // Alice's key is up: bob hears only silence frames (the track is disabled), so her ring stays off.
  const track = () => alice.evaluate(() => window.__pcs.filter((pc) => pc.signalingState !== 'closed')
    .flatMap((pc) => pc.getSenders()).map((s) => s.track).filter(Boolean).map((t) => t.enabled));
  assert.deepEqual(await track(), [false]);
  await alice.getByTestId('ptt-hint').filter({ hasText: 'Hold V to talk' }).waitFor();
  await alice.keyboard.down('KeyV');
  assert.deepEqual(await track(), [true]);
  await alice.getByTestId('ptt-hint').filter({ hasText: 'Transmitting' }).waitFor();
  await voiceMember(bob, 'Lounge', ALICE).and(bob.locator('[data-speaking=true]')).waitFor();
  await alice.keyboard.up('KeyV');
  assert.deepEqual(await track(), [false]);
  await voiceMember(bob, 'Lounge', ALICE).and(bob.locator('[data-speaking=false]')).waitFor();
  // Back to voice activity for whoever runs this next.
  await alice.getByRole('button', { name: 'Voice Settings' }).click();
  await alice.getByRole('dialog', { name: 'Voice Settings' }).getByLabel('Voice activity').check();
  await alice.getByRole('dialog', { name: 'Voice Settings' }).getByRole('button', { name: 'Done' }).click();
  assert.deepEqual(await track(), [true]);
});

test('phone width: the voice panel and participants fit in the drawer', async () => {
  await alice.setViewportSize({ width: 390, height: 844 });
  await alice.emulateMedia({ reducedMotion: 'reduce' }); // no drawer slide to wait for
  await alice.getByRole('button', { name: 'Open servers and channels' }).click();
  await voiceMember(alice, 'Lounge', BOB).waitFor();
  const panel = await alice.locator('.voice-panel').boundingBox();
  assert.ok(panel && panel.x >= 0 && panel.x + panel.width <= 390, `voice panel inside the screen: ${JSON.stringify(panel)}`);
  await alice.screenshot({ path: join(shots, 'voice-phone.png') });
  await alice.getByRole('button', { name: 'Disconnect' }).click();
  await voiceMember(bob, 'Lounge', ALICE).waitFor({ state: 'detached' });
  await bob.getByRole('button', { name: 'Disconnect' }).click();
  await alice.setViewportSize({ width: 1280, height: 800 });
});

test('a connection that cannot be made says so, leaves the channel, and Retry connects', async () => {
  await bob.evaluate(() => (window.__breakIce = true));
  await clickVoiceChannel(bob, 'General');
  await voiceStatus(bob).filter({ hasText: 'Connecting…' }).waitFor();
  await voiceMember(alice, 'General', BOB).waitFor();
  // 15 s without ICE+DTLS connected: the panel explains and offers Retry.
  const alert = bob.locator('.voice-panel [role=alert]');
  await alert.filter({ hasText: 'Could not connect to voice' }).waitFor({ timeout: 25_000 });
  // Nobody is left looking at a ghost that cannot hear them.
  await voiceMember(alice, 'General', BOB).waitFor({ state: 'detached' });
  await bob.evaluate(() => (window.__breakIce = false));
  await alert.getByRole('button', { name: 'Retry' }).click();
  await voiceStatus(bob).filter({ hasText: 'Voice Connected' }).waitFor();
  await voiceMember(alice, 'General', BOB).waitFor();
  await bob.getByRole('button', { name: 'Disconnect' }).click();
  await voiceMember(alice, 'General', BOB).waitFor({ state: 'detached' });
});
