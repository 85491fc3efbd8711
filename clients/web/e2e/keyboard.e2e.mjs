// Keyboard and focus, as a keyboard or screen reader user meets them: messages reached with Tab
// and arrows show their actions (react, reply, edit without a mouse); menus, dialogs and the
// settings follow the WAI-ARIA patterns (arrows, Escape, focus kept inside, focus returned); the
// member list button works on a computer; on a phone a tap shows one message's actions.
import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { reportFailure, startStack } from './harness.mjs';
import * as rest from './rest.mjs';

const suffix = Date.now().toString(36).slice(-5);
let stack;
let alice;
let aliceUser;
let bobUser;
let general;
const consoleLines = [];
const api = (path, o) => rest.api(stack, path, o);

before(async () => {
  stack = await startStack();
  aliceUser = await rest.registerOverRest(stack, `alice_${suffix}`);
  bobUser = await rest.registerOverRest(stack, `bob_${suffix}`);
  const guild = await api('/guilds', { method: 'POST', token: aliceUser.token, body: { name: 'Keys' } });
  general = (await api(`/guilds/${guild.id}/channels`, { token: aliceUser.token })).find((c) => c.type === 0);
  const invite = await api(`/channels/${general.id}/invites`, { method: 'POST', token: aliceUser.token, body: {} });
  await api(`/invites/${invite.code}`, { method: 'POST', token: bobUser.token });
  await api(`/channels/${general.id}/messages`, { method: 'POST', token: bobUser.token, body: { content: 'first plain message' } });
  await api(`/channels/${general.id}/messages`, { method: 'POST', token: bobUser.token, body: { content: 'second plain message' } });
  alice = await rest.openAs(stack, aliceUser, { consoleLines });
  await alice.getByRole('heading', { level: 2, name: 'general', exact: true }).waitFor();
  await alice.locator('li.message', { hasText: 'second plain message' }).waitFor();
});

after(async () => {
  await stack?.close();
});

afterEach((t) => reportFailure(t, {
  stack, consoleLines, pages: { alice }, prefix: 'keyboard-',
  describe: (page) => page.evaluate(() => ({
    focused: document.activeElement?.outerHTML.slice(0, 200),
    alerts: [...document.querySelectorAll('[role=alert]')].map((e) => e.textContent),
  })),
}));

const focused = (page) => page.evaluate(() => {
  const a = document.activeElement;
  return { tag: a?.tagName, label: a?.getAttribute('aria-label'), text: a?.textContent?.slice(0, 300), cls: a?.className };
});

/** Shift+Tab from the composer until a message has focus, as a keyboard user would. */
async function tabBackToMessages(page) {
  await page.getByLabel('Message #general').focus();
  for (let i = 0; i < 6; i++) {
    await page.keyboard.press('Shift+Tab');
    if ((await focused(page)).tag === 'LI') return;
  }
  assert.fail(`no message took focus: ${JSON.stringify(await focused(page))}`);
}

test('messages: Tab reaches the newest, arrows move, and its actions show; react, reply and edit by keyboard', async () => {
  await tabBackToMessages(alice);
  const second = alice.locator('li.message', { hasText: 'second plain message' });
  const first = alice.locator('li.message', { hasText: 'first plain message' });
  assert.match((await focused(alice)).text, /second plain message/);
  await second.locator('.message-actions').waitFor({ state: 'visible' });
  await alice.keyboard.press('ArrowUp');
  assert.match((await focused(alice)).text, /first plain message/);
  await first.locator('.message-actions').waitFor({ state: 'visible' });
  await second.locator('.message-actions').waitFor({ state: 'hidden' });

  // React: Tab into the actions, Enter on "Add reaction", Enter on the first emoji.
  await alice.keyboard.press('Tab');
  assert.equal((await focused(alice)).label, 'Add reaction');
  await alice.keyboard.press('Enter');
  assert.equal((await focused(alice)).label, 'React with 👍');
  await alice.keyboard.press('Enter');
  await first.getByRole('button', { name: '👍 1, remove your reaction' }).waitFor();
  assert.match((await focused(alice)).text, /first plain message/); // focus back on the message

  // Reply: R on the focused message.
  await alice.keyboard.press('r');
  await alice.locator('.reply-bar', { hasText: `Replying to ${bobUser.name}` }).waitFor();
  assert.equal((await focused(alice)).label, 'Message #general');
  await alice.keyboard.type('answer by keyboard');
  await alice.keyboard.press('Enter');
  const reply = alice.locator('li.message', { hasText: 'answer by keyboard' });
  await reply.locator('.reply-ref', { hasText: 'first plain message' }).waitFor();

  // Edit: back to the newest message (ours), E, change it, Enter.
  await alice.waitForFunction(() => !document.querySelector('li.message.sending'));
  await tabBackToMessages(alice);
  await alice.keyboard.press('End');
  assert.match((await focused(alice)).text, /answer by keyboard/);
  await alice.keyboard.press('e');
  assert.equal((await focused(alice)).label, 'Edit message');
  await alice.keyboard.press('End');
  await alice.keyboard.type(' (fixed)');
  await alice.keyboard.press('Enter');
  await reply.getByText('(edited)').waitFor();
  assert.match(await reply.locator('.content').textContent(), /answer by keyboard \(fixed\)/);
  // Escape on a message goes back to the composer.
  await tabBackToMessages(alice);
  await alice.keyboard.press('Escape');
  assert.equal((await focused(alice)).label, 'Message #general');
});

test('server menu: first item focused, arrows, Escape returns focus; a click outside closes it', async () => {
  const button = alice.getByRole('button', { name: 'Server menu' });
  await button.focus();
  await alice.keyboard.press('Enter');
  const menu = alice.getByRole('menu', { name: 'Server menu' });
  await menu.waitFor();
  assert.equal((await focused(alice)).text, 'Invite People');
  await alice.keyboard.press('ArrowDown');
  assert.equal((await focused(alice)).text, 'Server Settings');
  await alice.keyboard.press('ArrowUp');
  await alice.keyboard.press('ArrowUp'); // wraps to the last
  assert.equal((await focused(alice)).text, 'Server Settings');
  await alice.keyboard.press('Escape');
  await menu.waitFor({ state: 'detached' });
  assert.equal((await focused(alice)).label, 'Server menu');
  await button.click();
  await menu.waitFor();
  await alice.locator('.message-scroller').click({ position: { x: 10, y: 10 } });
  await menu.waitFor({ state: 'detached' });
});

test('server settings: Tab stays inside, arrows change tabs, Escape closes and focus returns to the menu button', async () => {
  await alice.getByRole('button', { name: 'Server menu' }).focus();
  await alice.keyboard.press('Enter');
  await alice.keyboard.press('ArrowDown');
  await alice.keyboard.press('Enter');
  const dialog = alice.getByRole('dialog', { name: 'Keys settings' });
  await dialog.waitFor();
  for (let i = 0; i < 25; i++) {
    await alice.keyboard.press(i % 5 === 4 ? 'Shift+Tab' : 'Tab');
    assert.ok(await dialog.evaluate((d) => d.contains(document.activeElement)), `focus left the dialog after ${i + 1} Tabs`);
  }
  await alice.getByRole('tab', { name: 'Overview' }).focus();
  await alice.keyboard.press('ArrowDown');
  assert.equal(await alice.getByRole('tab', { name: 'Channels' }).getAttribute('aria-selected'), 'true');
  assert.equal((await focused(alice)).text, 'Channels');
  await alice.getByRole('heading', { name: 'Channels', level: 3, exact: true }).waitFor();
  await alice.keyboard.press('End');
  assert.equal((await focused(alice)).text, 'Audit Log');
  await alice.keyboard.press('Escape');
  await dialog.waitFor({ state: 'detached' });
  await alice.waitForFunction(() => document.activeElement?.getAttribute('aria-label') === 'Server menu');
});

test('status menu and a dialog: Escape closes each, focus returns to the button that opened it', async () => {
  const button = alice.getByRole('button', { name: /^Set status/ });
  await button.focus();
  await alice.keyboard.press('Enter');
  assert.equal((await focused(alice)).text.trim(), 'Online'); // the checked status
  await alice.keyboard.press('End');
  assert.equal((await focused(alice)).text, 'My Account (avatar)');
  await alice.keyboard.press('Enter');
  const dialog = alice.getByRole('dialog', { name: 'My Account' });
  await dialog.waitFor();
  assert.ok(await dialog.evaluate((d) => d.contains(document.activeElement)));
  for (let i = 0; i < 12; i++) {
    await alice.keyboard.press('Tab');
    assert.ok(await dialog.evaluate((d) => d.contains(document.activeElement)), 'focus left the dialog');
  }
  await alice.keyboard.press('Escape');
  await dialog.waitFor({ state: 'detached' });
  await alice.waitForFunction(() => document.activeElement?.getAttribute('aria-label')?.startsWith('Set status'));
});

test('the member list button hides and shows the list on a computer', async () => {
  const toggle = alice.getByRole('button', { name: 'Show member list' });
  await alice.locator('.member-pane').waitFor();
  assert.equal(await toggle.getAttribute('aria-expanded'), 'true');
  await toggle.click();
  await alice.locator('.member-pane').waitFor({ state: 'detached' });
  assert.equal(await toggle.getAttribute('aria-expanded'), 'false');
  // The chat takes the room.
  const width = await alice.locator('.chat-pane').evaluate((e) => e.getBoundingClientRect().width);
  await toggle.click();
  await alice.locator('.member-pane').waitFor();
  assert.ok(width > (await alice.locator('.chat-pane').evaluate((e) => e.getBoundingClientRect().width)) + 200);
});

test('on a phone, actions show for the tapped message only', async () => {
  const phone = await rest.openAs(stack, bobUser, { viewport: { width: 390, height: 844 }, consoleLines });
  try {
    const msg = phone.locator('li.message').filter({ has: phone.locator('.content', { hasText: 'first plain message' }) });
    await msg.waitFor();
    assert.equal(await phone.locator('.message-actions:visible').count(), 0);
    await msg.locator('.content').click();
    await msg.locator('.message-actions').waitFor({ state: 'visible' });
    assert.equal(await phone.locator('.message-actions:visible').count(), 1);
    await msg.getByRole('button', { name: 'Reply' }).click();
    await phone.locator('.reply-bar', { hasText: `Replying to ${bobUser.name}` }).waitFor();
  } finally {
    await phone.context().close();
  }
});
