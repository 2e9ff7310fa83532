import { OpenAPIHono, type z } from '@hono/zod-openapi';
import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import { HTTPException } from 'hono/http-exception';
import { requestId } from 'hono/request-id';
import { PatternRouter } from 'hono/router/pattern-router';
import { secureHeaders } from 'hono/secure-headers';
import { lazyChild, type Logger } from '../observability/logger.js';
import { latencyBuckets, type Metrics } from '../observability/metrics.js';
import { DomainError } from '../../shared/errors.js';
import { isDependencyUnavailable } from '../dependency-errors.js';
import { problem, problemFromError } from './problem.js';
import { keepingLateAnswer } from './idempotency.js';
import { takesIdempotencyKey, withRouteConventions } from './route-conventions.js';

export interface AuthUser {
  id: number;
  role: 'USER' | 'ADMIN' | 'STAFF';
  /** When the access token stops being valid (epoch seconds): long-lived streams end then. */
  tokenExpiresAt?: number;
}

export interface AppEnv {
  Variables: {
    requestId: string;
    log: Logger;
    user: AuthUser;
    /** Set when the request deadline answered 503 while the handler still ran (deadlineMiddleware). */
    answeredAtDeadline?: boolean;
    /** Set when the handler started work it must answer (answerWhateverTheDeadline): the deadline no longer cuts it. */
    committed?: boolean;
  };
}

/**
 * One refused field of a 400: where (`path`), why for developers (`message`), and why for clients
 * (`reason`: a rule's own, src/shared/validation-reasons.ts, else the schema check's issue code),
 * with the bound broken and the kind of value where there is one, so a page can say it in its words.
 */
function fieldError(issue: z.core.$ZodIssue) {
  const params = 'params' in issue ? (issue.params as { reason?: string; maximum?: number } | undefined) : undefined;
  const bound = (name: 'minimum' | 'maximum') => {
    const v = params?.[name as 'maximum'] ?? (name in issue ? (issue as unknown as Record<string, unknown>)[name] : undefined);
    return typeof v === 'number' || typeof v === 'bigint' ? { [name]: Number(v) } : {};
  };
  return {
    path: issue.path.join('.'),
    message: issue.message,
    reason: params?.reason ?? issue.code,
    ...bound('minimum'),
    ...bound('maximum'),
    ...('origin' in issue && typeof issue.origin === 'string' ? { origin: issue.origin } : {}),
  };
}

/**
 * A router with the shared validation hook, so invalid input of any route becomes problem+json 400,
 * and the platform's route conventions (route-conventions.ts) applied to every `openapi()` route.
 */
export function createRouter() {
  const router = new OpenAPIHono<AppEnv>({
    defaultHook: (result, c) => {
      if (!result.success) {
        const errors = result.error.issues.slice(0, 20).map(fieldError);
        const detail = errors.map((e) => (e.path ? `${e.path}: ${e.message}` : e.message)).join('; ');
        return problem(c, 'VALIDATION_FAILED', `Invalid ${result.target}: ${detail}`, { errors });
      }
      return undefined;
    },
  });
  const declare = router.openapi;
  router.openapi = ((route, handler, hook) => declare(withRouteConventions(route), takesIdempotencyKey(route) ? keepingLateAnswer(handler) : handler, hook)) as typeof router.openapi;
  return router;
}

export interface HttpAppOptions {
  log: Logger;
  metrics: Metrics;
  bodyLimitBytes: number;
  corsOrigins: string[];
  /** Longest an /api request may take before it is answered 503 (a dependency that hangs); 0 = none. */
  requestDeadlineMs?: number;
  /** The same for /api/v1/admin/* (bulk work). */
  adminRequestDeadlineMs?: number;
  /**
   * Routes with a deadline of their own (method and exact path): work that is cheap, idempotent and
   * better answered late than refused, such as a waiting-room join in a spike; ms 0 = none (a route
   * that bounds each of its dependency steps itself, such as the waiting room's poll).
   */
  routeDeadlines?: Array<{ method: string; path: string; ms: number }>;
  /** Origins the web pages may also connect to: the card payment provider's (the checkout confirms there). */
  webConnectOrigins?: string[];
}

/** Seconds a client should wait before retrying a request refused because a dependency is down. */
export const DEPENDENCY_RETRY_AFTER_SECONDS = 2;

/** The root app: cross-cutting middleware and error rendering; capabilities mount routers on it. */
export function createHttpApp(opts: HttpAppOptions) {
  const app = createRouter();
  const duration = opts.metrics.histogram(
    'http_request_duration_seconds',
    'HTTP request duration by method, route template and status',
    ['method', 'route', 'status'],
    latencyBuckets,
  );

  app.use('*', requestId({ headerName: 'X-Request-Id', limitLength: 64 }));
  app.use('*', async (c, next) => {
    const started = performance.now();
    // Built on first use: most requests never log, and a pino child costs its bindings' serialisation.
    c.set('log', lazyChild(opts.log, { requestId: c.get('requestId') }));
    await next();
    // The matched route template (not the raw path) keeps the label set small.
    const routePath = c.req.routePath;
    const route = routePath && routePath !== '/*' ? routePath : 'unmatched';
    const status = c.res.status;
    const seconds = (performance.now() - started) / 1000;
    duration.observe({ method: c.req.method, route, status: String(status) }, seconds);
    if (status >= 500) c.get('log').error({ method: c.req.method, path: c.req.path, status }, 'request failed');
    else if (opts.log.isLevelEnabled('debug')) c.get('log').debug({ method: c.req.method, path: c.req.path, status, ms: Math.round(seconds * 1000) }, 'request');
  });
  // A Content-Security-Policy on every answer: the API serves no documents, so nothing may load
  // (default-src 'none'); Swagger UI (/docs, assets from the npm package) may load only from here.
  const apiHeaders = secureHeaders({ crossOriginResourcePolicy: 'cross-origin', contentSecurityPolicy: apiCsp });
  const docsHeaders = secureHeaders({ crossOriginResourcePolicy: 'same-origin', contentSecurityPolicy: docsCsp });
  const webHeaders = secureHeaders({ crossOriginResourcePolicy: 'same-origin', contentSecurityPolicy: { ...webCsp, connectSrc: ["'self'", ...(opts.webConnectOrigins ?? [])] } });
  app.use('*', (c, next) => (c.req.path === '/docs' || c.req.path.startsWith('/docs/') ? docsHeaders(c, next) : isWebPage(c.req.path) ? webHeaders(c, next) : apiHeaders(c, next)));
  const apiCors = corsMiddleware({ origins: opts.corsOrigins, allowHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key', 'X-Queue-Token', 'X-Request-Id'], exposeHeaders: ['X-Request-Id', 'Retry-After'], maxAge: 600 });
  // The Temporal codec endpoint (/codec/*) has its own CORS policy: only the Temporal UI origins.
  app.use('*', (c, next) => (c.req.path.startsWith('/codec/') ? next() : apiCors(c, next)));
  app.use('/api/*', bodyLimitMiddleware(opts.bodyLimitBytes, (c) => problem(c, 'PAYLOAD_TOO_LARGE', `Request body exceeds ${opts.bodyLimitBytes} bytes`)));

  // Buyers get an answer within the deadline whatever hangs. The organiser's routes do bulk work
  // (a 100,000-seat concert takes seconds of inserts), so they get a longer deadline of their own.
  if (opts.requestDeadlineMs || opts.adminRequestDeadlineMs) {
    const buyer = opts.requestDeadlineMs ? deadlineMiddleware(opts.requestDeadlineMs) : undefined;
    const admin = opts.adminRequestDeadlineMs ? deadlineMiddleware(opts.adminRequestDeadlineMs) : undefined;
    const own = (opts.routeDeadlines ?? []).map((r) => ({ ...r, deadline: r.ms ? deadlineMiddleware(r.ms) : undefined }));
    app.use('/api/*', (c, next) => {
      const route = own.find((r) => r.method === c.req.method && r.path === c.req.path);
      const deadline = route ? route.deadline : ADMIN_PATH.test(c.req.path) ? admin : buyer;
      return deadline ? deadline(c, next) : next();
    });
  }

  const allowedMethods = allowedMethodsOf(app);
  // A known path asked with a method it does not serve is 405 with Allow (RFC 9110 section 15.5.6).
  const noRoute = (c: Context<AppEnv>) => {
    const allow = allowedMethods(c.req.path);
    if (allow.length === 0 || allow.includes(c.req.method)) return problem(c, 'NOT_FOUND', `No route for ${c.req.method} ${c.req.path}`);
    const res = problem(c, 'METHOD_NOT_ALLOWED', `${c.req.method} is not allowed on ${c.req.path}; allowed: ${allow.join(', ')}`);
    res.headers.set('Allow', allow.join(', '));
    return res;
  };
  app.notFound(noRoute);
  // Methods no route uses (TRACE, CONNECT, WebDAV's) are answered before any other middleware, so
  // authentication on a path does not turn them into 401s; the common methods cost nothing here.
  app.use('*', (c, next) => (ROUTED_METHODS.has(c.req.method) ? next() : Promise.resolve(noRoute(c))));
  app.onError((err, c) => {
    if (err instanceof DomainError) return problemFromError(c, err);
    if (err instanceof HTTPException) {
      if (err.status === 401) return problem(c, 'UNAUTHENTICATED', err.message || 'Authentication required');
      if (err.status === 400) return problem(c, 'VALIDATION_FAILED', err.message || 'Malformed request');
      if (err.status === 413) return problem(c, 'PAYLOAD_TOO_LARGE', err.message);
      // zod-openapi refuses a body that is not application/json (or a JSON route given a body without a type).
      if (err.status === 415) return problem(c, 'UNSUPPORTED_MEDIA_TYPE', 'Send the body as application/json');
    }
    if (err instanceof SyntaxError) return problem(c, 'VALIDATION_FAILED', 'Malformed JSON body');
    // A dependency that is down or restarting is not a bug: 503 + Retry-After, never 500.
    if (isDependencyUnavailable(err)) {
      (c.get('log') ?? opts.log).warn({ err: String(err) }, 'dependency unavailable');
      return dependencyUnavailable(c);
    }
    // Never leak internals: the log has the stack, the client gets the request id to quote.
    (c.get('log') ?? opts.log).error({ err }, 'unhandled error');
    return problem(c, 'INTERNAL', 'An unexpected error occurred. Quote the request id when reporting it.');
  });
  return app;
}

export type HttpApp = ReturnType<typeof createHttpApp>;

/** Marks the answer personal: no browser or shared cache may keep it (tokens, profiles, wallets). */
export const noStore: MiddlewareHandler = async (c, next) => {
  await next();
  c.res.headers.set('Cache-Control', 'no-store');
};

const apiCsp = { defaultSrc: ["'none'"], frameAncestors: ["'none'"], baseUri: ["'none'"], formAction: ["'none'"] };
// The web app (src/web): its pages load only their own script, style and API, from this origin.
const webCsp = {
  defaultSrc: ["'none'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", 'data:'],
  connectSrc: ["'self'"],
  frameAncestors: ["'none'"],
  baseUri: ["'none'"],
  formAction: ["'self'"],
};
const WEB_PAGE_PREFIXES = ['/checkout/', '/web/', '/concerts/', '/schedules/', '/me/', '/admin/', '/login', '/signup', '/door/'];
const isWebPage = (path: string) => path === '/' || WEB_PAGE_PREFIXES.some((p) => path.startsWith(p));
// Swagger UI (/docs): the web app's policy plus its own fonts. data: images are the icons inside
// swagger-ui.css itself; 'unsafe-inline' is not needed (React sets its styles through the CSSOM,
// which style-src does not govern).
const docsCsp = { ...webCsp, fontSrc: ["'self'"] };

const ADMIN_PATH = /^\/api\/v\d+\/admin\//;
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
const ROUTED_METHODS = new Set<string>([...METHODS, 'HEAD', 'OPTIONS']);

/**
 * The methods some route answers for a path, from the app's own route table with Hono's own
 * pattern matching (middleware, registered for ALL methods, does not count). Built on first use
 * and again whenever routes were added since. HEAD is allowed wherever GET is (Hono answers it).
 */
function allowedMethodsOf(app: { routes: Array<{ method: string; path: string }> }) {
  let router = new PatternRouter<string>();
  let size = -1;
  return (path: string): string[] => {
    if (size !== app.routes.length) {
      router = new PatternRouter<string>();
      for (const r of app.routes) if (r.method !== 'ALL') router.add(r.method, r.path, r.method);
      size = app.routes.length;
    }
    const allowed: string[] = METHODS.filter((m) => router.match(m, path)[0].length > 0);
    return allowed.includes('GET') ? ['GET', 'HEAD', ...allowed.slice(1)] : allowed;
  };
}

const dependencyUnavailable = (c: Context) => {
  const res = problem(c, 'SERVICE_UNAVAILABLE', 'A service this request needs is not answering; retry shortly');
  res.headers.set('Retry-After', String(DEPENDENCY_RETRY_AFTER_SECONDS));
  return res;
};

/**
 * Answers 503 once a request has run `ms` without an answer: a database that hangs (SIGSTOP, a full
 * disk, a network partition) has no error to report, and mysql2 has no query timeout of its own.
 * The handler keeps running in the background; every write it makes is idempotent or guarded
 * (Idempotency-Key, optimistic locks), so the client can retry. A keyed request's late answer is
 * stored under its key (idempotency.ts), so the retry hears what was decided, not a second attempt's
 * refusal (ALREADY_PAID). Event streams
 * answer at once with a streaming body, so the deadline does not cut them. A long poll (a GET with
 * `?wait=<seconds>`, at most 30) waits on purpose: its deadline starts after the wait it asked for.
 * A handler past its point of no return (answerWhateverTheDeadline) is not cut: see there.
 */
function deadlineMiddleware(ms: number): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    let timer: NodeJS.Timeout | undefined;
    const wait = c.req.method === 'GET' ? Number(c.req.query('wait') ?? 0) : 0;
    const waitMs = Number.isInteger(wait) && wait > 0 && wait <= 30 ? wait * 1000 : 0;
    const expired = new Promise<'expired'>((resolve) => {
      timer = setTimeout(() => resolve('expired'), ms + waitMs);
    });
    const handled = next().then(() => 'handled' as const);
    // The dropped handler's late failure must not become an unhandled rejection.
    handled.catch(() => undefined);
    try {
      let first = await Promise.race([handled, expired]);
      if (first === 'expired' && c.get('committed')) {
        // Past its point of no return: answer what was done. The second deadline is the hang guard.
        clearTimeout(timer);
        const hung = new Promise<'expired'>((resolve) => {
          timer = setTimeout(() => resolve('expired'), ms);
        });
        first = await Promise.race([handled, hung]);
      }
      if (first === 'expired') {
        (c.get('log') ?? undefined)?.warn({ method: c.req.method, path: c.req.path, ms, committed: c.get('committed') ?? false }, 'request deadline exceeded');
        c.set('answeredAtDeadline', true);
        return dependencyUnavailable(c);
      }
    } finally {
      clearTimeout(timer);
    }
    return undefined;
  };
}

/**
 * Marks the request as past its point of no return: the handler has started a change it must report
 * (a waiting-room join's Redis step creates a place). From here the request deadline no longer answers
 * 503: a refusal after the change was made would tell the client "no" about a "yes". On a busy process
 * the answer comes late but true; only a dependency that has not answered for a whole second deadline
 * (a hang, not a slow process) still ends in 503, and the change is idempotent for the retry.
 */
export const answerWhateverTheDeadline = (c: Context<AppEnv>) => c.set('committed', true);

/**
 * hono's cors() for preflights (OPTIONS); for every other request the same headers, set on the final
 * response after the handler. hono's cors() sets them on `c.res` before the handler runs, and that
 * early response makes Hono rebuild the handler's response as a streamed WHATWG `Response` (and
 * again for its Vary header), which @hono/node-server then writes through a stream reader: that was
 * most of the cost of a small JSON answer.
 */
function corsMiddleware(o: { origins: string[]; allowHeaders: string[]; exposeHeaders: string[]; maxAge: number }): MiddlewareHandler<AppEnv> {
  const preflight = cors({ origin: o.origins, allowHeaders: o.allowHeaders, exposeHeaders: o.exposeHeaders, maxAge: o.maxAge });
  const expose = o.exposeHeaders.join(',');
  return async (c, next) => {
    if (c.req.method === 'OPTIONS') return preflight(c, next);
    const origin = c.req.header('origin') ?? '';
    await next();
    const headers = c.res.headers;
    // The early response also made Hono copy the headers set before the handler (X-Request-Id)
    // into a bare `new Response()` returned by a handler; c.json() and friends include them anyway.
    if (!headers.has('X-Request-Id')) headers.set('X-Request-Id', c.get('requestId'));
    if (origin && o.origins.includes(origin)) headers.set('Access-Control-Allow-Origin', origin);
    headers.set('Access-Control-Expose-Headers', expose);
    headers.append('Vary', 'Origin');
  };
}

/**
 * hono's bodyLimit(), minus its cost on requests that cannot have a body. Asking a request for its
 * body stream (as bodyLimit does first) turns @hono/node-server's lightweight request into a full
 * WHATWG Request, and a JSON body is then read through web streams instead of straight from the
 * socket. GET and HEAD have no body (bodyLimit lets them through), and a declared Content-Length is
 * checked from the header, exactly as bodyLimit does; chunked bodies still go through bodyLimit.
 */
function bodyLimitMiddleware(maxSize: number, onError: (c: Context<AppEnv>) => Response): MiddlewareHandler<AppEnv> {
  const limit = bodyLimit({ maxSize, onError });
  return async (c, next) => {
    const method = c.req.method;
    if (method === 'GET' || method === 'HEAD') return next();
    const length = c.req.header('content-length');
    if (length !== undefined && c.req.header('transfer-encoding') === undefined) return parseInt(length || '0', 10) > maxSize ? onError(c) : next();
    return limit(c, next);
  };
}
