import { ApiError, NetworkError, RateLimitError, errorFromBody } from './errors';
import type { TokenStore, Tokens } from './tokens';
import type {
  Ban, AuditLog, AuthResponse, Channel, Guild, Invite, Member, Message, Role, Snowflake, User,
} from './types';
import { buildMessageForm, type MessagePayload, type OutgoingFile } from './files';
import { UploadNetworkError, xhrUpload, type UploadFn } from './upload';

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export interface RestOptions {
  /** Origin of the server, '' for the page's own origin. The API lives under `${baseUrl}/api/v10`. */
  baseUrl?: string;
  tokens: TokenStore;
  fetch?: FetchLike;
  /**
   * Runs the token refresh under a lock shared by every tab (navigator.locks in the browser), so
   * two tabs never present the same refresh token: the server revokes the session on reuse.
   */
  withLock?: <T>(fn: () => Promise<T>) => Promise<T>;
  /** 429s asking to wait at most this long (seconds) are retried; longer ones throw. */
  maxRetryAfter?: number;
  maxRetries?: number;
  /** Refresh this long (ms) before the access token expires. */
  refreshMargin?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Called when the session is gone (refresh refused): the app shows the login screen. */
  onLoggedOut?: () => void;
  /** Multipart uploads with progress; XMLHttpRequest by default. */
  upload?: UploadFn;
}

interface RequestOptions {
  body?: unknown;
  query?: Record<string, string | number | boolean | undefined>;
  auth?: boolean;
  headers?: Record<string, string>;
}

function auditReason(reason?: string): Record<string, string> | undefined {
  return reason ? { 'x-audit-log-reason': encodeURIComponent(reason) } : undefined;
}

/** Slowmode (20016) is meant for the user to see, not to be waited out silently. */
const NO_RETRY_CODES = new Set([20016]);

export class RestClient {
  private readonly base: string;
  private readonly fetchFn: FetchLike;
  private readonly tokens: TokenStore;
  private readonly opts: RestOptions;
  private refreshing: Promise<Tokens> | null = null;

  constructor(opts: RestOptions) {
    this.opts = opts;
    this.base = `${opts.baseUrl ?? ''}/api/v10`;
    this.tokens = opts.tokens;
    this.fetchFn = opts.fetch ?? ((input, init) => globalThis.fetch(input, init));
  }

  private now() {
    return (this.opts.now ?? Date.now)();
  }

  private sleep(ms: number) {
    return (this.opts.sleep ?? ((t: number) => new Promise<void>((r) => setTimeout(r, t))))(ms);
  }

  get loggedIn() {
    return this.tokens.load() !== null;
  }

  get userId(): string | null {
    return this.tokens.load()?.userId ?? null;
  }

  /** A valid access token, refreshed first when it is about to expire. */
  async accessToken(): Promise<string> {
    const t = this.tokens.load();
    if (!t) throw new ApiError(401, 0, 'Not logged in');
    if (t.expiresAt - (this.opts.refreshMargin ?? 30_000) <= this.now()) {
      return (await this.refresh(t.refreshToken)).token;
    }
    return t.token;
  }

  /**
   * Single-flight refresh: concurrent callers share one request. `stale` is the refresh token the
   * caller saw; if the store already holds a different one, someone else rotated it and that
   * result is used instead of presenting the old token again.
   */
  refresh(stale?: string): Promise<Tokens> {
    if (!this.refreshing) {
      const run = async () => {
        const current = this.tokens.load();
        if (!current) throw new ApiError(401, 0, 'Not logged in');
        if (stale !== undefined && current.refreshToken !== stale && current.expiresAt > this.now()) {
          return current;
        }
        let res: AuthResponse;
        try {
          res = await this.send<AuthResponse>('POST', '/auth/refresh', { body: { refresh_token: current.refreshToken }, auth: false });
        } catch (e) {
          if (e instanceof ApiError && (e.status === 401 || e.status === 403 || e.status === 400)) {
            this.tokens.clear();
            this.opts.onLoggedOut?.();
          }
          throw e;
        }
        return this.store(res);
      };
      const locked = this.opts.withLock ? this.opts.withLock(run) : run();
      this.refreshing = locked.finally(() => {
        this.refreshing = null;
      });
    }
    return this.refreshing;
  }

  private store(res: AuthResponse): Tokens {
    const t: Tokens = {
      token: res.token,
      refreshToken: res.refresh_token,
      userId: res.user_id,
      expiresAt: this.now() + res.expires_in * 1000,
    };
    this.tokens.save(t);
    return t;
  }

  /** One API call: auth header, one refresh-and-retry on 401, 429s waited out when short. */
  async request<T>(method: string, path: string, o: RequestOptions = {}): Promise<T> {
    const auth = o.auth !== false;
    let retried401 = false;
    for (let attempt = 0; ; attempt++) {
      const token = auth ? await this.accessToken() : undefined;
      try {
        return await this.send<T>(method, path, o, token);
      } catch (e) {
        if (auth && e instanceof ApiError && e.status === 401 && !retried401) {
          retried401 = true;
          const seen = this.tokens.load();
          if (!seen) throw e;
          // Another request may have refreshed while this one was in flight: only refresh if
          // the token that failed is still the current one.
          if (seen.token === token) await this.refresh(seen.refreshToken);
          continue;
        }
        if (e instanceof RateLimitError && !NO_RETRY_CODES.has(e.code)
          && attempt < (this.opts.maxRetries ?? 3) && e.retryAfter <= (this.opts.maxRetryAfter ?? 10)) {
          await this.sleep(Math.ceil(e.retryAfter * 1000));
          continue;
        }
        throw e;
      }
    }
  }

  private async send<T>(method: string, path: string, o: RequestOptions, token?: string): Promise<T> {
    let url = this.base + path;
    if (o.query) {
      const q = new URLSearchParams();
      for (const [k, v] of Object.entries(o.query)) if (v !== undefined) q.set(k, String(v));
      const s = q.toString();
      if (s) url += `?${s}`;
    }
    const headers: Record<string, string> = { ...o.headers };
    if (o.body !== undefined) headers['content-type'] = 'application/json';
    if (token) headers.authorization = `Bearer ${token}`;
    let res: Response;
    try {
      res = await this.fetchFn(url, { method, headers, body: o.body === undefined ? undefined : JSON.stringify(o.body) });
    } catch (e) {
      throw new NetworkError(`Could not reach the server (${method} ${path})`, e);
    }
    return this.parse<T>(res.status, res.statusText, res.status === 204 ? '' : await res.text(), (n) => res.headers.get(n));
  }

  private parse<T>(status: number, statusText: string, text: string, header: (name: string) => string | null): T {
    if (status === 204) return undefined as T;
    let body: unknown = undefined;
    if (text) {
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
    }
    if (status < 200 || status > 299) {
      const err = errorFromBody(status, body, statusText);
      if (err instanceof RateLimitError && !(body && typeof body === 'object' && 'retry_after' in body)) {
        const retryAfter = Number(header('retry-after'));
        if (retryAfter > 0) throw new RateLimitError(err.code, err.message, retryAfter, err.global, body);
      }
      throw err;
    }
    return body as T;
  }

  // ---- accounts ----
  async register(username: string, password: string): Promise<Tokens> {
    return this.store(await this.request<AuthResponse>('POST', '/auth/register', { body: { username, password }, auth: false }));
  }
  async login(login: string, password: string): Promise<Tokens> {
    return this.store(await this.request<AuthResponse>('POST', '/auth/login', { body: { login, password }, auth: false }));
  }
  /** Ends the session on the server (best effort) and forgets the tokens locally. */
  async logout(): Promise<void> {
    try {
      if (this.tokens.load()) await this.request<void>('POST', '/auth/logout');
    } finally {
      this.tokens.clear();
    }
  }
  me() {
    return this.request<User>('GET', '/users/@me');
  }
  /** `avatar`: a data URI (`data:image/png;base64,…`) or null to remove it. */
  updateMe(body: { avatar?: string | null; global_name?: string | null }) {
    return this.request<User>('PATCH', '/users/@me', { body });
  }
  user(id: Snowflake) {
    return this.request<User>('GET', `/users/${id}`);
  }
  gatewayUrl() {
    return this.request<{ url: string }>('GET', '/gateway', { auth: false });
  }

  // ---- guilds ----
  myGuilds() {
    return this.request<Guild[]>('GET', '/users/@me/guilds');
  }
  /** `icon`: an optional data URI, as on Discord. */
  createGuild(name: string, icon?: string | null) {
    return this.request<Guild>('POST', '/guilds', { body: icon ? { name, icon } : { name } });
  }
  guild(id: Snowflake) {
    return this.request<Guild>('GET', `/guilds/${id}`, { query: { with_counts: true } });
  }
  leaveGuild(id: Snowflake) {
    return this.request<void>('DELETE', `/users/@me/guilds/${id}`);
  }
  guildChannels(id: Snowflake) {
    return this.request<Channel[]>('GET', `/guilds/${id}/channels`);
  }
  createChannel(guildId: Snowflake, body: { name: string; type?: number; parent_id?: Snowflake | null }) {
    return this.request<Channel>('POST', `/guilds/${guildId}/channels`, { body });
  }
  /** `icon`: a data URI (`data:image/png;base64,…`) or null to remove it. */
  updateGuild(guildId: Snowflake, body: Partial<Pick<Guild, 'name' | 'description' | 'system_channel_id' | 'icon'>>) {
    return this.request<Guild>('PATCH', `/guilds/${guildId}`, { body });
  }
  updateChannel(channelId: Snowflake, body: { name?: string; topic?: string | null; parent_id?: Snowflake | null; position?: number; rate_limit_per_user?: number }) {
    return this.request<Channel>('PATCH', `/channels/${channelId}`, { body });
  }
  deleteChannel(channelId: Snowflake) {
    return this.request<Channel>('DELETE', `/channels/${channelId}`);
  }
  reorderChannels(guildId: Snowflake, body: Array<{ id: Snowflake; position?: number; parent_id?: Snowflake | null; lock_permissions?: boolean }>) {
    return this.request<void>('PATCH', `/guilds/${guildId}/channels`, { body });
  }
  /** `type` 0 = role, 1 = member; allow/deny are permission bit strings. */
  putOverwrite(channelId: Snowflake, targetId: Snowflake, body: { type: 0 | 1; allow: string; deny: string }) {
    return this.request<void>('PUT', `/channels/${channelId}/permissions/${targetId}`, { body });
  }
  deleteOverwrite(channelId: Snowflake, targetId: Snowflake) {
    return this.request<void>('DELETE', `/channels/${channelId}/permissions/${targetId}`);
  }
  createRole(guildId: Snowflake, body: { name?: string; color?: number; permissions?: string; hoist?: boolean; mentionable?: boolean }) {
    return this.request<Role>('POST', `/guilds/${guildId}/roles`, { body });
  }
  updateRole(guildId: Snowflake, roleId: Snowflake, body: { name?: string; color?: number; permissions?: string; hoist?: boolean; mentionable?: boolean }) {
    return this.request<Role>('PATCH', `/guilds/${guildId}/roles/${roleId}`, { body });
  }
  deleteRole(guildId: Snowflake, roleId: Snowflake) {
    return this.request<void>('DELETE', `/guilds/${guildId}/roles/${roleId}`);
  }
  reorderRoles(guildId: Snowflake, body: Array<{ id: Snowflake; position: number }>) {
    return this.request<Role[]>('PATCH', `/guilds/${guildId}/roles`, { body });
  }
  addMemberRole(guildId: Snowflake, userId: Snowflake, roleId: Snowflake) {
    return this.request<void>('PUT', `/guilds/${guildId}/members/${userId}/roles/${roleId}`);
  }
  removeMemberRole(guildId: Snowflake, userId: Snowflake, roleId: Snowflake) {
    return this.request<void>('DELETE', `/guilds/${guildId}/members/${userId}/roles/${roleId}`);
  }
  /** Timeout until the given ISO time, or null to end it. */
  timeoutMember(guildId: Snowflake, userId: Snowflake, until: string | null, reason?: string) {
    return this.request<Member>('PATCH', `/guilds/${guildId}/members/${userId}`, {
      body: { communication_disabled_until: until }, headers: auditReason(reason),
    });
  }
  kick(guildId: Snowflake, userId: Snowflake, reason?: string) {
    return this.request<void>('DELETE', `/guilds/${guildId}/members/${userId}`, { headers: auditReason(reason) });
  }
  ban(guildId: Snowflake, userId: Snowflake, deleteMessageSeconds = 0, reason?: string) {
    return this.request<void>('PUT', `/guilds/${guildId}/bans/${userId}`, { body: { delete_message_seconds: deleteMessageSeconds }, headers: auditReason(reason) });
  }
  /** Banned users, by user id (`after=` pages, up to 1000). */
  bans(guildId: Snowflake, q: { limit?: number; after?: Snowflake } = {}) {
    return this.request<Ban[]>('GET', `/guilds/${guildId}/bans`, { query: { limit: q.limit ?? 1000, after: q.after } });
  }
  unban(guildId: Snowflake, userId: Snowflake, reason?: string) {
    return this.request<void>('DELETE', `/guilds/${guildId}/bans/${userId}`, { headers: auditReason(reason) });
  }
  guildInvites(guildId: Snowflake) {
    return this.request<Invite[]>('GET', `/guilds/${guildId}/invites`);
  }
  deleteInvite(code: string) {
    return this.request<Invite>('DELETE', `/invites/${encodeURIComponent(code)}`);
  }
  auditLog(guildId: Snowflake, q: { before?: Snowflake; limit?: number; user_id?: Snowflake; action_type?: number } = {}) {
    return this.request<AuditLog>('GET', `/guilds/${guildId}/audit-logs`, { query: q });
  }
  roles(guildId: Snowflake) {
    return this.request<Role[]>('GET', `/guilds/${guildId}/roles`);
  }
  members(guildId: Snowflake, after?: Snowflake, limit = 1000) {
    return this.request<Member[]>('GET', `/guilds/${guildId}/members`, { query: { limit, after } });
  }

  // ---- invites ----
  createInvite(channelId: Snowflake, body: { max_age?: number; max_uses?: number; unique?: boolean } = {}) {
    return this.request<Invite>('POST', `/channels/${channelId}/invites`, { body });
  }
  invite(code: string) {
    return this.request<Invite>('GET', `/invites/${encodeURIComponent(code)}`, { auth: false, query: { with_counts: true } });
  }
  acceptInvite(code: string) {
    return this.request<Invite>('POST', `/invites/${encodeURIComponent(code)}`);
  }

  // ---- messages ----
  messages(channelId: Snowflake, q: { before?: Snowflake; after?: Snowflake; around?: Snowflake; limit?: number } = {}) {
    return this.request<Message[]>('GET', `/channels/${channelId}/messages`, { query: q });
  }
  sendMessage(channelId: Snowflake, body: { content: string; nonce?: string; enforce_nonce?: boolean; message_reference?: { message_id: Snowflake } }) {
    return this.request<Message>('POST', `/channels/${channelId}/messages`, { body });
  }
  /**
   * A message with files, as Discord takes it: multipart `payload_json` + `files[n]`, sent with
   * upload progress. A 401 refreshes the token and sends again once; failures are the same typed
   * errors as `request` (413 code 40005, 400 code 50035, 403 code 50013); `signal` cancels
   * (UploadCancelledError).
   */
  async sendMessageWithFiles(
    channelId: Snowflake,
    payload: MessagePayload,
    files: ReadonlyArray<OutgoingFile>,
    o: { onProgress?: (loaded: number, total: number) => void; signal?: AbortSignal } = {},
  ): Promise<Message> {
    const upload = this.opts.upload ?? xhrUpload;
    const path = `/channels/${channelId}/messages`;
    const body = buildMessageForm(payload, files);
    let retried401 = false;
    for (let attempt = 0; ; attempt++) {
      const token = await this.accessToken();
      let res;
      try {
        res = await upload({ method: 'POST', url: this.base + path, headers: { authorization: `Bearer ${token}` }, body, onProgress: o.onProgress, signal: o.signal });
      } catch (e) {
        if (e instanceof UploadNetworkError) throw new NetworkError(e.message, e);
        throw e;
      }
      try {
        return this.parse<Message>(res.status, res.statusText, res.text, res.header);
      } catch (e) {
        if (e instanceof ApiError && e.status === 401 && !retried401) {
          retried401 = true;
          const seen = this.tokens.load();
          if (!seen) throw e;
          if (seen.token === token) await this.refresh(seen.refreshToken);
          continue;
        }
        if (e instanceof RateLimitError && !NO_RETRY_CODES.has(e.code)
          && attempt < (this.opts.maxRetries ?? 3) && e.retryAfter <= (this.opts.maxRetryAfter ?? 10)) {
          await this.sleep(Math.ceil(e.retryAfter * 1000));
          continue;
        }
        throw e;
      }
    }
  }
  /** Discord's POST /attachments/refresh-urls: fresh signed URLs for expired ones still readable. */
  async refreshUrls(urls: string[]): Promise<Map<string, string>> {
    const res = await this.request<{ refreshed_urls: Array<{ original: string; refreshed: string }> }>(
      'POST', '/attachments/refresh-urls', { body: { attachment_urls: urls } });
    return new Map(res.refreshed_urls.map((r) => [r.original, r.refreshed]));
  }
  editMessage(channelId: Snowflake, messageId: Snowflake, content: string) {
    return this.request<Message>('PATCH', `/channels/${channelId}/messages/${messageId}`, { body: { content } });
  }
  deleteMessage(channelId: Snowflake, messageId: Snowflake) {
    return this.request<void>('DELETE', `/channels/${channelId}/messages/${messageId}`);
  }
  addReaction(channelId: Snowflake, messageId: Snowflake, emoji: string) {
    return this.request<void>('PUT', `/channels/${channelId}/messages/${messageId}/reactions/${encodeURIComponent(emoji)}/@me`);
  }
  removeReaction(channelId: Snowflake, messageId: Snowflake, emoji: string) {
    return this.request<void>('DELETE', `/channels/${channelId}/messages/${messageId}/reactions/${encodeURIComponent(emoji)}/@me`);
  }
  /** Guild message search; `messages` holds one-element arrays, as on Discord. */
  search(guildId: Snowflake, q: { content?: string; author_id?: Snowflake; channel_id?: Snowflake; has?: string; limit?: number; offset?: number }) {
    return this.request<{ total_results: number; messages: Message[][] }>('GET', `/guilds/${guildId}/messages/search`, { query: q });
  }
  pins(channelId: Snowflake) {
    return this.request<Message[]>('GET', `/channels/${channelId}/pins`);
  }
  pin(channelId: Snowflake, messageId: Snowflake) {
    return this.request<void>('PUT', `/channels/${channelId}/pins/${messageId}`);
  }
  unpin(channelId: Snowflake, messageId: Snowflake) {
    return this.request<void>('DELETE', `/channels/${channelId}/pins/${messageId}`);
  }
  typing(channelId: Snowflake) {
    return this.request<void>('POST', `/channels/${channelId}/typing`);
  }
}
