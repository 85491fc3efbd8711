// Together's service worker: caches the app shell (index.html and the hashed build assets) so the
// app starts offline and installs as a PWA. The API and the gateway are never cached.
// Built by vite.config.ts (precacheServiceWorker): ASSETS is replaced with the build's own file
// list and VERSION with a hash of it, so every asset is stored at install (the first offline
// start after installing needs them all, not only those the first page happened to load) and a
// new build gets a new cache, the old one being deleted on activation.
const VERSION = '__VERSION__';
const ASSETS = /* __ASSETS__ */ [];
const CACHE = `together-shell-${VERSION}`;
const SHELL = ['/', '/index.html', '/manifest.webmanifest', '/icon.svg', '/icon-192.png', '/icon-512.png', '/icon-maskable-512.png'];

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((c) => c.addAll([...SHELL, ...ASSETS])).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('fetch', (event) => {
  const req = event.request;
  const url = new URL(req.url);
  if (req.method !== 'GET' || url.origin !== self.location.origin) return;
  if (url.pathname.startsWith('/api/') || url.pathname.startsWith('/gateway')) return;
  // Files (attachments, avatars, icons) are the server's, never the shell: opening one in a tab is
  // a navigation whose answer must not be stored as /index.html.
  if (/^\/(attachments|avatars|icons)\//.test(url.pathname)) return;

  if (req.mode === 'navigate') {
    // Network first for pages so a new deploy shows at once; the cached shell when offline.
    event.respondWith(
      fetch(req)
        .then((res) => {
          const copy = res.clone();
          if (res.ok) caches.open(CACHE).then((c) => c.put('/index.html', copy));
          return res;
        })
        .catch(() => caches.match('/index.html')),
    );
    return;
  }
  if (url.pathname.startsWith('/assets/')) {
    // Hashed file names never change: cache first.
    event.respondWith(
      caches.match(req).then((hit) => hit || fetch(req).then((res) => {
        const copy = res.clone();
        if (res.ok) caches.open(CACHE).then((c) => c.put(req, copy));
        return res;
      })),
    );
  }
});
