// The wire shapes the clients use (Discord v10 JSON, as Together sends them). Only the fields the
// clients read are listed; the server may send more.

export type Snowflake = string;

export interface User {
  id: Snowflake;
  username: string;
  global_name?: string | null;
  avatar?: string | null;
  bot?: boolean;
  email?: string | null;
}

export interface Role {
  id: Snowflake;
  name: string;
  color: number;
  hoist: boolean;
  position: number;
  permissions: string;
  managed?: boolean;
  mentionable?: boolean;
}

export const ChannelType = { GuildText: 0, GuildVoice: 2, GuildCategory: 4 } as const;

export interface PermissionOverwrite {
  id: Snowflake;
  type: 0 | 1;
  allow: string;
  deny: string;
}

export interface Channel {
  id: Snowflake;
  type: number;
  guild_id?: Snowflake;
  name: string;
  position: number;
  parent_id?: Snowflake | null;
  topic?: string | null;
  last_message_id?: Snowflake | null;
  permission_overwrites?: PermissionOverwrite[];
}

export interface Member {
  user?: User;
  nick?: string | null;
  roles: Snowflake[];
  joined_at: string;
  communication_disabled_until?: string | null;
  guild_id?: Snowflake;
}

export interface Guild {
  id: Snowflake;
  name: string;
  icon?: string | null;
  description?: string | null;
  owner_id: Snowflake;
  system_channel_id?: Snowflake | null;
  roles?: Role[];
  permissions?: string;
  approximate_member_count?: number;
}

/** GUILD_CREATE carries the guild with its channels, members and presences. */
export interface GatewayGuild extends Guild {
  channels: Channel[];
  members: Member[];
  presences: PresenceUpdate[];
  voice_states?: VoiceState[];
  member_count?: number;
  /** More members than IDENTIFY's large_threshold: `members` holds only us; ask with op 8. */
  large?: boolean;
  joined_at?: string;
  unavailable?: boolean;
}

/** Discord's voice state; `channel_id` is null in the VOICE_STATE_UPDATE that says someone left. */
export interface VoiceState {
  guild_id?: Snowflake;
  channel_id: Snowflake | null;
  user_id: Snowflake;
  member?: Member;
  session_id: string;
  /** Server mute/deafen (a moderator's). */
  deaf: boolean;
  mute: boolean;
  self_deaf: boolean;
  self_mute: boolean;
  self_video?: boolean;
  suppress?: boolean;
}

/** Op 4 VOICE_STATE_UPDATE: `channel_id: null` leaves. */
export interface VoiceStateUpdateCommand {
  guild_id: Snowflake;
  channel_id: Snowflake | null;
  self_mute: boolean;
  self_deaf: boolean;
}

export interface IceServer {
  urls: string[];
  username?: string;
  credential?: string;
}

/** Dispatch VOICE_OFFER: the server's SDP offer for this session's voice connection. */
export interface VoiceOffer {
  guild_id: Snowflake;
  channel_id: Snowflake;
  sdp: string;
  /** Grows with every renegotiation of one connection; starts again with a new connection. */
  revision: number;
  ice_servers: IceServer[];
}

/** Op 40 VOICE_ANSWER. */
export interface VoiceAnswerCommand {
  guild_id: Snowflake;
  sdp: string;
}

/** Dispatch VOICE_SPEAKING, from the audio level the SFU reads in each packet. */
export interface VoiceSpeaking {
  guild_id: Snowflake;
  channel_id: Snowflake;
  user_id: Snowflake;
  speaking: boolean;
}

export interface Emoji {
  id: Snowflake | null;
  name: string;
}

export interface Reaction {
  count: number;
  me: boolean;
  emoji: Emoji;
}

/** Discord's attachment object; `url` is absolute, signed and expires (see refresh-urls). */
export interface Attachment {
  id: Snowflake;
  filename: string;
  description?: string | null;
  content_type?: string;
  size: number;
  url: string;
  proxy_url: string;
  width?: number | null;
  height?: number | null;
  /** Bit 3 (8) = IS_SPOILER. */
  flags?: number;
}

export interface Message {
  id: Snowflake;
  channel_id: Snowflake;
  guild_id?: Snowflake;
  author: User;
  member?: Member;
  content: string;
  timestamp: string;
  edited_timestamp: string | null;
  type: number;
  nonce?: string | number | null;
  pinned?: boolean;
  mentions?: User[];
  mention_roles?: Snowflake[];
  mention_everyone?: boolean;
  reactions?: Reaction[];
  attachments?: Attachment[];
  referenced_message?: Message | null;
  message_reference?: { message_id?: Snowflake; channel_id?: Snowflake; guild_id?: Snowflake };
}

export type Status = 'online' | 'idle' | 'dnd' | 'offline' | 'invisible';

export interface PresenceUpdate {
  user: { id: Snowflake } & Partial<User>;
  guild_id?: Snowflake;
  status: Status;
}

export interface Ban {
  reason: string | null;
  user: User;
}

export interface Invite {
  code: string;
  guild?: Pick<Guild, 'id' | 'name' | 'icon' | 'description'>;
  channel?: Pick<Channel, 'id' | 'name' | 'type'>;
  inviter?: User;
  approximate_member_count?: number;
  uses?: number;
  max_uses?: number;
  max_age?: number;
  expires_at?: string | null;
}

export interface AuthResponse {
  token: string;
  refresh_token: string;
  expires_in: number;
  user_id: Snowflake;
}

export interface ReadyEvent {
  v: number;
  user: User;
  guilds: Array<{ id: Snowflake; unavailable?: boolean }>;
  session_id: string;
  resume_gateway_url: string;
}

export interface TypingStart {
  channel_id: Snowflake;
  guild_id?: Snowflake;
  user_id: Snowflake;
  timestamp: number;
  member?: Member;
}

export interface ReactionEvent {
  user_id: Snowflake;
  channel_id: Snowflake;
  message_id: Snowflake;
  guild_id?: Snowflake;
  emoji: Emoji;
  member?: Member;
}

export interface AuditLogEntry {
  id: Snowflake;
  action_type: number;
  user_id: Snowflake | null;
  target_id: Snowflake | null;
  reason?: string | null;
  changes?: Array<{ key: string; old_value?: unknown; new_value?: unknown }>;
  options?: Record<string, unknown>;
}

export interface AuditLog {
  audit_log_entries: AuditLogEntry[];
  users: User[];
}
