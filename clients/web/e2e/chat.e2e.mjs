// End to end in real headless Chromium against a real server: two people in two browser
// contexts register, create and join a server by invite, chat both ways in real time, edit,
// delete and react; a reload keeps the session; the phone layout uses drawers.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, startStack } from './harness.mjs';

const shots = join(repoRoot, 'docs/screenshots');
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

async function newPage(viewport = { width: 1280, height: 800 }) {
  const context = await stack.browser.newContext({ viewport, baseURL: stack.base });
  const page = await context.newPage();
  page.setDefaultTimeout(T);
  page.on('pageerror', (e) => console.log(`# page error: ${e.message}`));
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
  await alice.getByRole('heading', { name: '#general' }).waitFor();
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
  await bob.getByRole('heading', { name: '#general' }).waitFor();
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
  await bob.getByRole('heading', { name: '#general' }).waitFor();
  await messageRow(bob, 'edited by alice').waitFor();
  assert.equal(await bob.getByTestId('self-name').textContent(), BOB);
});

test('phone width: sidebars are drawers', async () => {
  const phone = await bobContext.newPage();
  phone.setDefaultTimeout(T);
  await phone.setViewportSize({ width: 390, height: 844 });
  await phone.goto('/');
  await phone.getByRole('heading', { name: '#general' }).waitFor();
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
  await bob.getByRole('heading', { name: '#general' }).waitFor();
});
