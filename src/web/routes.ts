import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Hono, type Context } from 'hono';
import { compress } from 'hono/compress';
import { getCookie } from 'hono/cookie';
import { html } from 'hono/html';
import { streamSSE } from 'hono/streaming';
import { z } from 'zod';
import type { CatalogRepository } from '../catalog/index.js';
import type { SeatMapCache } from '../catalog/index.js';
import type { IdentityService } from '../identity/index.js';
import type { AccessTokens } from '../identity/index.js';
import type { AppEnv } from '../platform/http/app.js';
import { RESERVATION_ID_PATTERN } from '../../workflows/booking/reservation-contract.js';
import { DomainError } from '../shared/errors.js';
import { minified } from './minify.js';
import { pageShell } from './page-shell.js';
import type { BrowserSessions } from './session.js';

/**
 * The web app: server-rendered page shells (hono/html, escaped by default) that load one small
 * hand-written script, /web/app.js, which draws each page from the JSON API. The API process serves
 * all of it: no CDN, no second server, no build step. See docs/web.md for why.
 */
const here = dirname(fileURLToPath(import.meta.url));
export const assetDir = [join(here, 'assets'), join(process.cwd(), 'src/web/assets')].find((d) => {
  try {
    readFileSync(join(d, 'app.js'));
    return true;
  } catch {
    return false;
  }
})!;
// organiser.js holds the ADMIN pages: app.js imports it only on those, so buyers never download it.
const ASSETS: Record<string, string> = {
  'app.js': 'text/javascript; charset=utf-8',
  // The sentences for the API's problem codes, one file per language, imported by app.js on every page.
  'problem-messages.ko.js': 'text/javascript; charset=utf-8',
  'problem-messages.en.js': 'text/javascript; charset=utf-8',
  'organiser.js': 'text/javascript; charset=utf-8',
  'app.css': 'text/css; charset=utf-8',
  // Recommendations under a concert and after a paid checkout (src/recommendations), apart from app.js.
  'recommendations.js': 'text/javascript; charset=utf-8',
  // The checkout's card form (docs/payments.md), loaded only on the checkout page, before app.js.
  'card-payment.js': 'text/javascript; charset=utf-8',
  'favicon.svg': 'image/svg+xml',
};
const RECOMMENDATION_PAGES = new Set(['concert', 'seats', 'checkout']);
const assetBodies = new Map<string, string>();
const asset = (name: string) => {
  let body = assetBodies.get(name);
  if (body === undefined) assetBodies.set(name, (body = minified(name, readFileSync(join(assetDir, name), 'utf8'))));
  return body;
};
/** A new address per content, so the assets can be cached for a year. */
let version: string | undefined;
const assetVersion = () => (version ??= Object.keys(ASSETS).reduce((hash, name) => hash.update(asset(name)), createHash('sha256')).digest('base64url').slice(0, 12));
const ORGANISER_PAGES = new Set(['dashboard', 'newConcert']);
/** Third-party files served as published from node_modules (the version is the package's: cache for good). */
const requireFrom = createRequire(import.meta.url);
const VENDOR: Record<string, { path: string; type: string }> = {
  'uplot.js': { path: 'uplot/dist/uPlot.iife.min.js', type: 'text/javascript; charset=utf-8' },
  'uplot.css': { path: 'uplot/dist/uPlot.min.css', type: 'text/css; charset=utf-8' },
};
const vendorBodies = new Map<string, string>();
const vendorBody = (path: string) => {
  let body = vendorBodies.get(path);
  if (body === undefined) vendorBodies.set(path, (body = readFileSync(requireFrom.resolve(path), 'utf8')));
  return body;
};
const UPLOT_VERSION = (requireFrom('uplot/package.json') as { version: string }).version;
/** Pages whose id is a schedule's. */
const SCHEDULE_PAGES = new Set(['seats', 'queue', 'dashboard']);

const LoginBody = z.object({ email: z.string().trim().min(3).max(254), password: z.string().min(1).max(128) }).strict();

/** Pages: path → page name, read by app.js. */
const PAGES: Array<[string, string]> = [
  ['/', 'concerts'],
  ['/concerts/:id', 'concert'],
  ['/schedules/:id', 'seats'],
  ['/schedules/:id/queue', 'queue'],
  ['/checkout/:id', 'checkout'],
  ['/me/reservations', 'reservations'],
  ['/login', 'login'],
  ['/signup', 'signup'],
  ['/admin/schedules/:id', 'dashboard'],
  ['/admin/concerts/new', 'newConcert'],
];

export function webRoutes(deps: {
  sessions: BrowserSessions;
  tokens: AccessTokens;
  identity: IdentityService;
  seatMaps: SeatMapCache;
  catalog: CatalogRepository;
  /** MAX_SEATS_PER_RESERVATION: the seat page lets a buyer pick at most this (or the schedule's lower cap). */
  maxSeatsPerReservation: number;
  clientIp: (c: Context) => string | null;
  seatStreamIntervalMs: number;
  /** Card payments on: the provider's origin and publishable key reach the checkout page (emulator: the test-card step). */
  cardPayments?: { providerOrigin: string; publishableKey: string; emulator: boolean } | undefined;
}) {
  const app = new Hono<AppEnv>();

  for (const [path, page] of PAGES) {
    app.get(path, async (c) => {
      const token = deps.sessions.token(c);
      const claims = token ? await deps.tokens.verify(token).catch(() => undefined) : undefined;
      const lang = getCookie(c, 'lang') === 'en' ? 'en' : 'ko';
      const id = c.req.param('id' as never) as string | undefined;
      if (id !== undefined && !(page === 'checkout' ? RESERVATION_ID_PATTERN : /^[1-9][0-9]{0,15}$/).test(id)) throw new DomainError('NOT_FOUND', `No page ${c.req.path}`);
      // The seat page needs the schedule's cap; the dashboard its status (pause, resume, cancel).
      const schedule = SCHEDULE_PAGES.has(page) && id ? await deps.catalog.findSchedule(Number(id)) : undefined;
      // An unknown concert or performance is a real 404 (the page still says so in words).
      const missing = (SCHEDULE_PAGES.has(page) && !schedule) || (page === 'concert' && id && !(await deps.catalog.findConcert(Number(id))));
      const maxSeats = Math.min(schedule?.maxSeatsPerReservation ?? deps.maxSeatsPerReservation, deps.maxSeatsPerReservation);
      c.header('Cache-Control', 'no-store');
      return c.html(
        pageShell({
          lang,
          title: lang === 'en' ? 'Concert tickets' : '콘서트 예매',
          csrfToken: claims && token ? deps.sessions.csrfFor(token) : undefined,
          stylesheet: `/web/app.css?v=${assetVersion()}`,
          head: html`<link rel="icon" href="/web/favicon.svg?v=${assetVersion()}" type="image/svg+xml">
${page === 'checkout' && deps.cardPayments ? html`<meta name="payment-provider" content="${deps.cardPayments.providerOrigin}" data-key="${deps.cardPayments.publishableKey}" data-emulator="${deps.cardPayments.emulator ? 'true' : ''}"><script type="module" src="/web/card-payment.js?v=${assetVersion()}"></script>` : ''}
<script type="module" src="/web/app.js?v=${assetVersion()}"></script>
<link rel="modulepreload" href="/web/problem-messages.${lang}.js?v=${assetVersion()}">
${ORGANISER_PAGES.has(page) ? html`<link rel="modulepreload" href="/web/organiser.js?v=${assetVersion()}">` : ''}
${RECOMMENDATION_PAGES.has(page) ? html`<script type="module" src="/web/recommendations.js?v=${assetVersion()}"></script>` : ''}
${page === 'dashboard' ? html`<link rel="stylesheet" href="/web/vendor/uplot.css?v=${UPLOT_VERSION}"><meta name="chart-script" content="/web/vendor/uplot.js?v=${UPLOT_VERSION}">` : ''}`,
          body: html`<body data-page="${page}" data-id="${id ?? ''}" data-user="${claims ? claims.sub : ''}" data-role="${claims?.role ?? ''}" data-max-seats="${maxSeats}" data-status="${schedule?.status ?? ''}">
<a class="skip" href="#main">${lang === 'en' ? 'Skip to content' : '본문으로 건너뛰기'}</a>
<header><nav id="nav" aria-label="${lang === 'en' ? 'Main' : '주 메뉴'}"></nav></header>
<main id="main" tabindex="-1"><p>${lang === 'en' ? 'Loading…' : '불러오는 중…'}</p></main>
<div id="toast" role="status" aria-live="polite"></div>
</body>`,
        }),
        missing ? 404 : 200,
      );
    });
  }

  // Browsers ask for /favicon.ico whatever the page says: the same SVG.
  app.get('/favicon.ico', (c) => c.body(asset('favicon.svg'), 200, { 'content-type': ASSETS['favicon.svg']!, 'cache-control': 'public, max-age=86400' }));

  // What a page needs to name a performance (concert title, venue, date), for any page that only
  // knows a schedule id: reservations, tickets, waiting-list entries. Public, like the concert.
  app.get('/web/schedules/:id/context', async (c) => {
    const id = c.req.param('id');
    if (!/^[1-9][0-9]{0,15}$/.test(id)) throw new DomainError('VALIDATION_FAILED', 'scheduleId must be a positive integer');
    const schedule = await deps.catalog.findSchedule(Number(id));
    const concert = schedule && (await deps.catalog.findConcert(schedule.concertId));
    if (!schedule || !concert) throw new DomainError('NOT_FOUND', 'Schedule not found');
    c.header('Cache-Control', 'public, max-age=60');
    return c.json({ scheduleId: schedule.id, concertId: concert.id, title: concert.title, artist: concert.artist, venue: concert.venue, startsAt: schedule.startsAt.toISOString(), status: schedule.status });
  });

  // The dashboard's chart library (uPlot), from node_modules as published (no CDN), for organisers only.
  app.get('/web/vendor/:file', compress(), (c) => {
    const file = Object.hasOwn(VENDOR, c.req.param('file')) ? VENDOR[c.req.param('file')] : undefined;
    if (!file) return c.notFound();
    return c.body(vendorBody(file.path), 200, { 'content-type': file.type, 'cache-control': 'public, max-age=31536000, immutable' });
  });

  app.get('/web/:asset', compress(), (c) => {
    const name = c.req.param('asset');
    const type = Object.hasOwn(ASSETS, name) ? ASSETS[name] : undefined;
    if (!type) return c.notFound();
    return c.body(asset(name), 200, { 'content-type': type, 'cache-control': c.req.query('v') ? 'public, max-age=31536000, immutable' : 'no-cache' });
  });

  // Log in: the access token goes into the HttpOnly cookie; the page gets only the CSRF token.
  app.post('/web/session', async (c) => {
    sameOrigin(c);
    const parsed = LoginBody.safeParse(await c.req.json().catch(() => undefined));
    if (!parsed.success) throw new DomainError('VALIDATION_FAILED', 'Send {"email", "password"} as JSON');
    const issued = await deps.identity.login(parsed.data.email, parsed.data.password, deps.clientIp(c), deps.sessions.deviceToken(c));
    const csrf = deps.sessions.start(c, issued);
    deps.sessions.rememberDevice(c, issued.deviceToken);
    c.header('Cache-Control', 'no-store');
    return c.json({ userId: issued.userId, csrfToken: csrf }, 200);
  });

  // The access token lasts JWT_TTL_SECONDS; the page trades the refresh cookie for new ones when
  // an answer says 401 (each refresh token works once, as for REST clients).
  app.post('/web/session/refresh', async (c) => {
    sameOrigin(c);
    const refreshToken = deps.sessions.refreshToken(c);
    if (!refreshToken) throw new DomainError('UNAUTHENTICATED', 'No session to refresh; log in again');
    const issued = await deps.identity.refresh(refreshToken, deps.clientIp(c));
    const csrf = deps.sessions.start(c, issued);
    c.header('Cache-Control', 'no-store');
    return c.json({ userId: issued.userId, csrfToken: csrf }, 200);
  });

  app.delete('/web/session', (c) => {
    const token = deps.sessions.token(c);
    if (token) deps.sessions.checkCsrf(c, token);
    deps.sessions.end(c);
    return c.body(null, 204);
  });

  // Live seat statuses of one schedule for the seat map: the first message has every seat, then
  // only the seats that changed. Read from the Redis seat-map cache (patched after every hold,
  // release and sale), so a stream costs one cached read per tick, whoever is watching.
  app.get('/web/schedules/:id/seats/stream', async (c) => {
    const id = c.req.param('id');
    if (!/^[1-9][0-9]{0,15}$/.test(id)) throw new DomainError('VALIDATION_FAILED', 'scheduleId must be a positive integer');
    const scheduleId = Number(id);
    const first = await deps.seatMaps.get(scheduleId);
    if (first.length === 0) throw new DomainError('NOT_FOUND', 'Schedule not found');
    return streamSSE(c, async (stream) => {
      let aborted = false;
      stream.onAbort(() => {
        aborted = true;
      });
      const known = new Map<number, string>();
      let seats = first;
      let lastWrite = 0;
      while (!aborted) {
        const changed: Array<[number, string]> = [];
        for (const s of seats) {
          if (known.get(s.id) !== s.status) {
            known.set(s.id, s.status);
            changed.push([s.id, s.status]);
          }
        }
        if (changed.length > 0) {
          await stream.writeSSE({ event: 'seats', data: JSON.stringify(changed), retry: 2000 });
          lastWrite = Date.now();
        } else if (Date.now() - lastWrite > 15_000) {
          await stream.write(': keep-alive\n\n');
          lastWrite = Date.now();
        }
        await stream.sleep(deps.seatStreamIntervalMs);
        if (aborted) break;
        seats = await deps.seatMaps.get(scheduleId).catch(() => seats);
      }
    }) as never;
  });

  return app;
}

/** Login is the one cookie-setting request without a session: refuse it from another origin (login CSRF). */
function sameOrigin(c: Context) {
  const origin = c.req.header('origin');
  const host = origin ? URL.canParse(origin) && new URL(origin).host : undefined;
  if (host !== undefined && host !== c.req.header('host')) throw new DomainError('FORBIDDEN', 'Cross-origin login refused');
  if (!(c.req.header('content-type') ?? '').startsWith('application/json')) throw new DomainError('UNSUPPORTED_MEDIA_TYPE', 'Send the body as application/json');
}
