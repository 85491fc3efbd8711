import type { Channel, Snowflake } from '@together/shared';
import type { ServerData } from './state/data';

/** Discord's permission bits (as BigInt: MODERATE_MEMBERS is bit 40). */
export const P = {
  CREATE_INSTANT_INVITE: 1n << 0n,
  KICK_MEMBERS: 1n << 1n,
  BAN_MEMBERS: 1n << 2n,
  ADMINISTRATOR: 1n << 3n,
  MANAGE_CHANNELS: 1n << 4n,
  MANAGE_GUILD: 1n << 5n,
  ADD_REACTIONS: 1n << 6n,
  VIEW_AUDIT_LOG: 1n << 7n,
  VIEW_CHANNEL: 1n << 10n,
  SEND_MESSAGES: 1n << 11n,
  MANAGE_MESSAGES: 1n << 13n,
  EMBED_LINKS: 1n << 14n,
  ATTACH_FILES: 1n << 15n,
  READ_MESSAGE_HISTORY: 1n << 16n,
  MENTION_EVERYONE: 1n << 17n,
  CONNECT: 1n << 20n,
  SPEAK: 1n << 21n,
  CHANGE_NICKNAME: 1n << 26n,
  MANAGE_NICKNAMES: 1n << 27n,
  MANAGE_ROLES: 1n << 28n,
  MODERATE_MEMBERS: 1n << 40n,
} as const;

export const ALL = (1n << 41n) - 1n;

/** The permissions a settings screen offers, with Discord's wording. */
export const EDITABLE: Array<[keyof typeof P, string]> = [
  ['ADMINISTRATOR', 'Administrator'],
  ['VIEW_CHANNEL', 'View Channels'],
  ['MANAGE_CHANNELS', 'Manage Channels'],
  ['MANAGE_ROLES', 'Manage Roles'],
  ['MANAGE_GUILD', 'Manage Server'],
  ['VIEW_AUDIT_LOG', 'View Audit Log'],
  ['CREATE_INSTANT_INVITE', 'Create Invite'],
  ['KICK_MEMBERS', 'Kick Members'],
  ['BAN_MEMBERS', 'Ban Members'],
  ['MODERATE_MEMBERS', 'Timeout Members'],
  ['SEND_MESSAGES', 'Send Messages'],
  ['ADD_REACTIONS', 'Add Reactions'],
  ['READ_MESSAGE_HISTORY', 'Read Message History'],
  ['MANAGE_MESSAGES', 'Manage Messages'],
  ['MENTION_EVERYONE', 'Mention @everyone'],
  ['CONNECT', 'Connect'],
  ['SPEAK', 'Speak'],
];

const big = (s: string | undefined) => {
  try {
    return BigInt(s ?? '0');
  } catch {
    return 0n;
  }
};

/** Guild-level permissions: @everyone | the member's roles; the owner and ADMINISTRATOR have all. */
export function guildPermissions(data: ServerData, guildId: Snowflake, userId: Snowflake): bigint {
  const guild = data.guilds.get(guildId);
  if (!guild) return 0n;
  if (guild.owner_id === userId) return ALL;
  const member = data.members.get(guildId)?.get(userId);
  let perms = big(data.roles.get(guildId)?.permissions);
  for (const id of member?.roles ?? []) perms |= big(data.roles.get(id)?.permissions);
  return perms & P.ADMINISTRATOR ? ALL : perms;
}

/** Channel permissions: Discord's overwrite order (@everyone, then roles together, then the member). */
export function channelPermissions(data: ServerData, channel: Channel, userId: Snowflake): bigint {
  const guildId = channel.guild_id;
  if (!guildId) return 0n;
  let perms = guildPermissions(data, guildId, userId);
  if (perms === ALL) return ALL;
  const ow = channel.permission_overwrites ?? [];
  const everyone = ow.find((o) => o.id === guildId);
  if (everyone) perms = (perms & ~big(everyone.deny)) | big(everyone.allow);
  const roles = new Set(data.members.get(guildId)?.get(userId)?.roles ?? []);
  let allow = 0n;
  let deny = 0n;
  for (const o of ow) {
    if (o.type === 0 && roles.has(o.id)) {
      allow |= big(o.allow);
      deny |= big(o.deny);
    }
  }
  perms = (perms & ~deny) | allow;
  const mine = ow.find((o) => o.type === 1 && o.id === userId);
  if (mine) perms = (perms & ~big(mine.deny)) | big(mine.allow);
  return perms & P.VIEW_CHANNEL ? perms : 0n;
}

export const has = (perms: bigint, bit: bigint) => (perms & bit) === bit;
