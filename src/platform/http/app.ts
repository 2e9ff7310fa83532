import { OpenAPIHono } from '@hono/zod-openapi';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import { HTTPException } from 'hono/http-exception';
import { requestId } from 'hono/request-id';
import { secureHeaders } from 'hono/secure-headers';
import type { Logger } from '../observability/logger.js';
import { latencyBuckets, type Metrics } from '../observability/metrics.js';
import { DomainError } from '../../shared/errors.js';
import { problem, problemFromError } from './problem.js';

export interface AuthUser {
  id: number;
  role: 'USER' | 'ADMIN';
  /** When the access token stops being valid (epoch seconds): long-lived streams end then. */
  tokenExpiresAt?: number;
}

export interface AppEnv {
  Variables: {
    requestId: string;
    log: Logger;
    user: AuthUser;
  };
}

/** A router with the shared validation hook, so invalid input of any route becomes problem+json 400. */
export function createRouter() {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result, c) => {
      if (!result.success) {
        const errors = result.error.issues.slice(0, 20).map((i) => ({ path: i.path.join('.'), message: i.message }));
        const detail = errors.map((e) => (e.path ? `${e.path}: ${e.message}` : e.message)).join('; ');
        return problem(c, 'VALIDATION_FAILED', `Invalid ${result.target}: ${detail}`, { errors });
      }
      return undefined;
    },
  });
}

export interface HttpAppOptions {
  log: Logger;
  metrics: Metrics;
  bodyLimitBytes: number;
  corsOrigins: string[];
}

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
    c.set('log', opts.log.child({ requestId: c.get('requestId') }));
    await next();
    // The matched route template (not the raw path) keeps the label set small.
    const route = c.req.routePath && c.req.routePath !== '/*' ? c.req.routePath : 'unmatched';
    const seconds = (performance.now() - started) / 1000;
    duration.observe({ method: c.req.method, route, status: String(c.res.status) }, seconds);
    if (c.res.status >= 500) c.get('log').error({ method: c.req.method, path: c.req.path, status: c.res.status }, 'request failed');
    else c.get('log').debug({ method: c.req.method, path: c.req.path, status: c.res.status, ms: Math.round(seconds * 1000) }, 'request');
  });
  app.use('*', secureHeaders({ crossOriginResourcePolicy: 'cross-origin', contentSecurityPolicy: undefined }));
  const apiCors = cors({ origin: opts.corsOrigins, allowHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key', 'X-Queue-Token', 'X-Request-Id'], exposeHeaders: ['X-Request-Id', 'Retry-After'], maxAge: 600 });
  // The Temporal codec endpoint (/codec/*) has its own CORS policy: only the Temporal UI origins.
  app.use('*', (c, next) => (c.req.path.startsWith('/codec/') ? next() : apiCors(c, next)));
  app.use(
    '/api/*',
    bodyLimit({
      maxSize: opts.bodyLimitBytes,
      onError: (c) => problem(c, 'PAYLOAD_TOO_LARGE', `Request body exceeds ${opts.bodyLimitBytes} bytes`),
    }),
  );

  app.notFound((c) => problem(c, 'NOT_FOUND', `No route for ${c.req.method} ${c.req.path}`));
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
    // Never leak internals: the log has the stack, the client gets the request id to quote.
    (c.get('log') ?? opts.log).error({ err }, 'unhandled error');
    return problem(c, 'INTERNAL', 'An unexpected error occurred. Quote the request id when reporting it.');
  });
  return app;
}

export type HttpApp = ReturnType<typeof createHttpApp>;
