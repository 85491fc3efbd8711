import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { GatewayClient, Intents, Op, catchUpMessages, compareIds, type GatewayListeners, type Message, type SocketLike } from '../src';

/** A fake WebSocket: records what the client sends and lets the test play the server. */
class FakeSocket implements SocketLike {
  static all: FakeSocket[] = [];
  readyState = 1;
  onopen: SocketLike['onopen'] = null;
  onmessage: SocketLike['onmessage'] = null;
  onclose: SocketLike['onclose'] = null;
  onerror: SocketLike['onerror'] = null;
  sent: Array<{ op: number; d: any }> = [];
  closedWith: number | null = null;
  constructor(readonly url: string) {
    FakeSocket.all.push(this);
  }
  send(data: string) {
    this.sent.push(JSON.parse(data));
  }
  close(code = 1000) {
    this.closedWith = code;
    this.readyState = 3;
  }
  /** The server sends a frame. */
  serve(p: { op: number; d?: unknown; s?: number | null; t?: string | null }) {
    this.onmessage?.({ data: JSON.stringify({ d: null, s: null, t: null, ...p }) });
  }
  /** The server (or network) closes the connection. */
  drop(code: number, reason = '') {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }
  ops() {
    return this.sent.map((p) => p.op);
  }
}

const latest = () => FakeSocket.all[FakeSocket.all.length - 1];
const READY = (n: number) => ({ v: 10, user: { id: '1', username: 'a' }, guilds: [], session_id: `sess${n}`, resume_gateway_url: `ws://resume${n}/gateway` });

function make(listeners: GatewayListeners = {}) {
  const g = new GatewayClient(
    {
      url: async () => 'ws://host/gateway',
      token: async () => 'tok',
      socket: (u) => new FakeSocket(u),
      random: () => 0.5,
    },
    listeners,
  );
  return g;
}

/** Let the client's awaited promises (token, url) settle. */
const flush = async () => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

async function connectReady(g: GatewayClient, n = 1) {
  await flush();
  const ws = latest();
  ws.serve({ op: Op.Hello, d: { heartbeat_interval: 40_000 } });
  await flush();
  ws.serve({ op: Op.Dispatch, t: 'READY', s: 1, d: READY(n) });
  return ws;
}

beforeEach(() => {
  FakeSocket.all = [];
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('gateway', () => {
  test('connects with v=10 json, identifies after HELLO, reports READY', async () => {
    const ready = vi.fn();
    const g = make({ ready });
    g.start();
    const ws = await connectReady(g);
    expect(ws.url).toBe('ws://host/gateway?v=10&encoding=json');
    expect(ws.sent[0].op).toBe(Op.Identify);
    expect(ws.sent[0].d).toMatchObject({ token: 'tok', properties: { browser: 'together-web' } });
    expect(typeof ws.sent[0].d.intents).toBe('number');
    // Member lists and presences need GUILD_MEMBERS and GUILD_PRESENCES; large guilds start at 250.
    expect(ws.sent[0].d.intents & (Intents.GuildMembers | Intents.GuildPresences)).toBe(Intents.GuildMembers | Intents.GuildPresences);
    expect(ws.sent[0].d.large_threshold).toBe(250);
    expect(ready).toHaveBeenCalledWith(expect.objectContaining({ session_id: 'sess1' }), false);
    expect(g.state).toBe('ready');
  });

  test('first heartbeat after interval × jitter, then every interval, carrying the last seq', async () => {
    const g = make();
    g.start();
    const ws = await connectReady(g);
    ws.serve({ op: Op.Dispatch, t: 'MESSAGE_CREATE', s: 5, d: {} });
    vi.advanceTimersByTime(19_999);
    expect(ws.ops().filter((o) => o === Op.Heartbeat)).toHaveLength(0);
    vi.advanceTimersByTime(1);
    expect(ws.sent.at(-1)).toEqual({ op: Op.Heartbeat, d: 5 });
    ws.serve({ op: Op.HeartbeatAck });
    vi.advanceTimersByTime(40_000);
    expect(ws.ops().filter((o) => o === Op.Heartbeat)).toHaveLength(2);
  });

  test('answers a server op 1 with a heartbeat at once', async () => {
    const g = make();
    g.start();
    const ws = await connectReady(g);
    ws.serve({ op: Op.Heartbeat });
    expect(ws.sent.at(-1)?.op).toBe(Op.Heartbeat);
  });

  test('zombie: no ACK before the next beat → drop (keeping the session) and RESUME on resume_gateway_url', async () => {
    const resumed = vi.fn();
    const g = make({ resumed });
    g.start();
    const ws = await connectReady(g);
    ws.serve({ op: Op.Dispatch, t: 'MESSAGE_CREATE', s: 7, d: {} });
    vi.advanceTimersByTime(20_000); // beat, never acked
    vi.advanceTimersByTime(40_000); // next beat finds no ACK
    expect(ws.closedWith).not.toBe(1000);
    expect(ws.closedWith).not.toBeNull();
    vi.advanceTimersByTime(10);
    await flush();
    const ws2 = latest();
    expect(ws2).not.toBe(ws);
    expect(ws2.url).toBe('ws://resume1/gateway?v=10&encoding=json');
    ws2.serve({ op: Op.Hello, d: { heartbeat_interval: 40_000 } });
    await flush();
    expect(ws2.sent[0]).toEqual({ op: Op.Resume, d: { token: 'tok', session_id: 'sess1', seq: 7 } });
    ws2.serve({ op: Op.Dispatch, t: 'RESUMED', s: 8, d: {} });
    expect(resumed).toHaveBeenCalledOnce();
  });

  test('a dropped connection reconnects with back-off and resumes', async () => {
    const g = make();
    g.start();
    const ws = await connectReady(g);
    ws.drop(1006);
    expect(g.state).toBe('waiting');
    vi.advanceTimersByTime(g.backoffDelay(0) - 1);
    expect(FakeSocket.all).toHaveLength(1);
    vi.advanceTimersByTime(1);
    await flush();
    expect(FakeSocket.all).toHaveLength(2);
    latest().serve({ op: Op.Hello, d: { heartbeat_interval: 40_000 } });
    await flush();
    expect(latest().sent[0].op).toBe(Op.Resume);
  });

  test('back-off grows exponentially with jitter and is capped', () => {
    const g = new GatewayClient({ url: async () => '', token: async () => '', random: () => 1, backoffBase: 1000, backoffMax: 30_000 });
    expect([0, 1, 2, 3, 4, 5, 10].map((n) => g.backoffDelay(n))).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000]);
    const low = new GatewayClient({ url: async () => '', token: async () => '', random: () => 0 });
    expect(low.backoffDelay(3)).toBe(4000);
  });

  test('op 9 (not resumable) → identify anew after 1–5 s and report a re-identify', async () => {
    const ready = vi.fn();
    const g = make({ ready });
    g.start();
    const ws = await connectReady(g);
    ws.drop(1006);
    vi.advanceTimersByTime(60_000);
    await flush();
    const ws2 = latest();
    ws2.serve({ op: Op.Hello, d: { heartbeat_interval: 40_000 } });
    await flush();
    expect(ws2.sent[0].op).toBe(Op.Resume);
    ws2.serve({ op: Op.InvalidSession, d: false });
    vi.advanceTimersByTime(5_000);
    await flush();
    const ws3 = latest();
    expect(ws3).not.toBe(ws2);
    expect(ws3.url).toBe('ws://host/gateway?v=10&encoding=json');
    ws3.serve({ op: Op.Hello, d: { heartbeat_interval: 40_000 } });
    await flush();
    expect(ws3.sent[0].op).toBe(Op.Identify);
    ws3.serve({ op: Op.Dispatch, t: 'READY', s: 1, d: READY(2) });
    expect(ready).toHaveBeenLastCalledWith(expect.objectContaining({ session_id: 'sess2' }), true);
  });

  test('op 7 RECONNECT → reconnect and resume', async () => {
    const g = make();
    g.start();
    const ws = await connectReady(g);
    ws.serve({ op: Op.Reconnect });
    expect(ws.closedWith).toBe(4900);
    vi.advanceTimersByTime(10);
    await flush();
    latest().serve({ op: Op.Hello, d: { heartbeat_interval: 40_000 } });
    await flush();
    expect(latest().sent[0]).toMatchObject({ op: Op.Resume, d: { session_id: 'sess1', seq: 1 } });
  });

  test.each([4004, 4010, 4011, 4012, 4013, 4014])('close %i is fatal: no reconnect', async (code) => {
    const fatal = vi.fn();
    const g = make({ fatal });
    g.start();
    const ws = await connectReady(g);
    ws.drop(code, 'nope');
    vi.advanceTimersByTime(120_000);
    await flush();
    expect(FakeSocket.all).toHaveLength(1);
    expect(fatal).toHaveBeenCalledWith(code, 'nope');
    expect(g.state).toBe('stopped');
  });

  test('4009 ends the session: the next connection identifies', async () => {
    const g = make();
    g.start();
    const ws = await connectReady(g);
    ws.drop(4009);
    vi.advanceTimersByTime(60_000);
    await flush();
    latest().serve({ op: Op.Hello, d: { heartbeat_interval: 40_000 } });
    await flush();
    expect(latest().sent[0].op).toBe(Op.Identify);
  });

  test('a connection that never says HELLO is abandoned and retried', async () => {
    const g = make();
    g.start();
    await flush();
    const ws = latest();
    vi.advanceTimersByTime(30_000);
    expect(ws.closedWith).toBe(4900);
    vi.advanceTimersByTime(g.backoffDelay(0));
    await flush();
    expect(FakeSocket.all).toHaveLength(2);
    latest().serve({ op: Op.Hello, d: { heartbeat_interval: 40_000 } });
    await flush();
    expect(latest().sent[0].op).toBe(Op.Identify);
  });

  test('stop() closes with 1000 and never reconnects', async () => {
    const g = make();
    g.start();
    const ws = await connectReady(g);
    g.stop();
    expect(ws.closedWith).toBe(1000);
    vi.advanceTimersByTime(120_000);
    expect(FakeSocket.all).toHaveLength(1);
  });

  test('dispatches reach the listener in order with their sequence numbers', async () => {
    const seen: Array<[string, number]> = [];
    const g = make({ dispatch: (t, _d, s) => seen.push([t, s]) });
    g.start();
    const ws = await connectReady(g);
    ws.serve({ op: Op.Dispatch, t: 'MESSAGE_CREATE', s: 2, d: {} });
    ws.serve({ op: Op.Dispatch, t: 'TYPING_START', s: 3, d: {} });
    expect(seen).toEqual([['READY', 1], ['MESSAGE_CREATE', 2], ['TYPING_START', 3]]);
    expect(g.session.seq).toBe(3);
  });
});

describe('catch-up after re-identify', () => {
  const msg = (id: number, ch = 'c1') => ({ id: String(id), channel_id: ch }) as Message;

  test('pages forward with after= until a short page, oldest first', async () => {
    const all = Array.from({ length: 250 }, (_, i) => msg(1000 + i));
    const asked: string[] = [];
    const rest = {
      messages: async (channelId: string, q: { after?: string; limit?: number }) => {
        asked.push(`${channelId}:${q.after}`);
        // The server answers newest first with the `limit` oldest messages after the cursor.
        return all.filter((m) => compareIds(m.id, q.after!) > 0).slice(0, q.limit).reverse();
      },
    };
    const out = await catchUpMessages(rest as never, [['c1', '1049']]);
    const got = out.get('c1')!;
    expect(got.map((m) => Number(m.id))).toEqual(Array.from({ length: 200 }, (_, i) => 1050 + i));
    expect(asked).toEqual(['c1:1049', 'c1:1149', 'c1:1249']);
  });

  test('a channel that fails (lost access) is skipped; others still caught up', async () => {
    const rest = {
      messages: async (channelId: string) => {
        if (channelId === 'gone') throw new Error('403');
        return [msg(5, channelId)];
      },
    };
    const out = await catchUpMessages(rest as never, [['gone', '1'], ['ok', '1']]);
    expect([...out.keys()]).toEqual(['ok']);
  });

  test('compareIds orders snowflakes numerically', () => {
    expect(['10', '9', '100'].sort(compareIds)).toEqual(['9', '10', '100']);
  });
});
