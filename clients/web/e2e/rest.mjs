// REST helpers for end-to-end tests that set people up without the UI: register, join, post,
// then open the web client already logged in.
import { request } from 'node:http';

const PASSWORD = 'correct horse battery';

/**
 * One REST call. `from` picks the loopback source address (127.0.0.2, .3, …): the server limits
 * registrations and invite accepts per IP, and a crowd of people from one address would be refused.
 */
export function api(stack, path, { method = 'GET', token, body, from = 1 } = {}) {
  const url = new URL(`${stack.api}/api/v10${path}`);
  const data = body ? JSON.stringify(body) : undefined;
  return new Promise((resolve, reject) => {
    const req = request({
      host: url.hostname, port: url.port, path: url.pathname + url.search, method, localAddress: `127.0.0.${from}`,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(data ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } : {}) },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (text += c));
      res.on('end', () => {
        if (res.statusCode >= 300) reject(new Error(`${method} ${path}: ${res.statusCode} ${text}`));
        else resolve(text ? JSON.parse(text) : null);
      });
    });
    req.on('error', reject);
    req.end(data);
  });
}

export async function registerOverRest(stack, name, from = 1) {
  const a = await api(stack, '/auth/register', { method: 'POST', body: { username: name, password: PASSWORD }, from });
  return { id: a.user_id, name, token: a.token, refreshToken: a.refresh_token, expiresIn: a.expires_in, from };
}

/** A browser page already logged in as `who` (the tokens put where the app keeps them). */
export async function openAs(stack, who, { viewport = { width: 1280, height: 800 }, consoleLines = [] } = {}) {
  const context = await stack.browser.newContext({ viewport, baseURL: stack.base });
  const tokens = JSON.stringify({ token: who.token, refreshToken: who.refreshToken, userId: who.id, expiresAt: Date.now() + who.expiresIn * 1000 });
  // Only the first time: a refresh later rotates them and must not be undone by a reload.
  await context.addInitScript((t) => {
    if (!localStorage.getItem('together.tokens')) localStorage.setItem('together.tokens', t);
  }, tokens);
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  page.on('pageerror', (e) => console.log(`# page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') consoleLines.push(`console error: ${m.text()}`.slice(0, 300));
  });
  // What the client sends on the gateway, for tests that check an opcode went out.
  page.gatewaySent = [];
  page.on('websocket', (ws) => ws.on('framesent', (f) => {
    try {
      page.gatewaySent.push(JSON.parse(String(f.payload)));
    } catch {
      // not JSON: ignore
    }
  }));
  await page.goto('/');
  return page;
}

