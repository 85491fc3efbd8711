import type {
  Channel, Emoji, GatewayGuild, Guild, Member, Message, PresenceUpdate, ReactionEvent, ReadyEvent, Role,
  Snowflake, TypingStart, User, VoiceSpeaking, VoiceState,
} from '@together/shared';
import type { ServerData, StoredMessage } from './data';

/** How long a TYPING_START shows, as on Discord. */
export const TYPING_MS = 10_000;

/**
 * The one place gateway events change the stores. Every dispatch goes through this switch; so do
 * the messages fetched in a catch-up after a re-identify (as MESSAGE_CREATE).
 */
export function applyDispatch(data: ServerData, t: string, d: unknown, now = Date.now()): void {
  switch (t) {
    case 'READY': {
      const r = d as ReadyEvent;
      data.selfId = r.user.id;
      data.users.set(r.user.id, r.user);
      // After a re-identify, guilds left or lost meanwhile are not in the list: forget them.
      const keep = new Set(r.guilds.map((g) => g.id));
      for (const id of [...data.guilds.keys()]) if (!keep.has(id)) removeGuild(data, id);
      break;
    }
    case 'GUILD_CREATE': {
      const g = d as GatewayGuild;
      if (g.unavailable) break;
      const { channels, members, presences, roles, voice_states, ...guild } = g;
      data.guilds.set(g.id, guild as Guild);
      // Replace the guild's channels and roles: the snapshot is complete.
      for (const c of data.guildChannels(g.id)) if (!channels.some((x) => x.id === c.id)) data.channels.delete(c.id);
      data.channels.batch(() => channels.forEach((c) => data.channels.set(c.id, { ...c, guild_id: g.id })));
      data.roles.batch(() => (roles ?? []).forEach((r) => data.roles.set(r.id, { ...r, guild_id: g.id })));
      const map = new Map<Snowflake, Member>();
      data.users.batch(() => {
        for (const m of members ?? []) {
          if (!m.user) continue;
          map.set(m.user.id, m);
          data.users.set(m.user.id, m.user);
        }
      });
      data.members.set(g.id, map);
      data.presences.batch(() => (presences ?? []).forEach((p) => data.presences.set(p.user.id, p.status)));
      // The snapshot is complete: who was speaking before it is unknown, so nobody is.
      data.voiceStates.set(g.id, new Map((voice_states ?? []).filter((v) => v.channel_id).map((v) => [v.user_id, { ...v, guild_id: g.id }])));
      data.speaking.delete(g.id);
      break;
    }
    case 'GUILD_UPDATE': {
      const g = d as Guild;
      data.guilds.update(g.id, (old) => (old ? { ...old, ...g } : g));
      if (g.roles) data.roles.batch(() => g.roles!.forEach((r) => data.roles.set(r.id, { ...r, guild_id: g.id })));
      break;
    }
    case 'GUILD_DELETE':
      removeGuild(data, (d as { id: Snowflake }).id);
      break;
    case 'GUILD_ROLE_CREATE':
    case 'GUILD_ROLE_UPDATE': {
      const { guild_id, role } = d as { guild_id: Snowflake; role: Role };
      data.roles.set(role.id, { ...role, guild_id });
      break;
    }
    case 'GUILD_ROLE_DELETE':
      data.roles.delete((d as { role_id: Snowflake }).role_id);
      break;
    case 'CHANNEL_CREATE':
    case 'CHANNEL_UPDATE': {
      const c = d as Channel;
      data.channels.update(c.id, (old) => ({ ...old, ...c }));
      break;
    }
    case 'CHANNEL_DELETE': {
      const c = d as Channel;
      data.channels.delete(c.id);
      data.timelines.delete(c.id);
      break;
    }
    case 'GUILD_MEMBER_ADD':
    case 'GUILD_MEMBER_UPDATE': {
      const m = d as Member & { guild_id: Snowflake; user: User };
      data.users.set(m.user.id, m.user);
      data.members.update(m.guild_id, (old) => {
        const next = new Map(old ?? []);
        next.set(m.user.id, { ...next.get(m.user.id), ...m });
        return next;
      });
      break;
    }
    case 'GUILD_MEMBER_REMOVE': {
      const { guild_id, user } = d as { guild_id: Snowflake; user: User };
      data.members.update(guild_id, (old) => {
        const next = new Map(old ?? []);
        next.delete(user.id);
        return next;
      });
      removeVoiceState(data, guild_id, user.id);
      break;
    }
    case 'VOICE_STATE_UPDATE': {
      const v = d as VoiceState & { guild_id: Snowflake };
      if (!v.guild_id) break;
      if (v.member?.user) data.users.set(v.member.user.id, v.member.user);
      if (!v.channel_id) {
        removeVoiceState(data, v.guild_id, v.user_id);
        break;
      }
      const moved = data.voiceStates.get(v.guild_id)?.get(v.user_id)?.channel_id !== v.channel_id;
      const { member: _member, ...state } = v;
      data.voiceStates.update(v.guild_id, (old) => new Map(old ?? []).set(v.user_id, state));
      // Speaking belongs to the room they were in.
      if (moved) setSpeaking(data, v.guild_id, v.user_id, false);
      break;
    }
    case 'VOICE_SPEAKING': {
      const s = d as VoiceSpeaking;
      // A late VOICE_SPEAKING for someone who already left must not light a ring nobody clears.
      if (s.speaking && data.voiceStates.get(s.guild_id)?.get(s.user_id)?.channel_id !== s.channel_id) break;
      setSpeaking(data, s.guild_id, s.user_id, s.speaking);
      break;
    }
    case 'GUILD_MEMBERS_CHUNK': {
      const { guild_id, members, presences } = d as { guild_id: Snowflake; members: Member[]; presences?: PresenceUpdate[] };
      data.members.update(guild_id, (old) => {
        const next = new Map(old ?? []);
        for (const m of members) if (m.user) next.set(m.user.id, m);
        return next;
      });
      for (const m of members) if (m.user) data.users.set(m.user.id, m.user);
      for (const p of presences ?? []) data.presences.set(p.user.id, p.status);
      break;
    }
    case 'MESSAGE_CREATE': {
      const m = d as Message;
      data.channels.update(m.channel_id, (c) => (c ? { ...c, last_message_id: m.id } : c));
      stopTyping(data, m.channel_id, m.author.id);
      const tl = data.timelines.get(m.channel_id);
      // Our own optimistic copy, echoed back with its nonce: replace it.
      if (tl && m.nonce != null) {
        const key = `pending:${m.nonce}`;
        if (tl.pending.includes(key)) {
          data.messages.delete(key);
          data.timelines.set(m.channel_id, { ...tl, pending: tl.pending.filter((p) => p !== key) });
        }
      }
      // Channels never opened load their history when opened; only extend loaded timelines.
      if (tl && !tl.hasNewer) data.addMessages(m.channel_id, [m]);
      else data.users.set(m.author.id, m.author);
      break;
    }
    case 'MESSAGE_UPDATE': {
      const m = d as Partial<Message> & { id: Snowflake };
      data.messages.update(m.id, (old) => (old ? { ...old, ...m } : undefined));
      break;
    }
    case 'MESSAGE_DELETE': {
      const { id, channel_id } = d as { id: Snowflake; channel_id: Snowflake };
      removeMessages(data, channel_id, [id]);
      break;
    }
    case 'MESSAGE_DELETE_BULK': {
      const { ids, channel_id } = d as { ids: Snowflake[]; channel_id: Snowflake };
      removeMessages(data, channel_id, ids);
      break;
    }
    case 'MESSAGE_REACTION_ADD':
    case 'MESSAGE_REACTION_REMOVE': {
      const r = d as ReactionEvent;
      const add = t === 'MESSAGE_REACTION_ADD';
      const mine = r.user_id === data.selfId;
      data.messages.update(r.message_id, (old) => old && withReaction(old, r.emoji, add ? 1 : -1, mine));
      break;
    }
    case 'MESSAGE_REACTION_REMOVE_ALL': {
      const { message_id } = d as { message_id: Snowflake };
      data.messages.update(message_id, (old) => old && { ...old, reactions: [] });
      break;
    }
    case 'MESSAGE_REACTION_REMOVE_EMOJI': {
      const { message_id, emoji } = d as { message_id: Snowflake; emoji: Emoji };
      data.messages.update(message_id, (old) => old && { ...old, reactions: (old.reactions ?? []).filter((x) => !sameEmoji(x.emoji, emoji)) });
      break;
    }
    case 'TYPING_START': {
      const ty = d as TypingStart;
      if (ty.user_id === data.selfId) break;
      if (ty.member?.user) data.users.set(ty.member.user.id, ty.member.user);
      data.typing.update(ty.channel_id, (old) => {
        const next = new Map(old ?? []);
        next.set(ty.user_id, now + TYPING_MS);
        return next;
      });
      break;
    }
    case 'PRESENCE_UPDATE': {
      const p = d as PresenceUpdate;
      data.presences.set(p.user.id, p.status === 'invisible' ? 'offline' : p.status);
      if (p.user.username) data.users.update(p.user.id, (old) => ({ ...(old as User), ...(p.user as User) }));
      break;
    }
    case 'USER_UPDATE': {
      const u = d as User;
      data.users.update(u.id, (old) => ({ ...old, ...u }));
      break;
    }
    default:
      // Events the web client does not show yet (invites, bans, pins) are ignored; VOICE_OFFER
      // is signalling for the voice connection (voice/controller.ts), not data to store.
      break;
  }
}

function removeGuild(data: ServerData, guildId: Snowflake) {
  data.guilds.delete(guildId);
  for (const c of data.guildChannels(guildId)) {
    data.channels.delete(c.id);
    data.timelines.delete(c.id);
  }
  for (const r of [...data.roles.values()]) if (r.guild_id === guildId) data.roles.delete(r.id);
  data.members.delete(guildId);
  data.voiceStates.delete(guildId);
  data.speaking.delete(guildId);
}

function removeVoiceState(data: ServerData, guildId: Snowflake, userId: Snowflake) {
  if (data.voiceStates.get(guildId)?.has(userId)) {
    data.voiceStates.update(guildId, (old) => {
      const next = new Map(old ?? []);
      next.delete(userId);
      return next;
    });
  }
  setSpeaking(data, guildId, userId, false);
}

function setSpeaking(data: ServerData, guildId: Snowflake, userId: Snowflake, speaking: boolean) {
  const cur = data.speaking.get(guildId);
  if ((cur?.has(userId) ?? false) === speaking) return;
  const next = new Set(cur ?? []);
  if (speaking) next.add(userId);
  else next.delete(userId);
  data.speaking.set(guildId, next);
}

function removeMessages(data: ServerData, channelId: Snowflake, ids: Snowflake[]) {
  const gone = new Set(ids);
  data.messages.batch(() => ids.forEach((id) => data.messages.delete(id)));
  data.timelines.update(channelId, (t) => t && { ...t, ids: t.ids.filter((x) => !gone.has(x)) });
}

function stopTyping(data: ServerData, channelId: Snowflake, userId: Snowflake) {
  const cur = data.typing.get(channelId);
  if (!cur?.has(userId)) return;
  const next = new Map(cur);
  next.delete(userId);
  data.typing.set(channelId, next);
}

function sameEmoji(a: Emoji, b: Emoji) {
  return a.id ? a.id === b.id : a.name === b.name;
}

function withReaction(m: StoredMessage, emoji: Emoji, delta: 1 | -1, mine: boolean): StoredMessage {
  const list = [...(m.reactions ?? [])];
  const i = list.findIndex((x) => sameEmoji(x.emoji, emoji));
  if (i < 0) {
    if (delta < 0) return m;
    list.push({ emoji, count: 1, me: mine });
  } else {
    const r = list[i];
    const count = r.count + delta;
    if (count <= 0) list.splice(i, 1);
    else list[i] = { ...r, count, me: mine ? delta > 0 : r.me };
  }
  return { ...m, reactions: list };
}
