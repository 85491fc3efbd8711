import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

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
  plugins: [react()],
  server: { host: '127.0.0.1', proxy },
  preview: { host: '127.0.0.1', proxy },
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false },
  test: { include: ['test/**/*.test.{ts,tsx,js}'], environment: 'node' },
});
