// Opens the interop page served by BrowserInteropTests in Debian's headless Chromium and prints
// the page's result (JSON) on stdout. Usage: node run.mjs <url>
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const url = process.argv[2];
const executablePath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const userDataDir = mkdtempSync(join(tmpdir(), 'together-rtc-chromium-'));
const flags = [
  '--no-sandbox',
  '--disable-gpu',
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  // Without this Chromium gathers no candidate at all on 127.0.0.1 (voice.md).
  '--allow-loopback-in-peer-connection',
  '--autoplay-policy=no-user-gesture-required',
  // Host candidates as plain IPs: no mDNS (.local) names, hence no multicast announcements on
  // the machine's other interface. Checks only ever go to our 127.0.0.1 candidate.
  '--disable-features=WebRtcHideLocalIpsWithMdns',
];

let context;
try {
  context = await chromium.launchPersistentContext(userDataDir, { executablePath, headless: true, args: flags });
  const page = context.pages()[0] ?? await context.newPage();
  page.on('console', (message) => console.error(`page: ${message.text()}`));
  page.on('pageerror', (error) => console.error(`page error: ${error.message}`));
  await page.goto(url);
  const handle = await page.waitForFunction(() => window.__result, null, { timeout: 45_000, polling: 200 });
  console.log(JSON.stringify(await handle.jsonValue()));
} catch (error) {
  console.log(JSON.stringify({ ok: false, error: String(error) }));
  process.exitCode = 1;
} finally {
  await context?.close();
  rmSync(userDataDir, { recursive: true, force: true });
}
