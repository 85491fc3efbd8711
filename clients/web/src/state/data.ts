import { compareIds, type Channel, type Guild, type Member, type Message, type Role, type Snowflake, type Status, type User, type VoiceState } from '@together/shared';
import { Collection } from './collection';

/** A message as the UI holds it: real, or an optimistic local copy waiting for its echo. */
export interface StoredMessage extends Message {
  /** Set on optimistic copies: their id is `pending:<nonce>`. */
  pending?: 'sending' | 'failed';
  error?: string;
}

/** The messages of one channel that the client has loaded, oldest first. */
export interface ChannelTimeline {
  /** Real message ids, ascending. */
  ids: Snowflake[];
  /** Optimistic sends not yet confirmed, in send order (ids `pending:<nonce>`). */
  pending: string[];
  /** More history exists before the oldest loaded message. */
  hasMore: boolean;
  /**
   * Newer messages exist after the newest loaded one: the window was loaded around an older
   * message (a search result). Live messages are not appended then, as they would follow a gap.
   */
  hasNewer?: boolean;
}

export type RoleInGuild = Role & { guild_id: Snowflake };

/**
 * Everything the server told this session, in id-keyed stores. One instance per logged-in
 * session (created by `Session`), never a module-level singleton. Only `applyDispatch` and the
 * session's REST loaders write to it.
 */
export class ServerData {
  selfId: Snowflake | null = null;
  readonly guilds = new Collection<Snowflake, Guild>();
  readonly channels = new Collection<Snowflake, Channel>();
  readonly roles = new Collection<Snowflake, RoleInGuild>();
  /** Per guild: user id → member. The inner map is replaced on every change. */
  readonly members = new Collection<Snowflake, ReadonlyMap<Snowflake, Member>>();
  readonly users = new Collection<Snowflake, User>();
  readonly messages = new Collection<string, StoredMessage>();
  readonly timelines = new Collection<Snowflake, ChannelTimeline>();
  readonly presences = new Collection<Snowflake, Status>();
  /** Per channel: user id → epoch ms when the typing indicator expires. */
  readonly typing = new Collection<Snowflake, ReadonlyMap<Snowflake, number>>();
  /** Per guild: user id → voice state, for everyone in one of its voice channels. */
  readonly voiceStates = new Collection<Snowflake, ReadonlyMap<Snowflake, VoiceState>>();
  /** Per guild: the users the SFU currently hears speaking (VOICE_SPEAKING). */
  readonly speaking = new Collection<Snowflake, ReadonlySet<Snowflake>>();

  /** Insert real messages into a channel's timeline (history pages, catch-up, live events). */
  addMessages(channelId: Snowflake, list: Message[], opts: { older?: boolean; hasMore?: boolean } = {}) {
    this.messages.batch(() => {
      for (const m of list) {
        this.messages.set(m.id, m);
        if (m.author) this.users.set(m.author.id, m.author);
      }
    });
    this.timelines.update(channelId, (t) => {
      const base = t ?? { ids: [], pending: [], hasMore: true };
      const ids = new Set(base.ids);
      for (const m of list) ids.add(m.id);
      const sorted = [...ids].sort(compareIds);
      return { ...base, ids: sorted, hasMore: opts.older && opts.hasMore !== undefined ? opts.hasMore : base.hasMore };
    });
  }

  /** The optimistic copy of a message being sent: shown at once, replaced by the server's by `nonce`. */
  localMessage(channelId: Snowflake, content: string, nonce: string, replyTo?: Snowflake): StoredMessage {
    const self = this.selfId ? this.users.get(this.selfId) : undefined;
    return {
      id: `pending:${nonce}`,
      channel_id: channelId,
      author: self ?? { id: this.selfId ?? '0', username: 'me' },
      content,
      timestamp: new Date().toISOString(),
      edited_timestamp: null,
      type: 0,
      nonce,
      pending: 'sending',
      referenced_message: replyTo ? (this.messages.get(replyTo) ?? null) : undefined,
      message_reference: replyTo ? { message_id: replyTo } : undefined,
    };
  }

  /** Newest loaded real message per channel: the cursors for a catch-up after re-identify. */
  cursors(): Array<[Snowflake, Snowflake]> {
    const out: Array<[Snowflake, Snowflake]> = [];
    for (const [channelId, t] of this.timelines.entries()) {
      if (t.ids.length) out.push([channelId, t.ids[t.ids.length - 1]]);
    }
    return out;
  }

  /** Who is in a voice channel, in the order they joined (as the server listed or announced them). */
  voiceMembers(guildId: Snowflake, channelId: Snowflake): VoiceState[] {
    return [...(this.voiceStates.get(guildId)?.values() ?? [])].filter((v) => v.channel_id === channelId);
  }

  guildChannels(guildId: Snowflake): Channel[] {
    return [...this.channels.values()].filter((c) => c.guild_id === guildId);
  }

  /** Display name: nickname, else global name, else username. */
  displayName(userId: Snowflake, guildId?: Snowflake): string {
    const member = guildId ? this.members.get(guildId)?.get(userId) : undefined;
    const user = this.users.get(userId) ?? member?.user;
    return member?.nick || user?.global_name || user?.username || 'Unknown user';
  }

  /** The colour of the member's highest coloured role, as CSS, or undefined. */
  roleColor(userId: Snowflake, guildId: Snowflake): string | undefined {
    const member = this.members.get(guildId)?.get(userId);
    if (!member) return undefined;
    let best: RoleInGuild | undefined;
    for (const id of member.roles) {
      const r = this.roles.get(id);
      if (r && r.color && (!best || r.position > best.position)) best = r;
    }
    return best ? `#${best.color.toString(16).padStart(6, '0')}` : undefined;
  }
}
