import { describe, expect, test } from 'vitest';
import type { Channel } from '@together/shared';
import { ServerData } from '../src/state/data';
import { applyDispatch } from '../src/state/events';
import { ALL, P, channelPermissions, guildPermissions, has } from '../src/permissions';

const G = '100';
function data() {
  const d = new ServerData();
  applyDispatch(d, 'GUILD_CREATE', {
    id: G, name: 'g', owner_id: '1',
    roles: [
      { id: G, name: '@everyone', color: 0, hoist: false, position: 0, permissions: String(P.VIEW_CHANNEL | P.SEND_MESSAGES) },
      { id: 'mod', name: 'Mods', color: 0, hoist: false, position: 1, permissions: String(P.MANAGE_MESSAGES | P.KICK_MEMBERS) },
      { id: 'admin', name: 'Admin', color: 0, hoist: false, position: 2, permissions: String(P.ADMINISTRATOR) },
    ],
    channels: [], presences: [],
    members: [
      { user: { id: '1', username: 'owner' }, roles: [], joined_at: '' },
      { user: { id: '2', username: 'mod' }, roles: ['mod'], joined_at: '' },
      { user: { id: '3', username: 'pleb' }, roles: [], joined_at: '' },
      { user: { id: '4', username: 'admin' }, roles: ['admin'], joined_at: '' },
    ],
  });
  return d;
}

describe('permissions', () => {
  test('guild level: owner and admin have all; roles add to @everyone', () => {
    const d = data();
    expect(guildPermissions(d, G, '1')).toBe(ALL);
    expect(guildPermissions(d, G, '4')).toBe(ALL);
    expect(has(guildPermissions(d, G, '2'), P.KICK_MEMBERS)).toBe(true);
    expect(has(guildPermissions(d, G, '3'), P.KICK_MEMBERS)).toBe(false);
    expect(has(guildPermissions(d, G, '3'), P.SEND_MESSAGES)).toBe(true);
  });

  test('channel overwrites: @everyone deny, role allow, member deny; no VIEW means nothing', () => {
    const d = data();
    const ch: Channel = {
      id: 'c', type: 0, guild_id: G, name: 'staff', position: 0,
      permission_overwrites: [
        { id: G, type: 0, allow: '0', deny: String(P.VIEW_CHANNEL) },
        { id: 'mod', type: 0, allow: String(P.VIEW_CHANNEL), deny: '0' },
        { id: '2', type: 1, allow: '0', deny: String(P.SEND_MESSAGES) },
      ],
    };
    expect(channelPermissions(d, ch, '3')).toBe(0n);
    const mod = channelPermissions(d, ch, '2');
    expect(has(mod, P.VIEW_CHANNEL)).toBe(true);
    expect(has(mod, P.SEND_MESSAGES)).toBe(false);
    expect(has(mod, P.MANAGE_MESSAGES)).toBe(true);
    expect(channelPermissions(d, ch, '4')).toBe(ALL);
  });
});
