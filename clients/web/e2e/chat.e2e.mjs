// End to end in real headless Chromium against a real server: two people in two browser
// contexts register, create and join a server by invite, chat both ways in real time, edit,
// delete and react; a reload keeps the session; the phone layout uses drawers.
import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { reportFailure, repoRoot, startStack, webDir } from './harness.mjs';

// Screenshots of the main screens: into docs/screenshots with UPDATE_SCREENSHOTS=1 (then commit
// them), else into clients/web/e2e-artifacts/screenshots so a test run leaves the tree clean.
const shots = process.env.UPDATE_SCREENSHOTS === '1'
  ? join(repoRoot, 'docs/screenshots')
  : join(dirname(fileURLToPath(import.meta.url)), '../e2e-artifacts/screenshots');
mkdirSync(shots, { recursive: true });
const T = 15_000;
const suffix = Date.now().toString(36).slice(-5);
const ALICE = `alice_${suffix}`;
const BOB = `bob_${suffix}`;
const PASSWORD = 'correct horse battery';

let stack;
let alice; // page
let bob; // page
let bobContext;
let inviteCode;

before(async () => {
  stack = await startStack();
  console.log(`# web client served by ${stack.servedBy} at ${stack.base}, API at ${stack.api}`);
});

after(async () => {
  await stack?.close();
});

// On a failure, keep what both people saw (clients/web/e2e-artifacts/, not committed).
afterEach((t) => reportFailure(t, {
  stack, consoleLines, pages: { alice, bob },
  describe: (page) => page.evaluate(() => ({
    alerts: [...document.querySelectorAll('[role=alert]')].map((e) => e.textContent),
    channels: [...document.querySelectorAll('.channel-sidebar button, nav button')].map((e) => e.getAttribute('aria-label') ?? e.textContent).slice(0, 40),
  })),
}));

// Browser console warnings and errors, printed with a failing test.
const consoleLines = [];

async function newPage(viewport = { width: 1280, height: 800 }) {
  const context = await stack.browser.newContext({ viewport, baseURL: stack.base });
  const page = await context.newPage();
  page.setDefaultTimeout(T);
  page.on('pageerror', (e) => console.log(`# page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') consoleLines.push(`console ${m.type()}: ${m.text()}`.slice(0, 300));
  });
  page.on('response', (r) => {
    if (r.status() >= 400) consoleLines.push(`HTTP ${r.status()} ${r.request().method()} ${r.url()}`);
  });
  return { context, page };
}

async function register(page, name) {
  await page.getByRole('button', { name: 'Register' }).click();
  await page.getByLabel('Username').fill(name);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Continue' }).click();
}

const messageRow = (page, text) => page.locator('li.message', { hasText: text });

test('alice registers, creates a server and gets an invite', async () => {
  ({ page: alice } = await newPage());
  await alice.goto('/');
  await alice.getByRole('heading', { name: 'Welcome back!' }).waitFor();
  await alice.screenshot({ path: join(shots, 'login.png') });
  await register(alice, ALICE);
  await alice.getByText('You are not in any server yet.').waitFor();
  await alice.getByRole('button', { name: 'Create a server' }).first().click();
  await alice.getByLabel('Server name').fill('Game Night');
  await alice.getByRole('button', { name: 'Create', exact: true }).click();
  await alice.getByRole('heading', { level: 2, name: 'general', exact: true }).waitFor();
  await alice.getByRole('button', { name: 'Game Night' }).waitFor();
  await alice.getByRole('heading', { name: 'Text Channels' }).waitFor();
  await alice.getByRole('button', { name: 'Server menu' }).click();
  await alice.getByRole('menuitem', { name: 'Invite People' }).click();
  const link = alice.getByLabel('Invite link');
  await link.waitFor();
  const value = await link.inputValue();
  inviteCode = await link.getAttribute('data-invite-code');
  assert.match(value, new RegExp(`/invite/${inviteCode}$`));
  await alice.screenshot({ path: join(shots, 'invite.png') });
  await alice.getByRole('button', { name: 'Done' }).click();
});

test('bob opens the invite link, registers and joins', async () => {
  ({ context: bobContext, page: bob } = await newPage());
  await bob.goto(`/invite/${inviteCode}`);
  await register(bob, BOB);
  await bob.getByRole('dialog', { name: 'Join a server' }).waitFor();
  await bob.getByText('Game Night').waitFor(); // the invite preview
  await bob.getByRole('button', { name: 'Join Server' }).click();
  await bob.getByRole('heading', { level: 2, name: 'general', exact: true }).waitFor();
  // Alice sees bob arrive in the member list, online.
  await alice.locator('.member-pane .member:not(.offline)', { hasText: BOB }).waitFor();
});

test('chat both ways in real time, with markdown', async () => {
  await alice.getByLabel('Message #general').fill('hello **bob**, welcome!');
  await alice.getByLabel('Message #general').press('Enter');
  const atBob = messageRow(bob, 'welcome!');
  await atBob.waitFor();
  assert.equal(await atBob.locator('strong').textContent(), 'bob');

  // Typing indicator, then Shift+Enter makes a new line, Enter sends.
  await bob.getByLabel('Message #general').pressSequentially('hi al');
  await alice.getByText(`${BOB} is typing…`).waitFor();
  await bob.getByLabel('Message #general').press('Shift+Enter');
  await bob.getByLabel('Message #general').pressSequentially('second line');
  await bob.getByLabel('Message #general').press('Enter');
  const atAlice = messageRow(alice, 'second line');
  await atAlice.waitFor();
  assert.equal(await atAlice.locator('.content br').count(), 1);
  await alice.getByText(`${BOB} is typing…`).waitFor({ state: 'detached' });
});

test('user content with HTML renders as text', async () => {
  const attack = '<img src=x onerror="window.__pwned=1"> <script>window.__pwned=2</script>';
  await bob.getByLabel('Message #general').fill(attack);
  await bob.getByLabel('Message #general').press('Enter');
  const row = messageRow(alice, 'onerror');
  await row.waitFor();
  assert.equal(await row.locator('img, script').count(), 0);
  assert.equal(await alice.evaluate(() => window.__pwned), undefined);
  assert.ok((await row.locator('.content').textContent()).includes('<img src=x'));
});

test('edit with the Up arrow; bob sees the edit', async () => {
  await alice.getByLabel('Message #general').click();
  await alice.getByLabel('Message #general').press('ArrowUp');
  const box = alice.getByRole('textbox', { name: 'Edit message' });
  await box.waitFor();
  await box.fill('edited by alice');
  await box.press('Enter');
  const row = messageRow(bob, 'edited by alice');
  await row.waitFor();
  await row.locator('.edited').waitFor();
});

test('reactions: bob reacts, alice adds hers with one click', async () => {
  const row = messageRow(bob, 'edited by alice');
  await row.hover();
  await row.getByRole('button', { name: 'Add reaction' }).click();
  await row.getByRole('button', { name: 'React with 👍' }).click();
  const atAlice = messageRow(alice, 'edited by alice').locator('.reaction');
  await atAlice.filter({ hasText: '1' }).waitFor();
  await atAlice.click();
  await messageRow(bob, 'edited by alice').locator('.reaction', { hasText: '2' }).waitFor();
  assert.equal(await atAlice.getAttribute('aria-pressed'), 'true');
  await alice.screenshot({ path: join(shots, 'chat.png') });
});

test('delete: bob removes his message, alice stops seeing it', async () => {
  const row = messageRow(bob, 'second line');
  await row.hover();
  await row.getByRole('button', { name: 'Delete message' }).click();
  await row.getByRole('button', { name: 'Delete', exact: true }).click();
  await messageRow(alice, 'second line').waitFor({ state: 'detached' });
  await messageRow(bob, 'second line').waitFor({ state: 'detached' });
});

test('a reload keeps the session and the history', async () => {
  await bob.reload();
  await bob.getByRole('heading', { level: 2, name: 'general', exact: true }).waitFor();
  await messageRow(bob, 'edited by alice').waitFor();
  assert.equal(await bob.getByTestId('self-name').textContent(), BOB);
});

async function api(page, method, path, body) {
  const tokens = await page.evaluate(() => JSON.parse(localStorage.getItem('together.tokens')));
  const res = await fetch(`${stack.api}/api/v10${path}`, {
    method,
    headers: { authorization: `Bearer ${tokens.token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return res.status === 204 ? null : res.json();
}

async function generalChannel(page) {
  const [guild] = await api(page, 'GET', '/users/@me/guilds');
  const channels = await api(page, 'GET', `/guilds/${guild.id}/channels`);
  return { guild, general: channels.find((c) => c.name === 'general') };
}

test('infinite scroll upwards loads older pages (before=) and keeps the place', async () => {
  const { general } = await generalChannel(alice);
  for (let i = 1; i <= 110; i++) {
    await api(alice, 'POST', `/channels/${general.id}/messages`, { content: `scroll-${String(i).padStart(3, '0')}` });
  }
  const page = await bobContext.newPage();
  page.setDefaultTimeout(T);
  const pages = [];
  page.on('request', (r) => r.url().includes('/messages?') && pages.push(new URL(r.url()).search));
  await page.goto('/');
  await messageRow(page, 'scroll-110').waitFor();
  assert.equal(await messageRow(page, 'scroll-001').count(), 0);
  const scroller = page.locator('.message-scroller');
  for (let i = 0; i < 10 && !(await page.getByText('This is the start of the #general channel.').count()); i++) {
    const before = await messageRow(page, /scroll-\d+/).count();
    await scroller.evaluate((el) => { el.scrollTop = 0; el.dispatchEvent(new Event('scroll')); });
    await page.waitForFunction((n) => document.querySelectorAll('li.message').length > n
      || !!document.querySelector('.channel-start'), before);
    // Loading older messages keeps the reader's place instead of jumping to the top.
    assert.ok(await scroller.evaluate((el) => el.scrollTop) > 0 || await page.locator('.channel-start').count());
  }
  await messageRow(page, 'scroll-001').waitFor({ state: 'attached' });
  assert.ok(pages.some((q) => q.includes('before=')), `keyset paging used: ${pages.join(' ')}`);
  await page.screenshot({ path: join(shots, 'history.png') });
  await page.close();
});

test('a private channel is not shown to a member who cannot view it', async () => {
  const { guild } = await generalChannel(alice);
  const VIEW_CHANNEL = 1 << 10;
  await api(alice, 'POST', `/guilds/${guild.id}/channels`, {
    name: 'staff-only', type: 0, permission_overwrites: [{ id: guild.id, type: 0, allow: '0', deny: String(VIEW_CHANNEL) }],
  });
  await api(alice, 'POST', `/guilds/${guild.id}/channels`, { name: 'memes', type: 0 });
  await alice.getByRole('button', { name: 'staff-only' }).waitFor();
  await bob.getByRole('button', { name: 'memes' }).waitFor();
  assert.equal(await bob.getByRole('button', { name: 'staff-only' }).count(), 0);
  await bob.reload();
  await bob.getByRole('button', { name: 'memes' }).waitFor();
  assert.equal(await bob.getByRole('button', { name: 'staff-only' }).count(), 0);
});

test('unread marker on another channel clears when opened; replies show what they answer', async () => {
  await alice.getByRole('button', { name: 'memes' }).click();
  await alice.getByLabel('Message #memes').fill('look at this meme');
  await alice.getByLabel('Message #memes').press('Enter');
  await messageRow(alice, 'look at this meme').and(alice.locator('[data-message-id]')).waitFor();
  await bob.getByRole('button', { name: /^memes\s*, unread$/ }).waitFor();
  await bob.getByRole('button', { name: /^memes\s*, unread$/ }).click();
  await bob.getByRole('heading', { level: 2, name: 'memes', exact: true }).waitFor();
  await bob.getByRole('button', { name: 'memes', exact: true }).waitFor();

  const row = messageRow(bob, 'look at this meme');
  await row.hover();
  await row.getByRole('button', { name: 'Reply' }).click();
  await bob.getByText('Replying to').waitFor();
  await bob.getByLabel('Message #memes').fill('haha, nice');
  await bob.getByLabel('Message #memes').press('Enter');
  const reply = messageRow(alice, 'haha, nice');
  await reply.locator('.reply-ref', { hasText: 'look at this meme' }).waitFor();
  await bob.getByRole('button', { name: 'general', exact: true }).click();
  await alice.getByRole('button', { name: 'general', exact: true }).click();
});

test('search with from: and in: filters', async () => {
  const box = alice.getByRole('searchbox').or(alice.getByLabel('Search messages (from:, in:, has:)'));
  await box.fill(`from:${BOB} in:memes nice`);
  await box.press('Enter');
  const results = alice.getByRole('complementary', { name: 'Search results' });
  await results.getByRole('status').filter({ hasText: '1 result' }).waitFor();
  await results.getByText('haha, nice').waitFor();
  await alice.screenshot({ path: join(shots, 'search.png') });
  await box.fill('from:nobody_here');
  await box.press('Enter');
  await results.getByRole('alert').filter({ hasText: 'No member called' }).waitFor();
  await results.getByRole('button', { name: 'Close search' }).click();
  await alice.getByRole('complementary', { name: 'Members' }).waitFor();
});

test('search: a result jumps to the message (around=) and highlights it; mentions show names; has:link', async () => {
  const { guild, general } = await generalChannel(alice);
  await alice.getByRole('button', { name: 'general', exact: true }).click();
  const members = await api(alice, 'GET', `/guilds/${guild.id}/members?limit=100`);
  const bobId = members.find((m) => m.user.username === BOB).user.id;
  await api(alice, 'POST', `/channels/${general.id}/messages`, { content: `docs for <@${bobId}> at https://example.com/guide` });
  // Only the newest page is loaded after a reload, so scroll-005 (below) is far from it.
  await alice.reload();
  await alice.getByRole('heading', { level: 2, name: 'general', exact: true }).waitFor();
  const box = alice.getByLabel('Search messages (from:, in:, has:)');
  const results = alice.getByRole('complementary', { name: 'Search results' });
  await box.fill('has:link guide');
  await box.press('Enter');
  const hit = results.locator('.search-result', { hasText: 'example.com/guide' });
  await hit.waitFor();
  assert.equal((await hit.locator('.mention').textContent()).trim(), `@${BOB}`);

  // An old message, far above what is loaded: a page around it replaces the view. The pages before
  // and after it then load while the reader is there, in either order (the older one is held back
  // here so the newer lands first); the message must stay in view.
  const around = [];
  const inFlight = new Set();
  const onRequest = (r) => {
    if (!r.url().includes('/messages?')) return;
    if (r.url().includes('around=')) around.push(r.url());
    inFlight.add(r);
  };
  const onDone = (r) => inFlight.delete(r);
  alice.on('request', onRequest);
  alice.on('requestfinished', onDone);
  alice.on('requestfailed', onDone);
  const older = (url) => url.pathname.endsWith('/messages') && url.searchParams.has('before');
  const holdBack = async (route) => {
    await new Promise((done) => setTimeout(done, 400));
    await route.continue();
  };
  await alice.route(older, holdBack);
  const row = messageRow(alice, 'scroll-005');
  const inView = async () => alice.waitForFunction((el) => {
    const box = el.getBoundingClientRect();
    const view = el.closest('.message-scroller').getBoundingClientRect();
    return box.top >= view.top && box.bottom <= view.bottom;
  }, await row.elementHandle(), { timeout: 5000 }).catch(() => assert.fail('the message is scrolled into view'));
  try {
    await box.fill('scroll-005');
    await box.press('Enter');
    await results.getByRole('status').filter({ hasText: '1 result' }).waitFor();
    await results.locator('.search-result', { hasText: 'scroll-005' }).click();
    await alice.locator('li.message.highlight', { hasText: 'scroll-005' }).waitFor();
    await inView();
    for (let i = 0; i < 50 && inFlight.size; i++) await alice.waitForTimeout(100);
    assert.equal(inFlight.size, 0, 'the pages next to the message have loaded');
    await alice.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))));
    await inView();
    assert.equal(around.length, 1);
    await alice.getByRole('button', { name: 'Jump to present' }).click();
    await messageRow(alice, 'example.com/guide').waitFor();
    await alice.getByRole('button', { name: 'Jump to present' }).waitFor({ state: 'detached' });
  } finally {
    // A failure here must not leave the panel open for the tests after it.
    alice.off('request', onRequest);
    alice.off('requestfinished', onDone);
    alice.off('requestfailed', onDone);
    await alice.unroute(older, holdBack);
    const close = results.getByRole('button', { name: 'Close search' });
    if (await close.count()) await close.click();
  }
});

test('server settings: a coloured role, assigned to bob, opens the private channel; channels; audit log', async () => {
  await alice.getByRole('button', { name: 'Server menu' }).click();
  await alice.getByRole('menuitem', { name: 'Server Settings' }).click();
  const settings = alice.getByRole('dialog', { name: 'Game Night settings' });
  await settings.getByRole('tab', { name: 'Roles' }).click();
  await settings.getByRole('button', { name: 'Create Role' }).click();
  const editor = settings.getByRole('form', { name: /Edit role/ });
  await editor.getByLabel('Role name').fill('Mods');
  await editor.getByLabel('Role colour').fill('#e91e63');
  await editor.getByRole('button', { name: 'Save Changes' }).click();
  await settings.getByRole('button', { name: 'Edit Mods' }).waitFor();

  await settings.getByRole('tab', { name: 'Channels' }).click();
  await settings.getByRole('button', { name: 'Edit staff-only' }).click();
  await settings.getByLabel('Role or member to edit').selectOption({ label: 'Mods' });
  await settings.getByLabel('View Channels: allow').check();
  await settings.getByRole('button', { name: 'Save Permissions' }).click();
  await settings.getByRole('button', { name: '← Back to channels' }).click();
  await settings.getByLabel('Channel name').fill('announcements');
  await settings.getByRole('button', { name: 'Create Channel' }).click();
  await bob.getByRole('button', { name: 'announcements' }).waitFor();
  assert.equal(await bob.getByRole('button', { name: 'staff-only' }).count(), 0);

  await settings.getByRole('tab', { name: 'Members' }).click();
  // Rows can still arrive and move while the full member list loads: click once it has.
  await settings.locator('ul.settings-list[aria-busy="false"]').waitFor();
  await settings.getByRole('group', { name: `Roles of ${BOB}` }).getByLabel('Mods').check();
  // Bob now holds Mods, which may view #staff-only: it appears for him without a reload.
  await bob.getByRole('button', { name: 'staff-only' }).waitFor();
  await alice.screenshot({ path: join(shots, 'settings.png') });

  await settings.getByRole('tab', { name: 'Audit Log' }).click();
  await settings.getByText('created a role').waitFor();
  await settings.getByRole('button', { name: 'Close settings' }).click();
  const colour = await alice.locator('.member-pane .member', { hasText: BOB }).locator('.member-name').evaluate((el) => getComputedStyle(el).color);
  assert.equal(colour, 'rgb(233, 30, 99)');
});

test('pins by a moderator; a timed-out member cannot send', async () => {
  await alice.getByLabel('Message #general').fill('pin me please');
  await alice.getByLabel('Message #general').press('Enter');
  const row = messageRow(alice, 'pin me please').and(alice.locator('[data-message-id]'));
  await row.waitFor();
  await row.hover();
  await row.getByRole('button', { name: 'Pin message' }).click();
  await row.getByText('pinned').waitFor({ state: 'attached' });
  await alice.getByRole('button', { name: 'Pinned messages' }).click();
  await alice.getByRole('region', { name: 'Pinned messages' }).getByText('pin me please').waitFor();
  await alice.getByRole('button', { name: 'Close pinned messages' }).click();
  // Bob (no Manage Messages) has no pin button and cannot delete alice's message.
  const atBob = messageRow(bob, 'pin me please');
  await atBob.hover();
  assert.equal(await atBob.getByRole('button', { name: 'Pin message' }).count(), 0);
  assert.equal(await atBob.getByRole('button', { name: 'Delete message' }).count(), 0);

  await alice.getByRole('button', { name: 'Server menu' }).click();
  await alice.getByRole('menuitem', { name: 'Server Settings' }).click();
  const settings = alice.getByRole('dialog', { name: 'Game Night settings' });
  await settings.getByRole('tab', { name: 'Members' }).click();
  await settings.locator('ul.settings-list[aria-busy="false"]').waitFor();
  await settings.getByRole('listitem', { name: BOB }).getByRole('button', { name: 'Timeout', exact: true }).click();
  await settings.getByRole('form', { name: `Timeout ${BOB}` }).getByRole('button', { name: 'Timeout' }).click(); // 1 hour by default
  await bob.getByPlaceholder(/You are timed out until/).waitFor();
  assert.equal(await bob.getByLabel('Message #general').isDisabled(), true);
  await settings.getByRole('listitem', { name: BOB }).getByRole('button', { name: 'Remove Timeout' }).click();
  await bob.getByPlaceholder('Message #general').waitFor();
  await settings.getByRole('button', { name: 'Close settings' }).click();
});

test('network blip: after the session is lost, a re-identify catches up missed messages over REST', async () => {
  const page = await bobContext.newPage();
  page.setDefaultTimeout(30_000);
  let blocked = false;
  let current = null;
  const sent = [];
  await page.routeWebSocket(/\/gateway/, (ws) => {
    if (blocked) {
      ws.close({ code: 4000, reason: 'network down' });
      return;
    }
    const server = ws.connectToServer();
    current = { ws, server };
    ws.onMessage((m) => {
      const frame = JSON.parse(m);
      sent.push(frame.op);
      // The session expired while we were away: the server no longer knows it (op 9 follows).
      if (frame.op === 6) frame.d.session_id = 'expired-session';
      server.send(JSON.stringify(frame));
    });
    server.onMessage((m) => ws.send(m));
    ws.onClose((code, reason) => server.close({ code, reason }));
    server.onClose((code, reason) => ws.close({ code, reason }));
  });
  await page.goto('/');
  await messageRow(page, 'scroll-110').waitFor();
  await page.waitForFunction(() => !document.querySelector('.connection-banner'));

  blocked = true;
  current.server.close({ code: 4000, reason: 'blip' });
  current.ws.close({ code: 4000, reason: 'blip' });
  await page.locator('.connection-banner').waitFor();
  for (const text of ['missed-one', 'missed-two']) {
    await alice.getByLabel('Message #general').fill(text);
    await alice.getByLabel('Message #general').press('Enter');
    await messageRow(alice, text).and(alice.locator('[data-message-id]')).waitFor();
  }
  await page.waitForTimeout(500);
  assert.equal(await messageRow(page, 'missed-one').count(), 0);
  blocked = false;
  await messageRow(page, 'missed-two').waitFor();
  await messageRow(page, 'missed-one').waitFor();
  assert.ok(sent.includes(6), 'tried to resume');
  assert.equal(sent.filter((op) => op === 2).length, 2, 'identified again after op 9');
  // Still live afterwards.
  await alice.getByLabel('Message #general').fill('live-again');
  await alice.getByLabel('Message #general').press('Enter');
  await messageRow(page, 'live-again').waitFor();
  await page.close();
});

test('keyboard: Alt+Up/Down move between text channels keeping drafts; mentions of me are highlighted', async () => {
  await alice.getByLabel('Message #general').fill('half-written draft');
  await alice.keyboard.press('Alt+ArrowUp');
  await alice.getByRole('heading', { level: 2, name: 'announcements', exact: true }).waitFor();
  assert.equal(await alice.getByLabel('Message #announcements').inputValue(), '');
  await alice.keyboard.press('Alt+ArrowDown');
  await alice.getByRole('heading', { level: 2, name: 'general', exact: true }).waitFor();
  // The draft survived the channel switch.
  assert.equal(await alice.getByLabel('Message #general').inputValue(), 'half-written draft');
  await alice.getByLabel('Message #general').fill('');
  const me = await alice.evaluate(() => JSON.parse(localStorage.getItem('together.tokens')).userId);
  await bob.getByLabel('Message #general').fill(`hey <@${me}> look`);
  await bob.getByLabel('Message #general').press('Enter');
  const row = messageRow(alice, 'look').and(alice.locator('.mentioned'));
  await row.waitFor();
  assert.equal(await row.locator('.mention').textContent(), `@${ALICE}`);
});

test('PWA: manifest with icons, service worker controls the app shell', async () => {
  const manifest = await alice.evaluate(async () => {
    const href = document.querySelector('link[rel=manifest]').href;
    const m = await (await fetch(href)).json();
    const icons = await Promise.all(m.icons.map(async (i) => [i.sizes, (await fetch(i.src)).headers.get('content-type')]));
    return { name: m.name, display: m.display, start_url: m.start_url, icons };
  });
  assert.equal(manifest.name, 'Together');
  assert.equal(manifest.display, 'standalone');
  assert.ok(manifest.icons.some(([sizes, type]) => sizes === '512x512' && type?.startsWith('image/png')));
  assert.ok(manifest.icons.some(([sizes, type]) => sizes === '192x192' && type?.startsWith('image/png')));
  const scope = await alice.evaluate(async () => (await navigator.serviceWorker.ready).scope);
  assert.equal(new URL(scope).pathname, '/');
  const cached = await alice.evaluate(async () => {
    const keys = await caches.keys();
    const c = await caches.open(keys.find((k) => k.startsWith('together-shell')));
    return (await c.keys()).map((r) => new URL(r.url).pathname);
  });
  assert.ok(cached.includes('/index.html'), `cached: ${cached.join(', ')}`);
  // Every hashed asset of the build is precached at install, not only those this page loaded.
  for (const f of readdirSync(join(webDir, 'dist/assets'))) assert.ok(cached.includes(`/assets/${f}`), `not precached: /assets/${f}`);
  const manifestIcons = await alice.evaluate(async () => (await (await fetch('/manifest.webmanifest')).json()).icons);
  const maskable = manifestIcons.find((i) => i.purpose === 'maskable');
  assert.ok(maskable && !manifestIcons.some((i) => i !== maskable && i.src === maskable.src), 'the maskable icon is its own file');
});

test('PWA: offline, a reload starts the app from the cached shell', async () => {
  await alice.context().setOffline(true);
  try {
    const res = await alice.reload();
    assert.ok(res?.fromServiceWorker(), 'the page came from the service worker');
    // The app itself runs (the shell, not the browser's offline page) and says it is connecting.
    await alice.locator('.connection-banner', { hasText: 'Connecting…' }).waitFor();
    await alice.getByRole('button', { name: 'Game Night' }).or(alice.locator('.shell')).first().waitFor();
    await alice.screenshot({ path: join(shots, 'offline.png') });
  } finally {
    await alice.context().setOffline(false);
  }
  await alice.getByRole('heading', { level: 2, name: 'general', exact: true }).waitFor({ timeout: 40_000 });
  await alice.locator('.connection-banner').waitFor({ state: 'detached', timeout: 40_000 });
});

test('phone width: sidebars are drawers', async () => {
  const phone = await bobContext.newPage();
  phone.setDefaultTimeout(T);
  await phone.setViewportSize({ width: 390, height: 844 });
  await phone.goto('/');
  await phone.getByRole('heading', { level: 2, name: 'general', exact: true }).waitFor();
  const toggle = phone.getByRole('button', { name: 'Open servers and channels' });
  await toggle.waitFor();
  assert.equal(await phone.getByRole('navigation', { name: 'Servers' }).isVisible(), false);
  await phone.screenshot({ path: join(shots, 'phone-chat.png') });
  await toggle.click();
  await phone.getByRole('navigation', { name: 'Servers' }).waitFor({ state: 'visible' });
  await phone.getByRole('button', { name: /general/ }).waitFor({ state: 'visible' });
  await phone.waitForTimeout(300); // the slide-in transition
  await phone.screenshot({ path: join(shots, 'phone-drawer.png') });
  await phone.getByRole('button', { name: /general/ }).click();
  await phone.getByRole('navigation', { name: 'Servers' }).waitFor({ state: 'hidden' });
  await phone.close();
});

test('log out returns to the login screen and the session is gone', async () => {
  await bob.getByRole('button', { name: 'Log out' }).click();
  await bob.getByRole('heading', { name: 'Welcome back!' }).waitFor();
  await bob.reload();
  await bob.getByRole('heading', { name: 'Welcome back!' }).waitFor();
  // Log in again with the password.
  await bob.getByLabel('Username').fill(BOB);
  await bob.getByLabel('Password').fill(PASSWORD);
  await bob.getByRole('button', { name: 'Log In' }).click();
  await bob.getByRole('heading', { level: 2, name: 'general', exact: true }).waitFor();
});

test('kick: bob loses the server at once', async () => {
  await alice.getByRole('button', { name: 'Server menu' }).click();
  await alice.getByRole('menuitem', { name: 'Server Settings' }).click();
  const settings = alice.getByRole('dialog', { name: 'Game Night settings' });
  await settings.getByRole('tab', { name: 'Members' }).click();
  await settings.locator('ul.settings-list[aria-busy="false"]').waitFor();
  await settings.getByRole('listitem', { name: BOB }).getByRole('button', { name: 'Kick' }).click();
  await settings.getByRole('button', { name: 'Confirm' }).click();
  await bob.getByText('You are not in any server yet.').waitFor();
  await settings.getByRole('button', { name: 'Close settings' }).click();
  await alice.locator('.member-pane .member', { hasText: BOB }).waitFor({ state: 'detached' });
});
