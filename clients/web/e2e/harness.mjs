// Starts what the end-to-end tests need: a real Together server (SQLite in a temp folder, a free
// port on 127.0.0.1) and the built web client, served by the server itself when it serves
// clients/web/dist, else by `vite preview` proxying /api and /gateway to it; plus Debian's
// Chromium through playwright-core. Nothing is downloaded.
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
export const webDir = resolve(here, '..');
export const repoRoot = resolve(webDir, '../..');

export function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

async function waitFor(url, ms, ok = (r) => r.ok) {
  const end = Date.now() + ms;
  let last;
  while (Date.now() < end) {
    try {
      const r = await fetch(url);
      if (ok(r)) return r;
      last = `status ${r.status}`;
    } catch (e) {
      last = e.message;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} not ready after ${ms} ms: ${last}`);
}

function start(cmd, args, opts, name) {
  const child = spawn(cmd, args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const log = [];
  const keep = (b) => {
    log.push(b.toString());
    if (log.length > 200) log.shift();
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  child.name = name;
  child.log = log;
  return child;
}

function stop(child) {
  if (!child || child.exitCode !== null) return;
  try {
    process.kill(-child.pid, 'SIGTERM');
  } catch {
    // Already gone.
  }
}

export async function startStack() {
  const dll = process.env.TOGETHER_SERVER_DLL ?? join(repoRoot, 'server/Together.Server/bin/Release/net10.0/Together.Server.dll');
  if (!existsSync(dll)) throw new Error(`No server build at ${dll}: run dotnet build server/Together.Server -c Release`);
  if (!existsSync(join(webDir, 'dist/index.html'))) throw new Error('No clients/web/dist: run clients/build.sh');
  const dataDir = mkdtempSync(join(tmpdir(), 'together-e2e-'));
  const apiPort = await freePort();
  const api = `http://127.0.0.1:${apiPort}`;
  const server = start('dotnet', [dll, `--Urls=${api}`, `--DataDirectory=${dataDir}`,
    '--Auth:BcryptWorkFactor=4', '--Auth:AllowWeakPasswordHashing=true', `--WebClient:Path=${join(webDir, 'dist')}`,
    // Voice: one UDP port on loopback, any free one (several test runs may share the machine).
    '--Voice:BindAddress=127.0.0.1', '--Voice:Port=0'],
    { cwd: dataDir }, 'server');
  const children = [server];
  const cleanup = async () => {
    for (const c of children) stop(c);
    await new Promise((r) => setTimeout(r, 300));
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await waitFor(`${api}/health/ready`, 60_000);
    // Does the server serve the web client itself (SPA at /)?
    const root = await fetch(`${api}/`).then((r) => (r.ok ? r.text() : ''), () => '');
    let base = api;
    if (!root.includes('<div id="root">')) {
      const port = await freePort();
      const vite = start(process.execPath, [join(dirname(createRequire(import.meta.url).resolve('vite/package.json')), 'bin/vite.js'), 'preview', '--port', String(port), '--strictPort', '--host', '127.0.0.1'],
        { cwd: webDir, env: { ...process.env, TOGETHER_SERVER: api } }, 'vite');
      children.push(vite);
      base = `http://127.0.0.1:${port}`;
      await waitFor(`${base}/`, 30_000);
    }
    const browser = await chromium.launch({
      executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync', '--disable-quic',
        // Voice: a fake microphone (a beep) but real permission prompts, which headless Chromium
        // answers "denied" unless the test grants `microphone` to its context; candidates on
        // 127.0.0.1 (Chromium gathers none on loopback without this flag); playback without a click.
        '--use-fake-device-for-media-stream', '--allow-loopback-in-peer-connection',
        '--autoplay-policy=no-user-gesture-required', '--disable-features=WebRtcHideLocalIpsWithMdns'],
    });
    return {
      api, base, browser, servedBy: base === api ? 'server' : 'vite preview', logs: () => children.map((c) => `--- ${c.name}\n${c.log.join('')}`).join('\n'),
      async close() {
        await browser.close().catch(() => undefined);
        await cleanup();
      },
    };
  } catch (e) {
    const logs = children.map((c) => `--- ${c.name}\n${c.log.join('')}`).join('\n');
    await cleanup();
    e.message += `\n${logs.slice(-4000)}`;
    throw e;
  }
}

/**
 * After each test: on a failure, screenshots into e2e-artifacts/ and, as text for CI (which keeps
 * no screenshots), what each page showed (`describe(page)`), the server's warnings and the
 * browser's console errors and failed requests collected in `consoleLines`.
 */
export async function reportFailure(t, { stack, pages, consoleLines, describe, prefix = '', serverLines = /warn|fail|error|exception/i }) {
  if (t.passed) {
    consoleLines.length = 0;
    return;
  }
  const dir = join(webDir, 'e2e-artifacts');
  mkdirSync(dir, { recursive: true });
  const slug = `${prefix}${t.name.replace(/[^a-z0-9]+/gi, '-').slice(0, 50)}`;
  for (const [who, page] of Object.entries(pages)) {
    if (!page) continue;
    await page.screenshot({ path: join(dir, `${slug}-${who}.png`) }).catch(() => undefined);
    console.log(`# ${who} saw: ${JSON.stringify(await describe(page).catch(() => undefined))}`);
  }
  for (const line of stack.logs().split('\n').filter((l) => serverLines.test(l)).slice(-30)) console.log(`# server: ${line}`);
  for (const line of consoleLines.splice(0)) console.log(`# ${line}`);
}
