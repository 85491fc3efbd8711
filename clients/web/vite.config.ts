import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { defineConfig, type Plugin } from 'vite';
import react from '@vitejs/plugin-react';

/**
 * Emits sw.js with the build's file list (the hashed /assets/…) and a version derived from it, so
 * the service worker precaches every asset at install and each build has its own cache.
 */
function precacheServiceWorker(): Plugin {
  return {
    name: 'together-precache-sw',
    apply: 'build',
    generateBundle(_options, bundle) {
      const assets = Object.keys(bundle).filter((f) => f.startsWith('assets/')).sort().map((f) => `/${f}`);
      const version = createHash('sha256').update(assets.join('\n')).digest('hex').slice(0, 12);
      const source = readFileSync(new URL('./sw.js', import.meta.url), 'utf8')
        .replace("'__VERSION__'", JSON.stringify(version))
        .replace('/* __ASSETS__ */ []', JSON.stringify(assets));
      this.emitFile({ type: 'asset', fileName: 'sw.js', source });
    },
  };
}

// In development (and in the e2e harness's `vite preview`), the API and the gateway are proxied to
// the server: TOGETHER_SERVER, default http://127.0.0.1:8080.
const server = process.env.TOGETHER_SERVER ?? 'http://127.0.0.1:8080';
const proxy = {
  '/api': { target: server },
  '/gateway': { target: server, ws: true },
  // Files live at Discord's CDN paths, at the root.
  '/attachments': { target: server },
  '/avatars': { target: server },
  '/icons': { target: server },
};

export default defineConfig({
  plugins: [react(), precacheServiceWorker()],
  server: { host: '127.0.0.1', proxy },
  preview: { host: '127.0.0.1', proxy },
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false },
  test: { include: ['test/**/*.test.{ts,tsx,js}'], environment: 'node' },
});
