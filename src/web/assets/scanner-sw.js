// The door scanner's service worker (docs/tickets.md "Offline scanning"), scope /door/: keeps the
// scanner page, its scripts and the stylesheet, so the page reloads without a network. Network
// first (a new version wins whenever the network answers), the cache when it does not. The API is
// not cached here: the page keeps the door list and its queue in IndexedDB and decides offline itself.
const CACHE = 'door-scanner-v1';

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin) return;
  if (!url.pathname.startsWith('/door/') && url.pathname !== '/web/app.css') return;
  event.respondWith(
    fetch(request).then(
      (response) => {
        if (response.ok) {
          const copy = response.clone();
          event.waitUntil(caches.open(CACHE).then((cache) => cache.put(request, copy)));
        }
        return response;
      },
      // ignoreVary: answers vary by Origin (CORS), which a module script's request carries and the page's caching request does not.
      () => caches.match(request, { ignoreVary: true }).then((cached) => cached ?? Response.error()),
    ),
  );
});
