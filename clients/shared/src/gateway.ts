import type { ReadyEvent, Status } from './types';

export const Op = {
  Dispatch: 0,
  Heartbeat: 1,
  Identify: 2,
  PresenceUpdate: 3,
  /** Join, move or leave a voice channel; also carries self mute/deafen. */
  VoiceStateUpdate: 4,
  Resume: 6,
  Reconnect: 7,
  RequestGuildMembers: 8,
  InvalidSession: 9,
  Hello: 10,
  HeartbeatAck: 11,
  /** Together's own opcode: the client's SDP answer to the latest VOICE_OFFER. */
  VoiceAnswer: 40,
} as const;

/** Discord's intent bits the web client needs. */
export const Intents = {
  Guilds: 1 << 0,
  GuildMembers: 1 << 1,
  GuildModeration: 1 << 2,
  GuildInvites: 1 << 6,
  GuildVoiceStates: 1 << 7,
  GuildPresences: 1 << 8,
  GuildMessages: 1 << 9,
  GuildMessageReactions: 1 << 10,
  GuildMessageTyping: 1 << 11,
  MessageContent: 1 << 15,
} as const;

export const DEFAULT_INTENTS = Object.values(Intents).reduce((a, b) => a | b, 0);

/** Close codes after which reconnecting cannot help. */
export const FATAL_CLOSE_CODES = new Set([4004, 4010, 4011, 4012, 4013, 4014]);
/** Close codes after which the session is gone: identify anew rather than resume. */
const SESSION_ENDING_CODES = new Set([4007, 4009]);
/** The client's own close code for "drop this connection but keep the session resumable". */
const RESUMABLE_CLOSE = 4900;

export interface GatewayPayload {
  op: number;
  d: unknown;
  s?: number | null;
  t?: string | null;
}

/** The part of the WebSocket API the client uses, so tests can pass a fake. */
export interface SocketLike {
  readyState: number;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}
export type SocketFactory = (url: string) => SocketLike;

export type GatewayState = 'idle' | 'connecting' | 'identifying' | 'resuming' | 'ready' | 'waiting' | 'stopped';

export interface GatewayOptions {
  /** Resolves to the gateway URL without query (GET /api/v10/gateway). */
  url: () => Promise<string>;
  /** Resolves to a valid access token (refreshing when needed). */
  token: () => Promise<string>;
  intents?: number;
  /**
   * Guilds with more members than this arrive "large": GUILD_CREATE lists only us and the rest
   * comes on request (op 8). Discord's maximum, 250, by default.
   */
  largeThreshold?: number;
  socket?: SocketFactory;
  random?: () => number;
  /** Give up on a connection that sends no HELLO within this many ms. */
  helloTimeout?: number;
  /** Back-off bounds in ms. */
  backoffBase?: number;
  backoffMax?: number;
  presence?: { status: Status };
}

export interface GatewayListeners {
  /** Every dispatch (op 0), in order, including READY and RESUMED. */
  dispatch?: (t: string, d: unknown, s: number) => void;
  state?: (state: GatewayState) => void;
  /**
   * A fresh session started (READY). `reidentified` is true when an earlier session existed and
   * was lost: events may have been missed, so the app should catch up over REST.
   */
  ready?: (ready: ReadyEvent, reidentified: boolean) => void;
  resumed?: () => void;
  /** The connection cannot continue (4004 bad token, 4010-4014). */
  fatal?: (code: number, reason: string) => void;
}

/**
 * A Discord-v10 gateway connection that keeps itself alive: heartbeats with an initial jitter,
 * zombie detection (no ACK before the next beat), resume with session_id/seq on the
 * resume_gateway_url, re-identify when the session is gone, and exponential back-off with jitter.
 */
export class GatewayClient {
  private readonly o: GatewayOptions;
  private readonly l: GatewayListeners;
  private ws: SocketLike | null = null;
  private heartbeatTimer: ReturnType<typeof setTimeout> | null = null;
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  private interval = 0;
  private acked = true;
  private seq: number | null = null;
  private sessionId: string | null = null;
  private resumeUrl: string | null = null;
  private attempts = 0;
  private hadSession = false;
  private stopped = true;
  private _state: GatewayState = 'idle';
  /** Heartbeats sent and ACKs received, for tests and diagnostics. */
  readonly stats = { heartbeats: 0, acks: 0, connects: 0, resumes: 0, identifies: 0 };

  constructor(options: GatewayOptions, listeners: GatewayListeners = {}) {
    this.o = options;
    this.l = listeners;
  }

  get state() {
    return this._state;
  }
  get session() {
    return { id: this.sessionId, seq: this.seq, resumeUrl: this.resumeUrl };
  }

  start() {
    if (!this.stopped) return;
    this.stopped = false;
    this.attempts = 0;
    void this.connect();
  }

  /** Closes with 1000, which ends the session on the server (logout, leaving the page). */
  stop() {
    this.stopped = true;
    this.clearTimers();
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      this.detach(ws);
      ws.close(1000, 'bye');
    }
    this.sessionId = null;
    this.seq = null;
    this.hadSession = false;
    this.setState('stopped');
  }

  /** Drop the connection now and reconnect (resuming), e.g. when the browser comes back online. */
  reconnect() {
    if (this.stopped) return;
    this.dropAndReconnect(true, 0);
  }

  send(op: number, d: unknown) {
    if (this.ws && this.ws.readyState === 1) this.ws.send(JSON.stringify({ op, d }));
  }

  updatePresence(status: Status) {
    this.o.presence = { status };
    this.send(Op.PresenceUpdate, { status, since: null, activities: [], afk: false });
  }

  private setState(s: GatewayState) {
    if (this._state === s) return;
    this._state = s;
    this.l.state?.(s);
  }

  private rand() {
    return (this.o.random ?? Math.random)();
  }

  private clearTimers() {
    if (this.heartbeatTimer) clearTimeout(this.heartbeatTimer);
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.heartbeatTimer = this.reconnectTimer = null;
  }

  private detach(ws: SocketLike) {
    ws.onopen = ws.onmessage = ws.onerror = null;
    ws.onclose = null;
  }

  private async connect() {
    if (this.stopped) return;
    this.setState('connecting');
    this.stats.connects++;
    let base: string;
    try {
      base = this.sessionId && this.resumeUrl ? this.resumeUrl : await this.o.url();
    } catch {
      this.scheduleReconnect();
      return;
    }
    if (this.stopped) return;
    const url = `${base.replace(/\/?$/, '')}?v=10&encoding=json`;
    const factory = this.o.socket ?? ((u: string) => new WebSocket(u) as unknown as SocketLike);
    let ws: SocketLike;
    try {
      ws = factory(url);
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    // A socket that never opens or never says HELLO would hang forever: give it a deadline.
    this.heartbeatTimer = setTimeout(() => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.heartbeatTimer = null;
      this.detach(ws);
      try {
        ws.close(RESUMABLE_CLOSE, 'no hello');
      } catch {
        // Never opened.
      }
      this.scheduleReconnect();
    }, this.o.helloTimeout ?? 30_000);
    ws.onmessage = (ev) => {
      if (this.ws !== ws) return;
      let p: GatewayPayload;
      try {
        p = JSON.parse(String(ev.data)) as GatewayPayload;
      } catch {
        return;
      }
      void this.onPayload(ws, p);
    };
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.onClose(ev.code, ev.reason);
    };
    ws.onerror = () => {
      // onclose follows and decides what to do.
    };
  }

  private async onPayload(ws: SocketLike, p: GatewayPayload) {
    if (typeof p.s === 'number') this.seq = p.s;
    switch (p.op) {
      case Op.Hello: {
        this.interval = (p.d as { heartbeat_interval: number }).heartbeat_interval;
        this.acked = true;
        // Discord asks for the first beat after interval * jitter so reconnecting clients spread out.
        this.scheduleHeartbeat(this.interval * this.rand());
        let token: string;
        try {
          token = await this.o.token();
        } catch {
          this.l.fatal?.(4004, 'No valid token');
          this.stop();
          return;
        }
        if (this.ws !== ws) return;
        if (this.sessionId && this.seq !== null) {
          this.setState('resuming');
          this.stats.resumes++;
          this.send(Op.Resume, { token, session_id: this.sessionId, seq: this.seq });
        } else {
          this.setState('identifying');
          this.stats.identifies++;
          this.send(Op.Identify, {
            token,
            intents: this.o.intents ?? DEFAULT_INTENTS,
            large_threshold: this.o.largeThreshold ?? 250,
            properties: { os: 'web', browser: 'together-web', device: 'together-web' },
            presence: { status: this.o.presence?.status ?? 'online', since: null, activities: [], afk: false },
          });
        }
        break;
      }
      case Op.Heartbeat:
        this.beat();
        break;
      case Op.HeartbeatAck:
        this.acked = true;
        this.stats.acks++;
        break;
      case Op.Reconnect:
        this.dropAndReconnect(true, 0);
        break;
      case Op.InvalidSession: {
        const resumable = p.d === true;
        if (!resumable) {
          this.sessionId = null;
          this.seq = null;
          this.resumeUrl = null;
        }
        // Discord: wait 1–5 s before identifying again.
        this.dropAndReconnect(resumable, 1000 + this.rand() * 4000);
        break;
      }
      case Op.Dispatch: {
        const t = p.t ?? '';
        if (t === 'READY') {
          const ready = p.d as ReadyEvent;
          this.sessionId = ready.session_id;
          this.resumeUrl = ready.resume_gateway_url || null;
          this.attempts = 0;
          this.setState('ready');
          this.l.dispatch?.(t, p.d, p.s ?? 0);
          const re = this.hadSession;
          this.hadSession = true;
          this.l.ready?.(ready, re);
          return;
        }
        if (t === 'RESUMED') {
          this.attempts = 0;
          this.setState('ready');
          this.l.dispatch?.(t, p.d, p.s ?? 0);
          this.l.resumed?.();
          return;
        }
        this.l.dispatch?.(t, p.d, p.s ?? 0);
        break;
      }
    }
  }

  private scheduleHeartbeat(delay: number) {
    if (this.heartbeatTimer) clearTimeout(this.heartbeatTimer);
    this.heartbeatTimer = setTimeout(() => {
      this.heartbeatTimer = null;
      if (!this.acked) {
        // Zombie connection: the last beat was never acknowledged. Drop it and resume.
        this.dropAndReconnect(true, 0);
        return;
      }
      this.beat();
      this.scheduleHeartbeat(this.interval);
    }, delay);
  }

  private beat() {
    this.acked = false;
    this.stats.heartbeats++;
    this.send(Op.Heartbeat, this.seq);
  }

  /** Close the current socket with a non-1000 code (keeps the session) and reconnect later. */
  private dropAndReconnect(keepSession: boolean, delay: number) {
    const ws = this.ws;
    this.ws = null;
    this.clearTimers();
    if (ws) {
      this.detach(ws);
      try {
        ws.close(RESUMABLE_CLOSE, 'reconnecting');
      } catch {
        // Already closed.
      }
    }
    if (!keepSession) {
      this.sessionId = null;
      this.seq = null;
    }
    this.setState('waiting');
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      void this.connect();
    }, delay);
  }

  private onClose(code: number, reason: string) {
    this.ws = null;
    this.clearTimers();
    if (this.stopped) return;
    if (FATAL_CLOSE_CODES.has(code)) {
      this.stopped = true;
      this.setState('stopped');
      this.l.fatal?.(code, reason);
      return;
    }
    if (SESSION_ENDING_CODES.has(code)) {
      this.sessionId = null;
      this.seq = null;
      this.resumeUrl = null;
    }
    this.scheduleReconnect();
  }

  /** Exponential back-off with full jitter: random in [0.5, 1] × min(max, base × 2^n). */
  backoffDelay(attempt: number) {
    const base = this.o.backoffBase ?? 1000;
    const max = this.o.backoffMax ?? 30_000;
    const ceiling = Math.min(max, base * 2 ** attempt);
    return ceiling * (0.5 + this.rand() / 2);
  }

  private scheduleReconnect() {
    const delay = this.backoffDelay(this.attempts++);
    this.setState('waiting');
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      void this.connect();
    }, delay);
  }
}
