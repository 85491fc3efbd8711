import {
  ApiError, GatewayClient, Op, type KeyValueStorage, RateLimitError, RestClient, catchUpMessages, type GatewayState, type Message,
  type Snowflake, type Status,
} from '@together/shared';
import { ServerData } from './state/data';
import { applyDispatch } from './state/events';
import { ReadState } from './state/readState';
import { VoiceConnection } from './voice/connection';
import { VoiceController } from './voice/controller';
import { LevelMeter, Playback } from './voice/playback';
import { VoicePrefs } from './voice/settings';

export const PAGE = 50;
const STATUS_KEY = 'together.status';

function memoryStorage(): KeyValueStorage {
  const m = new Map<string, string>();
  return { getItem: (k) => m.get(k) ?? null, setItem: (k, v) => void m.set(k, v), removeItem: (k) => void m.delete(k) };
}

/** Words a person can act on, for an error from the API. */
export function describeError(e: unknown): string {
  if (e instanceof RateLimitError) {
    const s = Math.max(1, Math.ceil(e.retryAfter));
    return e.code === 20016 ? `Slowmode is on: wait ${s}s before sending again.` : `You are sending too fast: try again in ${s}s.`;
  }
  if (e instanceof ApiError) {
    if (e.status === 403) return e.code === 50013 ? 'You do not have permission to do that here.' : 'You cannot access this.';
    if (e.fieldErrors.length) return e.fieldErrors.map((f) => f.message).join(' ');
    return e.message;
  }
  if (e instanceof Error) return e.message;
  return String(e);
}

let nonceCounter = 0;
function makeNonce() {
  // ≤ 25 characters, unique enough per client: time + counter + random.
  return `${Date.now().toString(36)}${(nonceCounter++ % 1296).toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`.slice(0, 25);
}

/**
 * One logged-in session: the REST client, the gateway and the stores it feeds. Created at login,
 * disposed at logout; the React tree receives it through context.
 */
export class Session {
  readonly data = new ServerData();
  /** UI state: what has been read, per channel (persisted per user). */
  readonly read: ReadState;
  readonly gateway: GatewayClient;
  /** This tab's voice call (one channel at a time) and its settings. */
  readonly voice: VoiceController;
  gatewayState: GatewayState = 'idle';
  /** False until the first READY: the stores are empty because nothing arrived yet, not because there is nothing. */
  everReady = false;
  private readonly stateListeners = new Set<() => void>();
  private readonly loadingOlder = new Map<Snowflake, Promise<void>>();
  private lastTyping = new Map<Snowflake, number>();
  private readonly requestedMembers = new Set<string>();
  private readonly storage: KeyValueStorage;

  constructor(readonly rest: RestClient, private readonly onLoggedOut: () => void, storage: KeyValueStorage = memoryStorage()) {
    this.storage = storage;
    this.read = new ReadState(storage, rest.userId ?? 'anonymous');
    const saved = storage.getItem(STATUS_KEY) as Status | null;
    const prefs = new VoicePrefs(storage, rest.userId ?? 'anonymous');
    this.voice = new VoiceController(
      {
        send: (op, d) => this.gateway.send(op, d),
        selfId: () => this.data.selfId,
        gatewaySessionId: () => this.gateway.session.id,
        gatewayReady: () => this.gateway.state === 'ready',
        getUserMedia: (c) => {
          if (!globalThis.navigator?.mediaDevices?.getUserMedia) return Promise.reject(new TypeError('getUserMedia is not available'));
          return navigator.mediaDevices.getUserMedia(c);
        },
        connect: (offer, mic, on) => new VoiceConnection(offer, mic, on),
        playback: () => {
          const p = new Playback((id) => prefs.volume(id)) as Playback & { meter?: (t: MediaStreamTrack) => LevelMeter | null };
          p.meter = (t) => (p.context ? new LevelMeter(p.context, t) : null);
          void p.setOutput(prefs.settings.outputDeviceId).catch(() => undefined);
          return p;
        },
        keys: typeof window === 'undefined' ? undefined : window,
      },
      prefs,
    );
    this.gateway = new GatewayClient(
      {
        presence: saved ? { status: saved } : undefined,
        url: async () => (await this.rest.gatewayUrl()).url,
        token: () => this.rest.accessToken(),
      },
      {
        dispatch: (t, d) => {
          applyDispatch(this.data, t, d);
          this.voice.onDispatch(t, d);
          // GUILD_MEMBER_ADD carries no presence: ask for the newcomer's with op 8, as Discord
          // clients do; the answer (GUILD_MEMBERS_CHUNK) goes through the same switch.
          if (t === 'GUILD_MEMBER_ADD') {
            const m = d as { guild_id: Snowflake; user: { id: Snowflake } };
            if (m.user.id !== this.data.selfId) {
              this.gateway.send(Op.RequestGuildMembers, { guild_id: m.guild_id, user_ids: [m.user.id], presences: true, limit: 1 });
            }
          }
          // Voice states carry no member here, and a large guild's GUILD_CREATE lists only us:
          // ask for whoever is in voice but unknown, so the sidebar shows names, not "Unknown user".
          if (t === 'GUILD_CREATE' || t === 'VOICE_STATE_UPDATE') this.requestVoiceMembers((d as { id?: Snowflake; guild_id?: Snowflake }));
        },
        state: (s) => {
          if (s === 'ready') this.everReady = true;
          this.gatewayState = s;
          this.stateListeners.forEach((l) => l());
        },
        ready: (_r, reidentified) => {
          this.voice.onReady(reidentified);
          if (reidentified) void this.catchUp();
        },
        resumed: () => this.voice.onResumed(),
        fatal: (code) => {
          if (code === 4004) void this.recoverAuth();
        },
      },
    );
  }

  start() {
    this.gateway.start();
  }

  private requestVoiceMembers(d: { id?: Snowflake; guild_id?: Snowflake }) {
    const guildId = d.guild_id ?? d.id;
    if (!guildId) return;
    const members = this.data.members.get(guildId);
    // Once per person: someone the server cannot find would otherwise be asked for on every update.
    const unknown = [...(this.data.voiceStates.get(guildId)?.keys() ?? [])]
      .filter((id) => !members?.has(id) && !this.requestedMembers.has(`${guildId}:${id}`));
    unknown.forEach((id) => this.requestedMembers.add(`${guildId}:${id}`));
    if (unknown.length) this.gateway.send(Op.RequestGuildMembers, { guild_id: guildId, user_ids: unknown.slice(0, 100), presences: false, limit: unknown.length });
  }

  subscribeState = (l: () => void) => {
    this.stateListeners.add(l);
    return () => this.stateListeners.delete(l);
  };

  async logout() {
    this.voice.dispose();
    this.gateway.stop();
    try {
      await this.rest.logout();
    } catch {
      // The tokens are gone locally either way.
    }
    this.onLoggedOut();
  }

  dispose() {
    this.voice.dispose();
    this.gateway.stop();
  }

  /** The gateway said the token is bad: refresh once and reconnect, else the session is over. */
  private async recoverAuth() {
    try {
      await this.rest.refresh();
      this.gateway.start();
    } catch {
      this.onLoggedOut();
    }
  }

  /** After a re-identify, fetch what was missed in every loaded channel and feed it through the switch. */
  async catchUp() {
    const missed = await catchUpMessages(this.rest, this.data.cursors());
    for (const list of missed.values()) for (const m of list) applyDispatch(this.data, 'MESSAGE_CREATE', m);
  }

  /** First page of a channel (newest 50), once. */
  async openChannel(channelId: Snowflake) {
    if (this.data.timelines.has(channelId)) return;
    const page = await this.rest.messages(channelId, { limit: PAGE });
    this.data.addMessages(channelId, page, { older: true, hasMore: page.length === PAGE });
  }

  /** The page before the oldest loaded message (keyset paging with `before=`). */
  loadOlder(channelId: Snowflake): Promise<void> {
    const running = this.loadingOlder.get(channelId);
    if (running) return running;
    const t = this.data.timelines.get(channelId);
    if (!t || !t.hasMore || !t.ids.length) return Promise.resolve();
    const p = this.rest
      .messages(channelId, { before: t.ids[0], limit: PAGE })
      .then((page) => this.data.addMessages(channelId, page, { older: true, hasMore: page.length === PAGE }))
      .finally(() => this.loadingOlder.delete(channelId));
    this.loadingOlder.set(channelId, p);
    return p;
  }

  /**
   * Optimistic send: a local copy shows at once; the REST answer or the gateway echo (same
   * `nonce`), whichever comes first, replaces it. `enforce_nonce` makes a retry safe.
   */
  async send(channelId: Snowflake, content: string, retryNonce?: string, replyTo?: Snowflake) {
    const nonce = retryNonce ?? makeNonce();
    const key = `pending:${nonce}`;
    const local = this.data.localMessage(channelId, content, nonce, replyTo);
    this.data.messages.set(key, local);
    this.data.timelines.update(channelId, (t) => {
      const base = t ?? { ids: [], pending: [], hasMore: false };
      return { ...base, pending: base.pending.includes(key) ? base.pending : [...base.pending, key] };
    });
    try {
      const m = await this.rest.sendMessage(channelId, {
        content, nonce, enforce_nonce: true, ...(replyTo ? { message_reference: { message_id: replyTo } } : {}),
      });
      this.reconcile(channelId, key, m);
    } catch (e) {
      this.data.messages.update(key, (old) => old && { ...old, pending: 'failed', error: describeError(e) });
    }
  }

  private reconcile(channelId: Snowflake, key: string, m: Message) {
    const t = this.data.timelines.get(channelId);
    if (t?.pending.includes(key)) {
      this.data.messages.delete(key);
      this.data.timelines.set(channelId, { ...t, pending: t.pending.filter((p) => p !== key) });
    }
    if (!this.data.messages.has(m.id)) this.data.addMessages(channelId, [m]);
  }

  retry(channelId: Snowflake, key: string) {
    const m = this.data.messages.get(key);
    if (!m) return;
    void this.send(channelId, m.content, String(m.nonce), m.message_reference?.message_id);
  }

  discard(channelId: Snowflake, key: string) {
    this.data.messages.delete(key);
    this.data.timelines.update(channelId, (t) => t && { ...t, pending: t.pending.filter((p) => p !== key) });
  }

  /** POST /typing at most every 8 s while the user types (the indicator lasts 10 s). */
  typing(channelId: Snowflake) {
    const now = Date.now();
    if (now - (this.lastTyping.get(channelId) ?? 0) < 8000) return;
    this.lastTyping.set(channelId, now);
    this.rest.typing(channelId).catch(() => undefined);
  }

  stoppedTyping(channelId: Snowflake) {
    this.lastTyping.delete(channelId);
  }

  async toggleReaction(channelId: Snowflake, messageId: Snowflake, emoji: string) {
    const m = this.data.messages.get(messageId);
    const mine = m?.reactions?.find((r) => r.emoji.name === emoji)?.me;
    if (mine) await this.rest.removeReaction(channelId, messageId, emoji);
    else await this.rest.addReaction(channelId, messageId, emoji);
  }

  /** Pin or unpin; the REST answer (204) is applied to the stored message at once. */
  async setPinned(channelId: Snowflake, messageId: Snowflake, pinned: boolean) {
    if (pinned) await this.rest.pin(channelId, messageId);
    else await this.rest.unpin(channelId, messageId);
    this.data.messages.update(messageId, (m) => m && { ...m, pinned });
  }

  setStatus(status: Status) {
    this.storage.setItem(STATUS_KEY, status);
    this.gateway.updatePresence(status);
    if (this.data.selfId) this.data.presences.set(this.data.selfId, status === 'invisible' ? 'offline' : status);
  }
}
