import { describe, expect, test, vi } from 'vitest';
import { MemoryTokenStore, RestClient, type Message } from '@together/shared';
import { Session, describeError, PAGE } from '../src/session';
import { applyDispatch } from '../src/state/events';

function json(status: number, body: unknown) {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

const msg = (id: number, extra: Partial<Message> = {}): Message => ({
  id: String(id), channel_id: 'c', author: { id: '1', username: 'alice' }, content: `m${id}`,
  timestamp: '2026-11-25T00:00:00Z', edited_timestamp: null, type: 0, ...extra,
});

/** A session over a fake fetch (the gateway is never started in these tests). */
function session(handler: (url: string, init: RequestInit) => Response | Promise<Response>) {
  const calls: string[] = [];
  const rest = new RestClient({
    tokens: new MemoryTokenStore({ token: 't', refreshToken: 'r', userId: '1', expiresAt: Date.now() + 600_000 }),
    fetch: async (url, init = {}) => {
      calls.push(`${init.method ?? 'GET'} ${url}`);
      return handler(url, init);
    },
    sleep: async () => undefined,
  });
  const s = new Session(rest, () => undefined);
  s.data.selfId = '1';
  return { s, calls };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('session', () => {
  test('optimistic send shows at once, then the REST answer replaces it', async () => {
    let release!: (r: Response) => void;
    const { s } = session(() => new Promise<Response>((r) => (release = r)));
    const sending = s.send('c', 'hello');
    const t = s.data.timelines.get('c')!;
    expect(t.pending).toHaveLength(1);
    const local = s.data.messages.get(t.pending[0])!;
    expect(local).toMatchObject({ content: 'hello', pending: 'sending' });
    await tick();
    release(json(200, msg(10, { content: 'hello', nonce: local.nonce })));
    await sending;
    expect(s.data.timelines.get('c')).toMatchObject({ ids: ['10'], pending: [] });
    expect(s.data.messages.has(local.id)).toBe(false);
  });

  test('the gateway echo arriving before the REST answer reconciles by nonce, no duplicate', async () => {
    let release!: (r: Response) => void;
    let body!: { nonce: string; enforce_nonce: boolean };
    const { s } = session((_u, init) => {
      body = JSON.parse(String(init.body));
      return new Promise<Response>((r) => (release = r));
    });
    const sending = s.send('c', 'hi');
    await tick();
    expect(body.enforce_nonce).toBe(true);
    applyDispatch(s.data, 'MESSAGE_CREATE', msg(11, { content: 'hi', nonce: body.nonce }));
    release(json(200, msg(11, { content: 'hi', nonce: body.nonce })));
    await sending;
    expect(s.data.timelines.get('c')).toMatchObject({ ids: ['11'], pending: [] });
  });

  test('a 403 leaves the message marked failed with a clear reason; retry reuses the nonce', async () => {
    const nonces: string[] = [];
    let fail = true;
    const { s } = session((_u, init) => {
      const b = JSON.parse(String(init.body));
      nonces.push(b.nonce);
      return fail ? json(403, { code: 50013, message: 'Missing Permissions' }) : json(200, msg(12, { nonce: b.nonce }));
    });
    await s.send('c', 'nope');
    const key = s.data.timelines.get('c')!.pending[0];
    expect(s.data.messages.get(key)).toMatchObject({ pending: 'failed', error: 'You do not have permission to do that here.' });
    fail = false;
    s.retry('c', key);
    await tick();
    await tick();
    expect(nonces[0]).toBe(nonces[1]);
    expect(s.data.timelines.get('c')).toMatchObject({ ids: ['12'], pending: [] });
  });

  test('slowmode 429 is shown, not swallowed', async () => {
    const { s } = session(() => json(429, { code: 20016, message: 'slowmode', retry_after: 4.2, global: false }));
    await s.send('c', 'fast');
    const key = s.data.timelines.get('c')!.pending[0];
    expect(s.data.messages.get(key)?.error).toBe('Slowmode is on: wait 5s before sending again.');
  });

  test('history: newest page first, then keyset pages with before= until a short page', async () => {
    const all = Array.from({ length: 120 }, (_, i) => msg(1000 + i));
    const { s, calls } = session((url) => {
      const q = new URL(url, 'http://x').searchParams;
      const before = q.get('before');
      const limit = Number(q.get('limit'));
      const older = all.filter((m) => !before || Number(m.id) < Number(before));
      return json(200, older.slice(-limit).reverse());
    });
    await s.openChannel('c');
    expect(s.data.timelines.get('c')).toMatchObject({ hasMore: true });
    expect(s.data.timelines.get('c')!.ids).toHaveLength(PAGE);
    await Promise.all([s.loadOlder('c'), s.loadOlder('c')]); // single flight
    await s.loadOlder('c');
    await s.loadOlder('c'); // nothing more to load
    const t = s.data.timelines.get('c')!;
    expect(t.ids).toEqual(all.map((m) => m.id));
    expect(t.hasMore).toBe(false);
    expect(calls).toEqual([
      'GET /api/v10/channels/c/messages?limit=50',
      'GET /api/v10/channels/c/messages?before=1070&limit=50',
      'GET /api/v10/channels/c/messages?before=1020&limit=50',
    ]);
  });

  test('catch-up after a re-identify adds what was missed through the event switch', async () => {
    const { s } = session((url) => {
      const after = new URL(url, 'http://x').searchParams.get('after');
      return json(200, after === '5' ? [msg(7), msg(6)] : []);
    });
    s.data.addMessages('c', [msg(4), msg(5)]);
    await s.catchUp();
    expect(s.data.timelines.get('c')!.ids).toEqual(['4', '5', '6', '7']);
  });

  test('describeError speaks plainly', () => {
    expect(describeError(new TypeError('boom'))).toBe('boom');
  });
});

describe('session and voice', () => {
  test('people in voice whose member is unknown are asked for with op 8; VOICE_OFFER goes to the voice controller', () => {
    const { s } = session(() => json(200, {}));
    const sent: Array<{ op: number; d: any }> = [];
    s.gateway.send = (op: number, d: unknown) => void sent.push({ op, d });
    const dispatch = (t: string, d: unknown) => (s.gateway as unknown as { l: { dispatch: (t: string, d: unknown, n: number) => void } }).l.dispatch(t, d, 1);
    dispatch('GUILD_CREATE', {
      id: 'g', name: 'G', owner_id: '1', channels: [{ id: 'v', type: 2, name: 'Voice', position: 0 }], roles: [], presences: [],
      members: [{ user: { id: '1', username: 'alice' }, roles: [], joined_at: '' }],
      voice_states: [{ channel_id: 'v', user_id: '1', session_id: 'a', deaf: false, mute: false, self_deaf: false, self_mute: false },
        { channel_id: 'v', user_id: '7', session_id: 'b', deaf: false, mute: false, self_deaf: false, self_mute: false }],
    });
    expect(sent).toEqual([{ op: 8, d: { guild_id: 'g', user_ids: ['7'], presences: false, limit: 1 } }]);
    dispatch('VOICE_STATE_UPDATE', { guild_id: 'g', channel_id: 'v', user_id: '1', session_id: 'a', deaf: false, mute: false, self_deaf: false, self_mute: true });
    expect(sent).toHaveLength(1); // 7 was asked for already
    const spy = vi.spyOn(s.voice, 'onDispatch');
    dispatch('VOICE_OFFER', { guild_id: 'g', channel_id: 'v', sdp: 'v=0', revision: 1, ice_servers: [] });
    expect(spy).toHaveBeenCalledWith('VOICE_OFFER', expect.objectContaining({ revision: 1 }));
  });
});
