// Files end to end in headless Chromium against a real server: alice sends images (file picker,
// paste, drop) and bob sees them live, sized before they load, in a lightbox; a spoiler stays
// hidden until clicked; other files are download cards; uploads show progress and can be
// cancelled; a file over the server's limit and one over the client's are refused in words;
// avatars and the server icon reach the other person at once.
import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';
import { reportFailure, repoRoot, startStack } from './harness.mjs';

// As in chat.e2e.mjs: into docs/screenshots with UPDATE_SCREENSHOTS=1, else e2e-artifacts.
const shots = process.env.UPDATE_SCREENSHOTS === '1'
  ? join(repoRoot, 'docs/screenshots')
  : join(dirname(fileURLToPath(import.meta.url)), '../e2e-artifacts/screenshots');
mkdirSync(shots, { recursive: true });

const T = 15_000;
const suffix = Date.now().toString(36).slice(-5);
const ALICE = `alice_${suffix}`;
const BOB = `bob_${suffix}`;
const PASSWORD = 'correct horse battery';
// The server's limit, small here so "too large" costs a 2 MB upload, not 26 MB. ASP.NET reads
// Files__MaxUploadBytes from the environment the harness passes on to the server.
const SERVER_LIMIT = 1024 * 1024;

let stack;
let alice;
let bob;
const consoleLines = [];

// ---- test images: real PNGs, made here (no image library needed) ----
const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}
/** An RGB PNG, a diagonal gradient in the given hue, so thumbnails are not trivially tiny. */
function png(width, height, [r, g, b]) {
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    const row = y * (width * 3 + 1);
    for (let x = 0; x < width; x++) {
      const t = (x + y) / (width + height);
      raw[row + 1 + x * 3] = Math.round(r * t);
      raw[row + 2 + x * 3] = Math.round(g * t);
      raw[row + 3 + x * 3] = Math.round(b * t);
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

before(async () => {
  process.env.Files__MaxUploadBytes = String(SERVER_LIMIT);
  stack = await startStack();
  console.log(`# web client served by ${stack.servedBy} at ${stack.base}, API at ${stack.api}`);
});

after(async () => {
  await stack?.close();
});

afterEach((t) => reportFailure(t, {
  stack, consoleLines, pages: { alice, bob }, prefix: 'files-',
  describe: (page) => page.evaluate(() => ({
    alerts: [...document.querySelectorAll('[role=alert]')].map((e) => e.textContent),
    messages: [...document.querySelectorAll('li.message')].slice(-5).map((e) => e.textContent?.slice(0, 120)),
  })),
}));

async function newPage() {
  const context = await stack.browser.newContext({ viewport: { width: 1280, height: 800 }, baseURL: stack.base, acceptDownloads: true });
  const page = await context.newPage();
  page.setDefaultTimeout(T);
  page.on('pageerror', (e) => console.log(`# page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') consoleLines.push(`console ${m.type()}: ${m.text()}`.slice(0, 300));
  });
  return page;
}

async function register(page, name) {
  await page.getByRole('button', { name: 'Register' }).click();
  await page.getByLabel('Username').fill(name);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Continue' }).click();
}

const messageRow = (page, text) => page.locator('li.message', { hasText: text });
const composer = (page) => page.getByLabel('Message #general');

/** Puts files on the page's clipboard event or drop, as the browser would hand them over. */
async function dispatchFiles(page, selector, kind, files) {
  await page.locator(selector).first().evaluate((el, { kind, files }) => {
    const dt = new DataTransfer();
    // `size` makes a file of zeros in the page, sparing a large transfer through DevTools.
    for (const f of files) dt.items.add(new File([f.size ? new Uint8Array(f.size) : new Uint8Array(f.bytes)], f.name, { type: f.type }));
    if (kind === 'paste') {
      el.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
    } else {
      for (const type of ['dragenter', 'dragover', 'drop']) el.dispatchEvent(new DragEvent(type, { dataTransfer: dt, bubbles: true, cancelable: true }));
    }
  }, { kind, files: files.map((f) => ({ ...f, bytes: f.bytes ? [...f.bytes] : [] })) });
}

test('alice and bob share a server', async () => {
  alice = await newPage();
  await alice.goto('/');
  await register(alice, ALICE);
  await alice.getByText('You are not in any server yet.').waitFor();
  await alice.getByRole('button', { name: 'Create a server' }).first().click();
  await alice.getByLabel('Server name').fill('Photo Club');
  // An icon picked while creating it goes with the create call.
  await alice.getByLabel('Choose an icon image').setInputFiles({ name: 'club.png', mimeType: 'image/png', buffer: png(64, 64, [255, 0, 0]) });
  await alice.getByRole('button', { name: 'Change the server icon' }).locator('img').waitFor();
  await alice.getByRole('button', { name: 'Create', exact: true }).click();
  await alice.getByRole('heading', { level: 2, name: 'general', exact: true }).waitFor();
  await alice.getByRole('button', { name: 'Photo Club' }).locator('img[src^="/icons/"]').waitFor();
  await alice.getByRole('button', { name: 'Server menu' }).click();
  await alice.getByRole('menuitem', { name: 'Invite People' }).click();
  const code = await alice.getByLabel('Invite link').getAttribute('data-invite-code');
  await alice.getByRole('button', { name: 'Done' }).click();

  bob = await newPage();
  await bob.goto(`/invite/${code}`);
  await register(bob, BOB);
  await bob.getByRole('button', { name: 'Join Server' }).click();
  await bob.getByRole('heading', { level: 2, name: 'general', exact: true }).waitFor();
  await alice.locator('.member-pane .member', { hasText: BOB }).waitFor();
});

test('an image from the file picker: tray, send, bob sees the preview live and opens the lightbox', async () => {
  await alice.getByLabel('Upload files').setInputFiles({ name: 'sunset.png', mimeType: 'image/png', buffer: png(600, 400, [255, 140, 0]) });
  const tray = alice.getByRole('list', { name: 'Files to upload' });
  await tray.getByText('sunset.png').waitFor();
  await alice.screenshot({ path: join(shots, 'files-tray.png') });
  assert.ok(await tray.locator('img').evaluate((img) => img.src.startsWith('blob:')), 'an image in the tray shows its thumbnail');
  await alice.getByRole('button', { name: 'Describe sunset.png' }).click();
  await alice.getByLabel('Description of sunset.png').fill('orange <b>sky</b>');
  await alice.getByLabel('Description of sunset.png').press('Enter');
  await composer(alice).fill('look at this');
  await composer(alice).press('Enter');
  await tray.waitFor({ state: 'detached' });

  const row = messageRow(bob, 'look at this');
  const preview = row.getByRole('button', { name: 'Open image sunset.png' });
  await preview.waitFor();
  const img = preview.locator('img');
  // Sized from the attachment's width/height before it loads: 600×400 fits 400×300 as 400×267.
  assert.equal(await img.getAttribute('width'), '400');
  assert.equal(await img.getAttribute('height'), '267');
  assert.equal(await img.getAttribute('alt'), 'orange <b>sky</b>', 'the description is the alt text, as text');
  assert.match(await img.getAttribute('src'), /\/attachments\/\d+\/\d+\/sunset\.png\?ex=[0-9a-f]+&is=[0-9a-f]+&hm=[0-9a-f]+&width=400&height=267$/);
  await img.evaluate((el) => (el.complete ? null : new Promise((r) => { el.onload = r; el.onerror = r; })));
  assert.ok(await img.evaluate((el) => el.naturalWidth) > 0, 'the thumbnail loads');

  await preview.click();
  const box = bob.getByRole('dialog', { name: 'Image: sunset.png' });
  await box.waitFor();
  const full = box.locator('img');
  await full.evaluate((el) => (el.complete ? null : new Promise((r) => { el.onload = r; el.onerror = r; })));
  assert.equal(await full.evaluate((el) => el.naturalWidth), 600, 'the lightbox shows the original');
  await bob.screenshot({ path: join(shots, 'files-lightbox.png') });
  assert.match(await box.getByRole('link', { name: 'Open original' }).getAttribute('href'), /sunset\.png\?ex=/);
  // "Open original" opens the file in a tab; the service worker must not keep it as the app shell.
  await bob.waitForFunction(() => !!navigator.serviceWorker?.controller);
  const [tab] = await Promise.all([bob.context().waitForEvent('page'), box.getByRole('link', { name: 'Open original' }).click()]);
  await tab.waitForLoadState('load');
  assert.match(tab.url(), /\/attachments\/\d+\/\d+\/sunset\.png\?ex=/);
  await tab.close();
  assert.ok(await bob.evaluate(async () => (await (await caches.match('/index.html'))?.text())?.includes('<div id="root">')),
    'the cached app shell is still the app');
  await box.getByRole('link', { name: 'Open original' }).focus();
  await bob.keyboard.press('Shift+Tab');
  assert.equal(await bob.evaluate(() => document.activeElement?.getAttribute('aria-label')), 'Close image');
  // Keyboard: Tab moves between "Open original" and Close without leaving the lightbox.
  await bob.keyboard.press('Tab');
  assert.equal(await bob.evaluate(() => document.activeElement?.textContent), 'Open original');
  await bob.keyboard.press('Tab');
  assert.equal(await bob.evaluate(() => document.activeElement?.getAttribute('aria-label')), 'Close image');
  await bob.keyboard.press('Escape');
  await box.waitFor({ state: 'detached' });
  assert.equal(await bob.evaluate(() => document.activeElement?.getAttribute('aria-label')), 'Open image sunset.png', 'focus returns to the preview');
  // A click outside the image closes it too.
  await preview.click();
  await box.waitFor();
  await bob.mouse.click(5, 5);
  await box.waitFor({ state: 'detached' });

  // On a phone the preview narrows and keeps its shape (600×400 → 3:2).
  await bob.setViewportSize({ width: 360, height: 740 });
  try {
    const r = await preview.boundingBox();
    assert.ok(r.width < 330, `preview ${r.width}px wide on a 360px screen`);
    assert.ok(Math.abs(r.width / r.height - 1.5) < 0.02, `aspect ${r.width}×${r.height}`);
    await bob.screenshot({ path: join(shots, 'files-phone.png') });
  } finally {
    await bob.setViewportSize({ width: 1280, height: 800 });
  }
});

test('an expired link is refreshed through refresh-urls and the image loads', async () => {
  // The first fetch of this image answers as an expired signed URL does (404); the client asks
  // for a fresh URL and loads again.
  let refused = 0;
  await bob.route(/\/attachments\/\d+\/\d+\/later\.png\?/, (route) => {
    if (refused++ === 0) return route.fulfill({ status: 404, contentType: 'application/json', body: '{"message":"This content is no longer available.","code":0}' });
    return route.continue();
  });
  const refreshed = bob.waitForRequest((r) => r.url().endsWith('/api/v10/attachments/refresh-urls') && r.method() === 'POST');
  await alice.getByLabel('Upload files').setInputFiles({ name: 'later.png', mimeType: 'image/png', buffer: png(200, 100, [0, 255, 0]) });
  await composer(alice).press('Enter');
  const request = await refreshed;
  assert.match(request.postDataJSON().attachment_urls[0], /\/later\.png\?ex=/);
  const img = bob.getByRole('button', { name: 'Open image later.png' }).locator('img');
  await bob.waitForFunction(() => [...document.querySelectorAll('img[alt="later.png"]')].some((el) => el.complete && el.naturalWidth === 200));
  assert.equal(await img.count(), 1);
  assert.ok(refused >= 2, 'the image was fetched again');
  await bob.unroute(/later\.png/);
});

test('a pasted screenshot marked as spoiler stays hidden for bob until clicked', async () => {
  await dispatchFiles(alice, '[aria-label="Message #general"]', 'paste', [{ name: 'image.png', type: 'image/png', bytes: png(300, 200, [0, 160, 255]) }]);
  const tray = alice.getByRole('list', { name: 'Files to upload' });
  const item = tray.getByRole('listitem');
  await item.waitFor();
  const name = (await item.getAttribute('aria-label'));
  assert.match(name, /^image_\d{8}_\d{6}\.png$/, 'a pasted image gets a time-stamped name');
  await alice.getByRole('button', { name: `Mark ${name} as spoiler` }).click();
  assert.equal(await alice.getByRole('button', { name: `Mark ${name} as spoiler` }).getAttribute('aria-pressed'), 'true');
  await composer(alice).fill('spoiler ahead');
  await composer(alice).press('Enter');

  const row = messageRow(bob, 'spoiler ahead');
  const reveal = row.getByRole('button', { name: 'Spoiler image: reveal' });
  await reveal.waitFor();
  assert.equal(await row.getByRole('button', { name: /^Open image/ }).count(), 0, 'the image is not usable until revealed');
  await reveal.click();
  await row.getByRole('button', { name: `Open image SPOILER_${name}` }).waitFor();
  await bob.screenshot({ path: join(shots, 'files-chat.png') });
});

test('a file dropped on the chat is a download card; the link downloads it', async () => {
  const text = 'line one\nline two <script>alert(1)</script>\n';
  await dispatchFiles(alice, 'section.chat', 'drop', [{ name: 'notes.txt', type: 'text/plain', bytes: Buffer.from(text) }]);
  await alice.getByRole('list', { name: 'Files to upload' }).getByText('notes.txt').waitFor();
  // Files only: no text needed.
  await composer(alice).press('Enter');
  const link = bob.locator('li.message .attachment-file').getByRole('link', { name: 'notes.txt', exact: true });
  await link.waitFor();
  assert.ok((await bob.locator('li.message .attachment-file').last().textContent()).includes('bytes'));
  const [download] = await Promise.all([bob.waitForEvent('download'), link.click()]);
  assert.equal(download.suggestedFilename(), 'notes.txt');
  assert.equal(readFileSync(await download.path(), 'utf8'), text);
});

test('an upload shows its progress and can be cancelled', async () => {
  // Slow the upload down so its progress can be seen (DevTools network throttling).
  const cdp = await alice.context().newCDPSession(alice);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 200 * 1024 });
  try {
    await alice.getByLabel('Upload files').setInputFiles({ name: 'big.bin', mimeType: 'application/octet-stream', buffer: Buffer.alloc(900 * 1024, 7) });
    await composer(alice).fill('slow upload');
    await composer(alice).press('Enter');
    const bar = alice.getByRole('progressbar', { name: 'Uploading big.bin' });
    await bar.waitFor();
    await alice.waitForFunction(() => {
      const v = Number(document.querySelector('[role=progressbar]')?.getAttribute('aria-valuenow'));
      return v > 0 && v < 100;
    });
    await alice.screenshot({ path: join(shots, 'files-progress.png') });
    await alice.getByRole('button', { name: 'Cancel upload of big.bin' }).click();
    await messageRow(alice, 'slow upload').waitFor({ state: 'detached' });
  } finally {
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
    await cdp.detach();
  }
  // DevTools throttles the progress Chromium reports more than the bytes it sends: on a fast
  // machine the server can have the whole upload, and store the message, before the cancel.
  // Either way both people must agree: the message is on both screens or on neither.
  await composer(alice).fill('after the cancel');
  await composer(alice).press('Enter');
  await messageRow(bob, 'after the cancel').waitFor();
  await messageRow(alice, 'after the cancel').and(alice.locator('[data-message-id]')).waitFor();
  const onBob = await messageRow(bob, 'slow upload').count();
  assert.equal(await messageRow(alice, 'slow upload').and(alice.locator('[data-message-id]')).count(), onBob);
});

test('too large: over the server limit fails in words with Retry; over 25 MB is refused before uploading', async () => {
  await alice.getByLabel('Upload files').setInputFiles({ name: 'huge.bin', mimeType: 'application/octet-stream', buffer: Buffer.alloc(2 * SERVER_LIMIT, 1) });
  await composer(alice).fill('too big for the server');
  await composer(alice).press('Enter');
  const row = messageRow(alice, 'too big for the server');
  await row.getByRole('alert').filter({ hasText: 'huge.bin is over the 1 MB limit' }).waitFor();
  await row.getByRole('button', { name: 'Retry' }).waitFor();
  await row.getByRole('button', { name: 'Discard' }).click();
  await row.waitFor({ state: 'detached' });

  // Past the server's cap on a whole request (10 files × its limit + 1 MB) it answers before
  // reading the body, without naming a file.
  await dispatchFiles(alice, 'section.chat', 'drop', [{ name: 'huger.bin', type: 'application/octet-stream', size: 12 * SERVER_LIMIT }]);
  await composer(alice).fill('far too big');
  await composer(alice).press('Enter');
  const capped = messageRow(alice, 'far too big');
  await capped.getByRole('alert').filter({ hasText: 'The upload is too large for this server.' }).waitFor();
  await capped.getByRole('button', { name: 'Discard' }).click();
  await capped.waitFor({ state: 'detached' });

  await dispatchFiles(alice, 'section.chat', 'drop', [{ name: 'movie.mkv', type: 'video/x-matroska', size: 25 * 1024 * 1024 + 1 }]);
  await alice.getByRole('alert').filter({ hasText: 'movie.mkv is too large: files can be up to 25 MB.' }).waitFor();
  assert.equal(await alice.getByRole('list', { name: 'Files to upload' }).count(), 0, 'nothing was added');
});

test('without Attach Files, bob has no + and files dropped on the chat are not taken', async () => {
  // Alice denies ATTACH_FILES (1 << 15) to @everyone in #general, over the API.
  await alice.evaluate(async () => {
    const { token } = JSON.parse(localStorage.getItem('together.tokens'));
    const api = (path, init = {}) => fetch(`/api/v10${path}`, { ...init, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } })
      .then((r) => (r.status === 204 ? null : r.json()));
    const [guild] = await api('/users/@me/guilds');
    const general = (await api(`/guilds/${guild.id}/channels`)).find((c) => c.name === 'general' && c.type === 0);
    await api(`/channels/${general.id}/permissions/${guild.id}`, { method: 'PUT', body: JSON.stringify({ type: 0, allow: '0', deny: String(1 << 15) }) });
  });
  await bob.getByRole('button', { name: 'Upload a file' }).waitFor({ state: 'detached' });
  await dispatchFiles(bob, 'section.chat', 'drop', [{ name: 'nope.txt', type: 'text/plain', bytes: Buffer.from('no') }]);
  await dispatchFiles(bob, '[aria-label="Message #general"]', 'paste', [{ name: 'nope.png', type: 'image/png', bytes: png(10, 10, [1, 2, 3]) }]);
  await bob.waitForTimeout(300); // an absence: give a wrongly added tray the time to render
  assert.equal(await bob.getByRole('list', { name: 'Files to upload' }).count(), 0);
  // Alice owns the server: she keeps hers.
  assert.equal(await alice.getByRole('button', { name: 'Upload a file' }).count(), 1);
});

test('alice sets an avatar; bob sees it at once in the member list and on her messages', async () => {
  await alice.getByRole('button', { name: 'Set status' }).click();
  await alice.getByRole('menuitem', { name: 'My Account (avatar)' }).click();
  const dialog = alice.getByRole('dialog', { name: 'My Account' });
  await dialog.getByLabel('Choose an avatar image').setInputFiles({ name: 'me.png', mimeType: 'image/png', buffer: png(300, 200, [200, 0, 200]) });
  await dialog.getByRole('img', { name: 'New avatar preview' }).waitFor();
  await dialog.getByRole('button', { name: 'Save Avatar' }).click();
  await dialog.getByRole('button', { name: 'Remove Avatar' }).waitFor();
  await dialog.getByRole('button', { name: 'Close' }).click();

  // Bob sees it at once, without alice sending anything: the server sends a GUILD_MEMBER_UPDATE
  // with her new user to everyone who shares a server with her.
  const aliceId = await alice.evaluate(() => JSON.parse(localStorage.getItem('together.tokens')).userId);
  const inList = bob.locator(`.member-pane .member[data-user-id="${aliceId}"] .avatar img`);
  await inList.waitFor();
  assert.match(await inList.getAttribute('src'), new RegExp(`^/avatars/${aliceId}/[0-9a-f]{32}\\.webp\\?size=64$`));
  await inList.evaluate((el) => (el.complete ? null : new Promise((r) => { el.onload = r; el.onerror = r; })));
  assert.equal(await inList.evaluate((el) => el.naturalWidth), 64);
  await messageRow(bob, 'look at this').locator('.message-header .avatar img').waitFor();
  assert.match(await messageRow(bob, 'look at this').locator('.message-header .avatar img').getAttribute('src'), /\/avatars\//);
  // Her own user panel too.
  await alice.locator('.user-panel .avatar img').waitFor();

  // Removing it brings the initial back everywhere.
  await alice.getByRole('button', { name: 'Set status' }).click();
  await alice.getByRole('menuitem', { name: 'My Account (avatar)' }).click();
  await alice.getByRole('dialog', { name: 'My Account' }).getByRole('button', { name: 'Remove Avatar' }).click();
  await alice.getByRole('dialog', { name: 'My Account' }).getByRole('button', { name: 'Change Avatar' }).waitFor();
  await alice.getByRole('dialog', { name: 'My Account' }).getByRole('button', { name: 'Close' }).click();
  await alice.locator('.user-panel .avatar img').waitFor({ state: 'detached' });
  await inList.waitFor({ state: 'detached' });
});

test('alice changes the server icon in settings; bob\'s rail shows the new one at once', async () => {
  const icon = bob.getByRole('button', { name: 'Photo Club' }).locator('img');
  const before = await icon.getAttribute('src'); // the icon chosen at creation
  assert.match(before, /^\/icons\/\d+\/[0-9a-f]{32}\.webp\?size=128$/);
  await alice.getByRole('button', { name: 'Server menu' }).click();
  await alice.getByRole('menuitem', { name: 'Server Settings' }).click();
  await alice.getByLabel('Choose an icon image').setInputFiles({ name: 'icon.png', mimeType: 'image/png', buffer: png(128, 128, [0, 200, 80]) });
  await alice.getByRole('button', { name: 'Save Icon' }).click();
  await alice.getByRole('button', { name: 'Remove Icon' }).waitFor();
  await alice.getByRole('button', { name: 'Close settings' }).click();
  await bob.waitForFunction((old) => {
    const img = [...document.querySelectorAll('.server-rail img')][0];
    return img && img.getAttribute('src') !== old && img.complete && img.naturalWidth > 0;
  }, before);
  assert.match(await icon.getAttribute('src'), /^\/icons\/\d+\/[0-9a-f]{32}\.webp\?size=128$/);
});
