import {
  ApiError, GatewayClient, Op, type GatewayGuild, type KeyValueStorage, RateLimitError, RestClient, compareIds, type GatewayState, type Message,
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
  private readonly memberLoads = new Map<Snowflake, Promise<void>>();
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
          // A large guild's GUILD_CREATE lists only us: ask for everyone with their presences, as
          // Discord clients do (query "" and limit 0 = all; GUILD_MEMBERS_CHUNKs, merged by the switch).
          if (t === 'GUILD_CREATE' && (d as GatewayGuild).large && !(d as GatewayGuild).unavailable) {
            this.gateway.send(Op.RequestGuildMembers, { guild_id: (d as GatewayGuild).id, query: '', limit: 0, presences: true });
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
          // Our own presence is what we identified with; a guild snapshot taken while this
          // connection was starting may still list us offline.
          const status = (this.storage.getItem(STATUS_KEY) as Status | null) ?? 'online';
          if (this.data.selfId) this.data.presences.set(this.data.selfId, status === 'invisible' ? 'offline' : status);
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

  /**
   * The channel on screen (set by the chat view): after a re-identify its loaded messages are read
   * again; other channels' histories are dropped and load fresh when opened.
   */
  activeChannelId: Snowflake | null = null;

  /**
   * After a re-identify nothing that happened meanwhile was received: new messages, but also edits,
   * deletions and reactions. So the open channel's loaded window is read again, newest first, with
   * `before=` pages: new messages go through the event switch as MESSAGE_CREATE (reconciling our
   * own sends), held ones are replaced, held ones the server no longer lists are deleted. If more
   * than `maxPages` pages arrived meanwhile, what is held would sit behind a hole: it is dropped
   * and the newest pages become the history. Other channels' histories are dropped (they load
   * again when opened, up to date); their unread state comes from the new READY's channels.
   */
  async catchUp(maxPages = 10, pageSize = 100) {
    const open = this.activeChannelId;
    for (const id of [...this.data.timelines.keys()]) if (id !== open) this.dropHistory(id);
    const t = open ? this.data.timelines.get(open) : undefined;
    if (!open || !t?.ids.length) return;
    if (t.hasNewer) {
      // Reading old messages (a search result): start again from the present.
      await this.jumpToPresent(open).catch(() => undefined);
      return;
    }
    const oldest = t.ids[0];
    const newest = t.ids[t.ids.length - 1];
    const got: Message[] = [];
    let before: Snowflake | undefined;
    let reachedNewest = false;
    let reachedOldest = false;
    for (let page = 0; page < maxPages; page++) {
      let batch: Message[];
      try {
        batch = await this.rest.messages(open, { before, limit: pageSize });
      } catch {
        return; // Lost access, or the channel is gone: its own events say so.
      }
      got.push(...batch);
      if (batch.length < pageSize) {
        reachedNewest = reachedOldest = true;
        break;
      }
      const min = batch.reduce((a, m) => (compareIds(m.id, a) < 0 ? m.id : a), batch[0].id);
      if (compareIds(min, newest) <= 0) reachedNewest = true;
      if (compareIds(min, oldest) <= 0) {
        reachedOldest = true;
        break;
      }
      before = min;
    }
    got.sort(compareIds);
    if (!reachedNewest) {
      this.dropHistory(open);
      this.data.addMessages(open, got, { older: true, hasMore: true });
      const last = got[got.length - 1];
      if (last) this.data.channels.update(open, (c) => (c ? { ...c, last_message_id: last.id } : c));
      return;
    }
    // What was read covers [floor, newest]; a held message in that range that is missing was deleted.
    const floor = reachedOldest || !got.length ? null : got[0].id;
    const fetched = new Set(got.map((m) => m.id));
    const gone = t.ids.filter((id) => (floor === null || compareIds(id, floor) >= 0) && !fetched.has(id));
    if (gone.length) applyDispatch(this.data, 'MESSAGE_DELETE_BULK', { ids: gone, channel_id: open });
    this.data.addMessages(open, got.filter((m) => compareIds(m.id, newest) <= 0));
    for (const m of got) if (compareIds(m.id, newest) > 0) applyDispatch(this.data, 'MESSAGE_CREATE', m);
  }

  /** Forget a channel's loaded messages (its optimistic sends stay); the chat view loads it again when opened. */
  private dropHistory(channelId: Snowflake) {
    const t = this.data.timelines.get(channelId);
    if (!t) return;
    this.data.messages.batch(() => t.ids.forEach((id) => this.data.messages.delete(id)));
    if (t.pending.length) this.data.timelines.set(channelId, { ids: [], pending: t.pending, hasMore: true });
    else this.data.timelines.delete(channelId);
  }

  /**
   * Every member of a guild over REST (`GET /guilds/{id}/members?limit=1000&after=`), merged like a
   * GUILD_MEMBERS_CHUNK: for screens that list all members (server settings), whatever the gateway
   * has sent so far. Once per guild and session; a failure allows another try.
   */
  loadAllMembers(guildId: Snowflake): Promise<void> {
    const running = this.memberLoads.get(guildId);
    if (running) return running;
    const p = (async () => {
      let after: Snowflake | undefined;
      for (;;) {
        const page = await this.rest.members(guildId, after, 1000);
        applyDispatch(this.data, 'GUILD_MEMBERS_CHUNK', { guild_id: guildId, members: page });
        if (page.length < 1000) break;
        after = page.reduce((a, m) => (m.user && compareIds(m.user.id, a) > 0 ? m.user.id : a), page[0].user?.id ?? '0');
      }
    })();
    p.catch(() => this.memberLoads.delete(guildId));
    this.memberLoads.set(guildId, p);
    return p;
  }

  /** First page of a channel (newest 50), once. */
  async openChannel(channelId: Snowflake) {
    const t = this.data.timelines.get(channelId);
    // Loaded already (a history dropped by a catch-up may keep unsent messages: ids empty, more to load).
    if (t && (t.ids.length || !t.hasMore)) return;
    const page = await this.rest.messages(channelId, { limit: PAGE });
    // A jump to a search result may have loaded another window meanwhile: this page would follow a gap.
    if (this.data.timelines.get(channelId)?.ids.length) return;
    this.data.addMessages(channelId, page, { older: true, hasMore: page.length === PAGE });
  }

  /**
   * Show a message that may not be loaded (a search result): a page `around=` it replaces the
   * channel's history, marked `hasNewer` when the channel has messages after that page.
   */
  async loadAround(channelId: Snowflake, messageId: Snowflake) {
    if (this.data.timelines.get(channelId)?.ids.includes(messageId)) return;
    const page = await this.rest.messages(channelId, { around: messageId, limit: PAGE });
    const newest = page.reduce<Snowflake | null>((a, m) => (!a || compareIds(m.id, a) > 0 ? m.id : a), null);
    const last = this.data.channels.get(channelId)?.last_message_id;
    const hasNewer = !!newest && !!last && compareIds(last, newest) > 0;
    this.dropHistory(channelId);
    this.data.addMessages(channelId, page, { older: true, hasMore: true });
    this.data.timelines.update(channelId, (t) => t && { ...t, hasNewer });
  }

  /** The page after the newest loaded message, while the window is not at the present. */
  loadNewer(channelId: Snowflake): Promise<void> {
    const key = `newer:${channelId}`;
    const running = this.loadingOlder.get(key);
    if (running) return running;
    const t = this.data.timelines.get(channelId);
    if (!t?.hasNewer || !t.ids.length) return Promise.resolve();
    const p = this.rest
      .messages(channelId, { after: t.ids[t.ids.length - 1], limit: PAGE })
      .then((page) => {
        this.data.addMessages(channelId, page);
        if (page.length < PAGE) this.data.timelines.update(channelId, (x) => x && { ...x, hasNewer: false });
      })
      .finally(() => this.loadingOlder.delete(key));
    this.loadingOlder.set(key, p);
    return p;
  }

  /** Back to the newest messages after reading around an old one. */
  async jumpToPresent(channelId: Snowflake) {
    this.dropHistory(channelId);
    await this.openChannel(channelId);
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
    // Sending while reading old messages goes back to the present, as on Discord.
    if (this.data.timelines.get(channelId)?.hasNewer) void this.jumpToPresent(channelId).catch(() => undefined);
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
