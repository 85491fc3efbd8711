// A server over the client's large_threshold (250), so GUILD_CREATE lists only alice and the rest
// come through op 8: everyone is listed with their presence and role colour, in the member list
// and in Server Settings; then the moderation settings (bans, timeouts, invites, overwrites).
// The people are made over REST (register, accept the invite); alice and bob use the web client.
import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { reportFailure, startStack } from './harness.mjs';
import * as rest from './rest.mjs';

const suffix = Date.now().toString(36).slice(-5);
const CROWD = 256; // bob is the first of them; with alice 257, over the client's large_threshold (250)

let stack;
let alice;
let bob;
let guildId;
let general;
let inviteCode;
const people = []; // { id, name, token }
const consoleLines = [];
const api = (path, o) => rest.api(stack, path, o);
const registerOverRest = (name, from) => rest.registerOverRest(stack, name, from);
const openAs = (who) => rest.openAs(stack, who, { consoleLines });

before(async () => {
  stack = await startStack();
  const owner = await registerOverRest(`alice_${suffix}`);
  const guild = await api('/guilds', { method: 'POST', token: owner.token, body: { name: 'Big Server' } });
  guildId = guild.id;
  const channels = await api(`/guilds/${guildId}/channels`, { token: owner.token });
  general = channels.find((c) => c.type === 0);
  inviteCode = (await api(`/channels/${general.id}/invites`, { method: 'POST', token: owner.token, body: { max_age: 0 } })).code;
  for (let i = 0; i < CROWD; i += 8) {
    // Eight people per source address: well under the per-IP limits.
    const batch = await Promise.all(Array.from({ length: Math.min(8, CROWD - i) }, (_, k) =>
      registerOverRest(`${i + k === 0 ? 'bob' : 'p' + String(i + k).padStart(3, '0')}_${suffix}`, 2 + i / 8)));
    await Promise.all(batch.map((p) => api(`/invites/${inviteCode}`, { method: 'POST', token: p.token, from: p.from })));
    people.push(...batch);
  }
  people.unshift(owner);
});

after(async () => {
  await stack?.close();
});

afterEach((t) => reportFailure(t, {
  stack, consoleLines, pages: { alice, bob }, prefix: 'members-',
  describe: (page) => page.evaluate(() => ({
    alerts: [...document.querySelectorAll('[role=alert]')].map((e) => e.textContent),
    members: document.querySelectorAll('.member-pane .member').length,
  })),
}));

test(`a server of ${CROWD + 1} lists everyone with presence and role colours`, async () => {
  const [owner, bobUser, carol] = people;
  // carol gets a red role, then speaks: her name is red on her message and in the list.
  const role = await api(`/guilds/${guildId}/roles`, { method: 'POST', token: owner.token, body: { name: 'Red', color: 0xe91e63 } });
  await api(`/guilds/${guildId}/members/${carol.id}/roles/${role.id}`, { method: 'PUT', token: owner.token });
  await api(`/channels/${general.id}/messages`, { method: 'POST', token: carol.token, body: { content: 'hello from the crowd' } });

  bob = await openAs(bobUser);
  await bob.getByRole('heading', { level: 2, name: 'general', exact: true }).waitFor();
  alice = await openAs(owner);
  await alice.getByRole('heading', { level: 2, name: 'general', exact: true }).waitFor();
  const pane = alice.locator('.member-pane');
  await pane.getByRole('heading', { name: `Offline — ${CROWD + 1 - 2}` }).waitFor();
  await pane.getByRole('heading', { name: 'Online — 2' }).waitFor();
  assert.equal(await pane.locator('.member').count(), CROWD + 1);
  // The guild arrived large (only alice in GUILD_CREATE): everyone else came through op 8.
  const asked = alice.gatewaySent.filter((p) => p.op === 8 && p.d.guild_id === guildId && p.d.query === '' && p.d.limit === 0);
  assert.equal(asked.length, 1, JSON.stringify(alice.gatewaySent.filter((p) => p.op === 8)));
  assert.equal(asked[0].d.presences, true);
  assert.equal(alice.gatewaySent.find((p) => p.op === 2).d.large_threshold, 250);
  // Presence: bob is online, and goes offline when he leaves.
  await pane.locator('.member:not(.offline)', { hasText: bobUser.name }).waitFor();
  await pane.locator('.member.offline', { hasText: people[40].name }).waitFor();
  const red = 'rgb(233, 30, 99)';
  const author = alice.locator('li.message', { hasText: 'hello from the crowd' }).locator('.author');
  assert.equal(await author.evaluate((e) => getComputedStyle(e).color), red);
  assert.equal(await pane.locator('.member', { hasText: carol.name }).locator('.member-name').evaluate((e) => getComputedStyle(e).color), red);
  await bob.context().close();
  bob = undefined;
  await pane.locator('.member.offline', { hasText: bobUser.name }).waitFor();

  // from: finds a member the client only knows from the list.
  await alice.getByLabel('Search messages (from:, in:, has:)').fill(`from:${carol.name}`);
  await alice.getByLabel('Search messages (from:, in:, has:)').press('Enter');
  await alice.locator('.search-result', { hasText: 'hello from the crowd' }).waitFor();
  await alice.getByRole('button', { name: 'Close search' }).click();
});

test('server settings list every member', async () => {
  await alice.getByRole('button', { name: 'Server menu' }).click();
  await alice.getByRole('menuitem', { name: 'Server Settings' }).click();
  await alice.getByRole('tab', { name: 'Members' }).click();
  await alice.locator('ul.settings-list[aria-busy="false"]').waitFor();
  const rows = alice.locator('.settings-member');
  await rows.nth(CROWD).waitFor();
  assert.equal(await rows.count(), CROWD + 1);
  await alice.keyboard.press('Escape');
});

test('bans: ban from Members, listed under Bans with a Revoke; after revoking, the person can join again', async () => {
  const target = people[10];
  await alice.getByRole('button', { name: 'Server menu' }).click();
  await alice.getByRole('menuitem', { name: 'Server Settings' }).click();
  await alice.getByRole('tab', { name: 'Members' }).click();
  await alice.locator('ul.settings-list[aria-busy="false"]').waitFor();
  const row = alice.locator('.settings-member', { has: alice.getByText(target.name, { exact: true }) });
  await row.getByRole('button', { name: 'Ban' }).click();
  await alice.getByRole('alertdialog', { name: `Ban ${target.name}?` }).getByRole('button', { name: 'Confirm' }).click();
  await row.waitFor({ state: 'detached' });
  await alice.getByRole('tab', { name: 'Bans' }).click();
  const ban = alice.getByRole('listitem', { name: target.name });
  await ban.waitFor();
  // While banned the invite is refused.
  await assert.rejects(api(`/invites/${inviteCode}`, { method: 'POST', token: target.token, from: target.from }), /40[03]/);
  await ban.getByRole('button', { name: 'Revoke Ban' }).click();
  await ban.waitFor({ state: 'detached' });
  await alice.getByText('No bans.').waitFor();
  await api(`/invites/${inviteCode}`, { method: 'POST', token: target.token, from: target.from });
  await alice.locator('.member-pane .member', { hasText: target.name }).waitFor();
});

test('timeouts: a duration and a reason', async () => {
  const target = people[11];
  await alice.getByRole('tab', { name: 'Members' }).click();
  await alice.locator('ul.settings-list[aria-busy="false"]').waitFor();
  const row = alice.locator('.settings-member', { has: alice.getByText(target.name, { exact: true }) });
  await row.getByRole('button', { name: 'Timeout' }).click();
  const form = alice.getByRole('form', { name: `Timeout ${target.name}` });
  await form.getByLabel('Duration').selectOption({ label: '10 minutes' });
  await form.getByLabel('Reason').fill('cool down');
  await form.getByRole('button', { name: 'Timeout' }).click();
  await row.getByText('timed out').waitFor();
  const member = await api(`/guilds/${guildId}/members/${target.id}`, { token: people[0].token });
  const left = Date.parse(member.communication_disabled_until) - Date.now();
  assert.ok(left > 9 * 60_000 && left <= 10 * 60_000 + 5000, `timeout ends in ${left} ms`);
  await alice.getByRole('tab', { name: 'Audit Log' }).click();
  await alice.getByText('cool down').waitFor();
});

test('invites: created with a max age and a max number of uses', async () => {
  await alice.getByRole('tab', { name: 'Invites' }).click();
  const form = alice.getByRole('form', { name: 'Create invite' });
  await form.getByLabel('Expire after').selectOption({ label: '1 hour' });
  await form.getByLabel('Max number of uses').selectOption({ label: '5 uses' });
  await form.getByRole('button', { name: 'Create Invite' }).click();
  const code = await alice.locator('[data-invite-code]').getAttribute('data-invite-code');
  const invite = (await api(`/guilds/${guildId}/invites`, { token: people[0].token })).find((i) => i.code === code);
  assert.equal(invite.max_age, 3600);
  assert.equal(invite.max_uses, 5);
  await alice.locator('.settings-row', { hasText: code }).getByText(/0\/5 uses · until/).waitFor();
  await alice.keyboard.press('Escape');
});

test('channels: a member overwrite (type 1) and a move to another category; a role shown separately', async () => {
  const target = people[12];
  const owner = people[0];
  const category = await api(`/guilds/${guildId}/channels`, { method: 'POST', token: owner.token, body: { name: 'Archive', type: 4 } });
  await alice.getByRole('button', { name: 'Server menu' }).click();
  await alice.getByRole('menuitem', { name: 'Server Settings' }).click();
  await alice.getByRole('tab', { name: 'Channels' }).click();
  await alice.getByRole('button', { name: 'Edit general', exact: true }).click();
  await alice.getByLabel('Category').selectOption({ label: 'Archive' });
  await alice.getByRole('button', { name: 'Save Changes' }).click();
  await alice.getByLabel('Role or member to edit').selectOption({ label: target.name });
  await alice.getByLabel('Send Messages: deny').check();
  await alice.getByRole('button', { name: 'Save Permissions' }).click();
  await alice.waitForFunction(() => document.querySelector('select[aria-label="Role or member to edit"] option:checked')?.textContent?.endsWith('•'));
  const channel = (await api(`/guilds/${guildId}/channels`, { token: owner.token })).find((c) => c.id === general.id);
  assert.equal(channel.parent_id, category.id);
  const ow = channel.permission_overwrites.find((o) => o.id === target.id);
  assert.equal(ow.type, 1);
  assert.equal(BigInt(ow.deny) & (1n << 11n), 1n << 11n);

  await alice.getByRole('tab', { name: 'Roles' }).click();
  await alice.getByRole('button', { name: 'Edit Red' }).click();
  await alice.getByLabel('Display role members separately from online members').check();
  await alice.getByRole('form', { name: 'Edit role Red' }).getByRole('button', { name: 'Save Changes' }).click();
  await assert.doesNotReject(async () => {
    for (let i = 0; i < 50; i++) {
      const roles = await api(`/guilds/${guildId}/roles`, { token: owner.token });
      if (roles.find((r) => r.name === 'Red')?.hoist) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('hoist not saved');
  });
  await alice.keyboard.press('Escape');
});
