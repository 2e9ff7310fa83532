import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Hono } from 'hono';
import { getCookie } from 'hono/cookie';
import { html } from 'hono/html';
import type { AccessTokens } from '../identity/index.js';
import type { AppEnv } from '../platform/http/app.js';
import { DomainError } from '../shared/errors.js';
import { minified } from './minify.js';
import { pageShell } from './page-shell.js';
import { assetDir } from './routes.js';
import type { BrowserSessions } from './session.js';

/**
 * The offline door scanner for STAFF (docs/tickets.md "Offline scanning"): one page per performance,
 * `/door/schedules/<id>`, its script, its service worker (`/door/sw.js`, scope `/door/`, which keeps
 * the page and its scripts for a reload without a network) and `idb` (the IndexedDB wrapper, as
 * published). The page keeps the door list, its queue and its admissions in IndexedDB.
 */
const requireFrom = createRequire(import.meta.url);
const IDB_VERSION = (requireFrom('idb/package.json') as { version: string }).version;
const bodies = new Map<string, string>();
const body = (name: string) => {
  let b = bodies.get(name);
  if (b === undefined) {
    const source = name === 'idb.js' ? readFileSync(requireFrom.resolve('idb/build/index.js'), 'utf8') : readFileSync(join(assetDir, name), 'utf8');
    bodies.set(name, (b = name === 'idb.js' ? source : minified(name, source)));
  }
  return b;
};
let version: string | undefined;
const scannerVersion = () => (version ??= createHash('sha256').update(body('scanner.js')).update(body('scanner-sw.js')).update(IDB_VERSION).digest('base64url').slice(0, 12));
const JS = 'text/javascript; charset=utf-8';

export function scannerPageRoutes(deps: { sessions: BrowserSessions; tokens: AccessTokens }) {
  const app = new Hono<AppEnv>();

  app.get('/door/schedules/:id', async (c) => {
    const id = c.req.param('id');
    if (!/^[1-9][0-9]{0,15}$/.test(id)) throw new DomainError('NOT_FOUND', `No page ${c.req.path}`);
    const token = deps.sessions.token(c);
    const claims = token ? await deps.tokens.verify(token).catch(() => undefined) : undefined;
    const lang = getCookie(c, 'lang') === 'en' ? 'en' : 'ko';
    const v = scannerVersion();
    // The service worker keeps this page for offline reloads: its CSRF token is the session's at that
    // time; the script trades the refresh cookie for a new one when an answer says 401 or 403.
    c.header('Cache-Control', 'no-cache');
    return c.html(
      pageShell({
        lang,
        title: lang === 'en' ? 'Door scanner' : '입장 스캐너',
        csrfToken: claims && token ? deps.sessions.csrfFor(token) : undefined,
        // Unversioned: the service worker keeps exactly this URL for offline reloads.
        stylesheet: '/web/app.css',
        head: html`<script type="module" src="/door/scanner.js?v=${v}"></script>`,
        body: html`<body data-page="scanner" data-id="${id}" data-role="${claims?.role ?? ''}" data-lang="${lang}" data-version="${v}">
<main id="main" tabindex="-1"><p>${lang === 'en' ? 'Loading…' : '불러오는 중…'}</p></main>
</body>`,
      }),
    );
  });

  app.get('/door/scanner.js', (c) => c.body(body('scanner.js'), 200, { 'content-type': JS, 'cache-control': 'no-cache' }));
  app.get('/door/vendor/idb.js', (c) => c.body(body('idb.js'), 200, { 'content-type': JS, 'cache-control': 'no-cache' }));
  // A service worker may control only its own path and below: served from /door/ for scope /door/.
  app.get('/door/sw.js', (c) => c.body(body('scanner-sw.js'), 200, { 'content-type': JS, 'cache-control': 'no-cache', 'service-worker-allowed': '/door/' }));

  return app;
}
