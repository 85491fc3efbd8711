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

  test('catch-up re-reads the open channel: new messages added, edits, reactions and deletions applied', async () => {
    const { s, calls } = session((url) => {
      const before = new URL(url, 'http://x').searchParams.get('before');
      // Newest first, as the API answers: 4 was deleted, 5 edited and reacted to, 6 and 7 are new.
      return json(200, before ? [] : [msg(7), msg(6), msg(5, { content: 'edited', reactions: [{ emoji: { id: null, name: '👍' }, count: 1, me: false }] }), msg(3)]);
    });
    s.data.addMessages('c', [msg(3), msg(4), msg(5)]);
    s.activeChannelId = 'c';
    await s.catchUp();
    expect(s.data.timelines.get('c')!.ids).toEqual(['3', '5', '6', '7']);
    expect(s.data.messages.get('5')).toMatchObject({ content: 'edited', reactions: [{ count: 1 }] });
    expect(s.data.messages.has('4')).toBe(false);
    expect(s.data.channels.get('c')).toBeUndefined(); // not known here; nothing invented
    expect(calls).toEqual(['GET /api/v10/channels/c/messages?limit=100']);
  });

  test('catch-up re-reads at most the cap; held messages older than what it read are kept', async () => {
    const { s, calls } = session((url) => {
      const before = Number(new URL(url, 'http://x').searchParams.get('before') ?? 1000);
      return json(200, [before - 1, before - 2, before - 3].map((id) => msg(id))); // pages of 3 going back
    });
    s.data.addMessages('c', [msg(500), msg(993), msg(994)]);
    s.activeChannelId = 'c';
    await s.catchUp(10, 3);
    expect(calls).toHaveLength(10); // 999…970: past the newest held (994), short of the oldest (500)
    expect(s.data.timelines.get('c')!.ids).toEqual(['500', ...Array.from({ length: 30 }, (_, i) => String(970 + i))]);
  });

  test('catch-up stops paging once it reaches the oldest held message', async () => {
    const { s, calls } = session((url) => {
      const before = Number(new URL(url, 'http://x').searchParams.get('before') ?? 1000);
      return json(200, [before - 1, before - 2, before - 3].map((id) => msg(id)));
    });
    s.data.addMessages('c', [msg(993), msg(995)]);
    s.activeChannelId = 'c';
    await s.catchUp(10, 3);
    expect(calls).toHaveLength(3); // 999-997, 996-994, 993-991
    expect(s.data.timelines.get('c')!.ids).toEqual(Array.from({ length: 9 }, (_, i) => String(991 + i)));
  });

  test('a gap larger than the cap drops the held history and keeps the newest pages', async () => {
    const { s } = session((url) => {
      const before = Number(new URL(url, 'http://x').searchParams.get('before') ?? 5000);
      return json(200, [before - 1, before - 2].map((id) => msg(id)));
    });
    s.data.addMessages('c', [msg(10), msg(11)], { older: true, hasMore: false });
    s.data.addMessages('other', [msg(20, { channel_id: 'other' })]);
    s.activeChannelId = 'c';
    await s.catchUp(3, 2);
    expect(s.data.timelines.get('c')).toMatchObject({ ids: ['4994', '4995', '4996', '4997', '4998', '4999'], hasMore: true });
    expect(s.data.messages.has('10')).toBe(false);
    // A channel not on screen forgets its history and loads it again when opened.
    expect(s.data.timelines.has('other')).toBe(false);
    expect(s.data.messages.has('20')).toBe(false);
  });

  test('a jump loads the page around a message; live messages wait until the window reaches the present', async () => {
    const { s, calls } = session((url) => {
      const q = new URL(url, 'http://x').searchParams;
      if (q.get('around')) return json(200, [msg(12), msg(11), msg(10)]);
      if (q.get('after')) return json(200, [msg(14), msg(13)]);
      return json(200, [msg(99)]);
    });
    applyDispatch(s.data, 'CHANNEL_CREATE', { id: 'c', type: 0, name: 'c', position: 0, guild_id: 'g', last_message_id: '99' });
    s.data.addMessages('c', [msg(98), msg(99)]);
    await s.loadAround('c', '11');
    expect(s.data.timelines.get('c')).toMatchObject({ ids: ['10', '11', '12'], hasNewer: true });
    applyDispatch(s.data, 'MESSAGE_CREATE', msg(100));
    expect(s.data.timelines.get('c')!.ids).toEqual(['10', '11', '12']); // not after a gap
    await s.loadNewer('c');
    expect(s.data.timelines.get('c')).toMatchObject({ ids: ['10', '11', '12', '13', '14'], hasNewer: false });
    await s.jumpToPresent('c');
    expect(s.data.timelines.get('c')!.ids).toEqual(['99']);
    expect(calls.map((c) => c.split('?')[1])).toEqual(['around=11&limit=50', 'after=12&limit=50', 'limit=50']);
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
  test('a large guild asks for all its members with presences (op 8), and the chunks fill the list', () => {
    const { s } = session(() => json(200, {}));
    const sent: Array<[number, unknown]> = [];
    s.gateway.send = (op, d) => void sent.push([op, d]);
    const dispatch = (t: string, d: unknown) => (s.gateway as unknown as { l: { dispatch: (t: string, d: unknown, s: number) => void } }).l.dispatch(t, d, 1);
    const me = { user: { id: '1', username: 'me' }, roles: [], joined_at: '' };
    dispatch('GUILD_CREATE', { id: 'g', name: 'big', owner_id: '1', large: true, channels: [], roles: [], members: [me], presences: [] });
    expect(sent).toContainEqual([8, { guild_id: 'g', query: '', limit: 0, presences: true }]);
    const many = Array.from({ length: 60 }, (_, i) => ({ user: { id: String(100 + i), username: `u${i}` }, roles: [], joined_at: '' }));
    dispatch('GUILD_MEMBERS_CHUNK', { guild_id: 'g', members: many, chunk_index: 0, chunk_count: 1, presences: [{ user: { id: '100' }, status: 'online' }] });
    expect(s.data.members.get('g')!.size).toBe(61);
    expect(s.data.presences.get('100')).toBe('online');
    // A small guild's snapshot is complete: no request.
    sent.length = 0;
    dispatch('GUILD_CREATE', { id: 'h', name: 'small', owner_id: '1', channels: [], roles: [], members: [me], presences: [] });
    expect(sent.filter(([op]) => op === 8)).toEqual([]);
  });

  test('loadAllMembers pages GET /members with after= until a short page', async () => {
    const { s, calls } = session((url) => {
      const after = new URL(url, 'http://x').searchParams.get('after');
      const start = after ? Number(after) + 1 : 1;
      const n = after ? 5 : 1000;
      return json(200, Array.from({ length: n }, (_, i) => ({ user: { id: String(start + i), username: `u${start + i}` }, roles: [], joined_at: '' })));
    });
    await s.loadAllMembers('g');
    expect(calls.map((c) => c.replace(/^GET .*\/members/, ''))).toEqual(['?limit=1000', '?limit=1000&after=1000']);
    expect(s.data.members.get('g')!.size).toBe(1005);
    await s.loadAllMembers('g');
    expect(calls).toHaveLength(2);
  });
});
