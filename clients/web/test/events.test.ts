import { describe, expect, test } from 'vitest';
import type { GatewayGuild, Message } from '@together/shared';
import { ServerData } from '../src/state/data';
import { applyDispatch, TYPING_MS } from '../src/state/events';

const G = '100';
const user = (id: string, username = `u${id}`) => ({ id, username });
const msg = (id: string, author = '1', extra: Partial<Message> = {}): Message => ({
  id, channel_id: '200', guild_id: G, author: user(author), content: `m${id}`, timestamp: '2026-11-25T00:00:00Z',
  edited_timestamp: null, type: 0, ...extra,
});

function guild(): GatewayGuild {
  return {
    id: G, name: 'Gamers', owner_id: '1', system_channel_id: '200',
    roles: [{ id: G, name: '@everyone', color: 0, hoist: false, position: 0, permissions: '0' },
      { id: '300', name: 'Mods', color: 0xff0000, hoist: true, position: 1, permissions: '8' }],
    channels: [
      { id: '199', type: 4, name: 'Text Channels', position: 0 },
      { id: '200', type: 0, name: 'general', position: 0, parent_id: '199' },
    ],
    members: [
      { user: user('1', 'alice'), roles: ['300'], joined_at: '' },
      { user: user('2', 'bob'), roles: [], joined_at: '', nick: 'Bobby' },
    ],
    presences: [{ user: { id: '2' }, status: 'idle' }],
  };
}

function ready(): ServerData {
  const d = new ServerData();
  applyDispatch(d, 'READY', { v: 10, user: user('1', 'alice'), guilds: [{ id: G, unavailable: true }], session_id: 's', resume_gateway_url: '' });
  applyDispatch(d, 'GUILD_CREATE', guild());
  return d;
}

describe('the gateway event switch', () => {
  test('READY + GUILD_CREATE fill guilds, channels, roles, members, users, presences', () => {
    const d = ready();
    expect(d.selfId).toBe('1');
    expect(d.guilds.get(G)?.name).toBe('Gamers');
    expect(d.guilds.get(G)).not.toHaveProperty('channels');
    expect(d.guildChannels(G).map((c) => c.name).sort()).toEqual(['Text Channels', 'general']);
    expect(d.channels.get('200')?.guild_id).toBe(G);
    expect(d.roles.get('300')?.guild_id).toBe(G);
    expect([...d.members.get(G)!.keys()]).toEqual(['1', '2']);
    expect(d.displayName('2', G)).toBe('Bobby');
    expect(d.roleColor('1', G)).toBe('#ff0000');
    expect(d.presences.get('2')).toBe('idle');
  });

  test('MESSAGE_CREATE extends a loaded timeline in id order, ignores unloaded channels', () => {
    const d = ready();
    applyDispatch(d, 'MESSAGE_CREATE', msg('500'));
    expect(d.timelines.has('200')).toBe(false);
    expect(d.channels.get('200')?.last_message_id).toBe('500');
    d.addMessages('200', [msg('500'), msg('498')]);
    applyDispatch(d, 'MESSAGE_CREATE', msg('1000'));
    applyDispatch(d, 'MESSAGE_CREATE', msg('999'));
    applyDispatch(d, 'MESSAGE_CREATE', msg('1000')); // duplicate (replay) is idempotent
    expect(d.timelines.get('200')?.ids).toEqual(['498', '500', '999', '1000']);
  });

  test('the echo of an optimistic send replaces the pending copy by nonce', () => {
    const d = ready();
    d.addMessages('200', []);
    d.messages.set('pending:abc', { ...msg('pending:abc'), pending: 'sending', nonce: 'abc' });
    d.timelines.update('200', (t) => t && { ...t, pending: ['pending:abc'] });
    applyDispatch(d, 'MESSAGE_CREATE', msg('600', '1', { nonce: 'abc' }));
    expect(d.timelines.get('200')).toMatchObject({ ids: ['600'], pending: [] });
    expect(d.messages.has('pending:abc')).toBe(false);
  });

  test('MESSAGE_UPDATE merges (edited mark), MESSAGE_DELETE and DELETE_BULK remove', () => {
    const d = ready();
    d.addMessages('200', [msg('1'), msg('2'), msg('3'), msg('4')]);
    applyDispatch(d, 'MESSAGE_UPDATE', { id: '1', channel_id: '200', content: 'fixed', edited_timestamp: '2026-11-25T01:00:00Z' });
    expect(d.messages.get('1')).toMatchObject({ content: 'fixed', edited_timestamp: '2026-11-25T01:00:00Z', author: { id: '1' } });
    applyDispatch(d, 'MESSAGE_DELETE', { id: '2', channel_id: '200' });
    applyDispatch(d, 'MESSAGE_DELETE_BULK', { ids: ['3', '4'], channel_id: '200' });
    expect(d.timelines.get('200')?.ids).toEqual(['1']);
    expect(d.messages.has('3')).toBe(false);
  });

  test('reactions count up and down and track `me`', () => {
    const d = ready();
    d.addMessages('200', [msg('1')]);
    const ev = (user_id: string) => ({ user_id, channel_id: '200', message_id: '1', emoji: { id: null, name: '👍' } });
    applyDispatch(d, 'MESSAGE_REACTION_ADD', ev('2'));
    applyDispatch(d, 'MESSAGE_REACTION_ADD', ev('1'));
    expect(d.messages.get('1')?.reactions).toEqual([{ emoji: { id: null, name: '👍' }, count: 2, me: true }]);
    applyDispatch(d, 'MESSAGE_REACTION_REMOVE', ev('1'));
    expect(d.messages.get('1')?.reactions).toEqual([{ emoji: { id: null, name: '👍' }, count: 1, me: false }]);
    applyDispatch(d, 'MESSAGE_REACTION_REMOVE', ev('2'));
    expect(d.messages.get('1')?.reactions).toEqual([]);
  });

  test('typing shows others for 10 s, not self, and stops when they send', () => {
    const d = ready();
    applyDispatch(d, 'TYPING_START', { channel_id: '200', user_id: '2', timestamp: 0 }, 1000);
    applyDispatch(d, 'TYPING_START', { channel_id: '200', user_id: '1', timestamp: 0 }, 1000);
    expect([...d.typing.get('200')!]).toEqual([['2', 1000 + TYPING_MS]]);
    d.addMessages('200', []);
    applyDispatch(d, 'MESSAGE_CREATE', msg('7', '2'));
    expect(d.typing.get('200')?.has('2')).toBe(false);
  });

  test('members join, update and leave; presence updates; invisible shows offline', () => {
    const d = ready();
    applyDispatch(d, 'GUILD_MEMBER_ADD', { guild_id: G, user: user('3', 'carol'), roles: [], joined_at: '' });
    applyDispatch(d, 'GUILD_MEMBER_UPDATE', { guild_id: G, user: user('3', 'carol'), roles: ['300'], nick: 'C' });
    expect(d.roleColor('3', G)).toBe('#ff0000');
    expect(d.displayName('3', G)).toBe('C');
    applyDispatch(d, 'PRESENCE_UPDATE', { user: { id: '3' }, guild_id: G, status: 'dnd' });
    expect(d.presences.get('3')).toBe('dnd');
    applyDispatch(d, 'PRESENCE_UPDATE', { user: { id: '3' }, guild_id: G, status: 'invisible' });
    expect(d.presences.get('3')).toBe('offline');
    applyDispatch(d, 'GUILD_MEMBER_REMOVE', { guild_id: G, user: user('3') });
    expect(d.members.get(G)?.has('3')).toBe(false);
  });

  test('channels: create, update, delete (and its timeline)', () => {
    const d = ready();
    applyDispatch(d, 'CHANNEL_CREATE', { id: '201', type: 0, guild_id: G, name: 'memes', position: 1, parent_id: '199' });
    applyDispatch(d, 'CHANNEL_UPDATE', { id: '201', type: 0, guild_id: G, name: 'dank-memes', position: 1, parent_id: '199' });
    expect(d.channels.get('201')?.name).toBe('dank-memes');
    d.addMessages('201', [msg('1', '1', { channel_id: '201' })]);
    applyDispatch(d, 'CHANNEL_DELETE', { id: '201', type: 0, guild_id: G, name: 'dank-memes', position: 1 });
    expect(d.channels.has('201')).toBe(false);
    expect(d.timelines.has('201')).toBe(false);
  });

  test('GUILD_DELETE (left, kicked) removes the guild and everything in it', () => {
    const d = ready();
    d.addMessages('200', [msg('1')]);
    applyDispatch(d, 'GUILD_DELETE', { id: G, unavailable: false });
    expect(d.guilds.size).toBe(0);
    expect(d.channels.size).toBe(0);
    expect(d.roles.size).toBe(0);
    expect(d.members.has(G)).toBe(false);
    expect(d.timelines.size).toBe(0);
  });

  test('a re-identify READY drops guilds no longer listed; catch-up cursors are the newest loaded ids', () => {
    const d = ready();
    d.addMessages('200', [msg('5'), msg('9')]);
    expect(d.cursors()).toEqual([['200', '9']]);
    applyDispatch(d, 'READY', { v: 10, user: user('1', 'alice'), guilds: [], session_id: 's2', resume_gateway_url: '' });
    expect(d.guilds.size).toBe(0);
  });

  test('stores notify subscribers once per batch', () => {
    const d = ready();
    let calls = 0;
    d.messages.subscribe(() => calls++);
    d.addMessages('200', [msg('1'), msg('2'), msg('3')]);
    expect(calls).toBe(1);
  });
});
