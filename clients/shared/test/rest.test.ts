import { describe, expect, test } from 'vitest';
import { ApiError, MemoryTokenStore, RateLimitError, RestClient, flattenFieldErrors, type Tokens } from '../src';

type Handler = (url: string, init: RequestInit) => Response | Promise<Response>;

function json(status: number, body: unknown, headers: Record<string, string> = {}) {
  return new Response(body === undefined ? null : JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  });
}

/** A fake fetch that records calls and answers from a handler. */
function fakeFetch(handler: Handler) {
  const calls: Array<{ url: string; method: string; auth?: string; body?: unknown }> = [];
  const fn = async (url: string, init: RequestInit = {}) => {
    const headers = (init.headers ?? {}) as Record<string, string>;
    calls.push({
      url,
      method: init.method ?? 'GET',
      auth: headers.authorization,
      body: init.body ? JSON.parse(String(init.body)) : undefined,
    });
    return handler(url, init);
  };
  return { fn, calls };
}

const NOW = 1_000_000;
const fresh = (over: Partial<Tokens> = {}): Tokens => ({ token: 'a1', refreshToken: 'r1', userId: '1', expiresAt: NOW + 600_000, ...over });

function client(handler: Handler, tokens = new MemoryTokenStore(fresh()), extra = {}) {
  const f = fakeFetch(handler);
  const sleeps: number[] = [];
  const rest = new RestClient({
    tokens,
    fetch: f.fn,
    now: () => NOW,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    ...extra,
  });
  return { rest, calls: f.calls, sleeps, tokens };
}

describe('errors', () => {
  test('flattens the nested Discord error tree', () => {
    const errs = flattenFieldErrors({
      username: { _errors: [{ code: 'BASE_TYPE_BAD_LENGTH', message: 'Must be between 2 and 32' }] },
      messages: { 0: { _errors: [{ code: 'X', message: 'bad id' }] } },
    });
    expect(errs).toEqual([
      { path: 'username', code: 'BASE_TYPE_BAD_LENGTH', message: 'Must be between 2 and 32' },
      { path: 'messages.0', code: 'X', message: 'bad id' },
    ]);
  });

  test('a 400 becomes an ApiError with code, message and field errors', async () => {
    const { rest } = client(() => json(400, {
      code: 50035, message: 'Invalid Form Body',
      errors: { password: { _errors: [{ code: 'BASE_TYPE_BAD_LENGTH', message: 'Must be between 8 and 256 in length.' }] } },
    }));
    const err = await rest.register('al', 'x').catch((e) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err.status).toBe(400);
    expect(err.code).toBe(50035);
    expect(err.message).toBe('Invalid Form Body');
    expect(err.field('password')).toBe('Must be between 8 and 256 in length.');
  });

  test('a 403 Missing Permissions is typed', async () => {
    const { rest } = client(() => json(403, { code: 50013, message: 'Missing Permissions' }));
    const err = await rest.sendMessage('5', { content: 'hi' }).catch((e) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect([err.status, err.code]).toEqual([403, 50013]);
  });
});

describe('requests', () => {
  test('sends the bearer token, JSON body and query', async () => {
    const { rest, calls } = client(() => json(200, []));
    await rest.messages('42', { before: '100', limit: 50 });
    await rest.sendMessage('42', { content: 'hello', nonce: 'n1' });
    expect(calls[0]).toMatchObject({ method: 'GET', url: '/api/v10/channels/42/messages?before=100&limit=50', auth: 'Bearer a1' });
    expect(calls[1]).toMatchObject({ method: 'POST', url: '/api/v10/channels/42/messages', body: { content: 'hello', nonce: 'n1' } });
  });

  test('login stores the tokens with their expiry', async () => {
    const tokens = new MemoryTokenStore();
    const { rest, calls } = client(() => json(200, { token: 't', refresh_token: 'r', expires_in: 900, user_id: '7' }), tokens);
    await rest.login('alice', 'pw123456');
    expect(calls[0].auth).toBeUndefined();
    expect(tokens.load()).toEqual({ token: 't', refreshToken: 'r', userId: '7', expiresAt: NOW + 900_000 });
  });
});

describe('rate limits', () => {
  test('a short 429 is waited out (retry_after) and retried', async () => {
    let n = 0;
    const { rest, calls, sleeps } = client(() =>
      n++ === 0 ? json(429, { message: 'You are being rate limited.', retry_after: 1.5, global: false }) : json(200, { id: '1' }));
    await expect(rest.me()).resolves.toEqual({ id: '1' });
    expect(calls).toHaveLength(2);
    expect(sleeps).toEqual([1500]);
  });

  test('a long 429 throws RateLimitError with retryAfter', async () => {
    const { rest, calls } = client(() => json(429, { message: 'You are being rate limited.', retry_after: 60, global: true }));
    const err = await rest.me().catch((e) => e);
    expect(err).toBeInstanceOf(RateLimitError);
    expect(err.retryAfter).toBe(60);
    expect(err.global).toBe(true);
    expect(calls).toHaveLength(1);
  });

  test('slowmode (20016) is surfaced, not retried', async () => {
    const { rest, calls } = client(() => json(429, { code: 20016, message: 'Slowmode', retry_after: 2 }));
    const err = await rest.sendMessage('1', { content: 'x' }).catch((e) => e);
    expect(err).toBeInstanceOf(RateLimitError);
    expect(err.code).toBe(20016);
    expect(calls).toHaveLength(1);
  });

  test('gives up after maxRetries', async () => {
    const { rest, calls } = client(() => json(429, { message: 'x', retry_after: 0.1 }), undefined, { maxRetries: 2 });
    await expect(rest.me()).rejects.toBeInstanceOf(RateLimitError);
    expect(calls).toHaveLength(3);
  });
});

describe('token refresh', () => {
  test('an expired access token is refreshed before the call', async () => {
    const tokens = new MemoryTokenStore(fresh({ expiresAt: NOW - 1 }));
    const { rest, calls } = client((url) =>
      url.endsWith('/auth/refresh') ? json(200, { token: 'a2', refresh_token: 'r2', expires_in: 900, user_id: '1' }) : json(200, { id: '1' }), tokens);
    await rest.me();
    expect(calls.map((c) => c.url)).toEqual(['/api/v10/auth/refresh', '/api/v10/users/@me']);
    expect(calls[0].body).toEqual({ refresh_token: 'r1' });
    expect(calls[1].auth).toBe('Bearer a2');
    expect(tokens.load()?.refreshToken).toBe('r2');
  });

  test('concurrent 401s share one refresh: the refresh token is presented once', async () => {
    let refreshes = 0;
    const { rest, calls } = client(async (url, init) => {
      const auth = (init.headers as Record<string, string>).authorization;
      if (url.endsWith('/auth/refresh')) {
        refreshes++;
        await new Promise((r) => setTimeout(r, 5));
        return json(200, { token: 'a2', refresh_token: 'r2', expires_in: 900, user_id: '1' });
      }
      return auth === 'Bearer a2' ? json(200, { ok: true }) : json(401, { code: 0, message: '401: Unauthorized' });
    });
    const results = await Promise.all([rest.me(), rest.myGuilds(), rest.messages('9')]);
    expect(results).toEqual([{ ok: true }, { ok: true }, { ok: true }]);
    expect(refreshes).toBe(1);
    const presented = calls.filter((c) => c.url.endsWith('/auth/refresh')).map((c) => (c.body as { refresh_token: string }).refresh_token);
    expect(presented).toEqual(['r1']);
  });

  test('a 401 after another call already refreshed retries with the new token, no second refresh', async () => {
    const tokens = new MemoryTokenStore(fresh());
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const { rest, calls } = client(async (url, init) => {
      const auth = (init.headers as Record<string, string>).authorization;
      if (url.endsWith('/auth/refresh')) return json(200, { token: 'a2', refresh_token: 'r2', expires_in: 900, user_id: '1' });
      if (url.endsWith('/slow')) {
        await gate;
        return auth === 'Bearer a2' ? json(200, 'slow-ok') : json(401, {});
      }
      return auth === 'Bearer a2' ? json(200, 'ok') : json(401, {});
    }, tokens);
    const slow = rest.request('GET', '/slow');
    await rest.me(); // 401 → refresh → retry
    release();
    await expect(slow).resolves.toBe('slow-ok');
    expect(calls.filter((c) => c.url.endsWith('/auth/refresh'))).toHaveLength(1);
  });

  test('adopts a rotation another tab stored instead of presenting the old refresh token', async () => {
    const tokens = new MemoryTokenStore(fresh());
    const { rest, calls } = client((url, init) => {
      const auth = (init.headers as Record<string, string>).authorization;
      if (url.endsWith('/auth/refresh')) return json(401, {});
      return auth === 'Bearer a9' ? json(200, 'ok') : json(401, {});
    }, tokens, {
      // The other tab rotates while we wait for the lock.
      withLock: async <T,>(fn: () => Promise<T>) => {
        tokens.save(fresh({ token: 'a9', refreshToken: 'r9' }));
        return fn();
      },
    });
    await expect(rest.me()).resolves.toBe('ok');
    expect(calls.some((c) => c.url.endsWith('/auth/refresh'))).toBe(false);
  });

  test('a refused refresh logs out', async () => {
    let loggedOut = 0;
    const tokens = new MemoryTokenStore(fresh({ expiresAt: 0 }));
    const { rest } = client(() => json(401, { code: 0, message: '401: Unauthorized' }), tokens, { onLoggedOut: () => loggedOut++ });
    await expect(rest.me()).rejects.toBeInstanceOf(ApiError);
    expect(tokens.load()).toBeNull();
    expect(loggedOut).toBe(1);
  });

  test('logout calls the server and clears the tokens', async () => {
    const { rest, calls, tokens } = client(() => new Response(null, { status: 204 }));
    await rest.logout();
    expect(calls[0]).toMatchObject({ method: 'POST', url: '/api/v10/auth/logout', auth: 'Bearer a1' });
    expect(tokens.load()).toBeNull();
  });
});
