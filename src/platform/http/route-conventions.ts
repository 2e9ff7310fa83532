import type { RouteConfig } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { DomainError } from '../../shared/errors.js';
import { problemResponse } from './openapi.js';

/**
 * What every route declaration gets from the platform, so no route can forget it: the answers the
 * shared middleware may give are in the document (Idempotency-Key conflicts, a missing or non-JSON
 * body), and a route that requires a JSON body refuses a request without one. createRouter applies
 * it to each `openapi()` declaration.
 */
export function withRouteConventions<R extends RouteConfig>(route: R): R {
  let responses = route.responses;
  let middleware = route.middleware;
  // The shared validation hook (app.ts) answers any invalid parameter, header or body this way.
  if (takesInput(route)) responses = withProblem(responses, 400, 'VALIDATION_FAILED: a parameter, header or the body is not of the documented shape');
  if (takesIdempotencyKey(route)) {
    responses = withProblem(responses, 409, IDEMPOTENCY_RESPONSES[409]);
    responses = withProblem(responses, 422, IDEMPOTENCY_RESPONSES[422]);
  }
  if (requiresJsonBody(route)) {
    responses = withProblem(responses, 415, 'UNSUPPORTED_MEDIA_TYPE: the body is not sent as application/json');
    middleware = [requireBody, ...(middleware === undefined ? [] : Array.isArray(middleware) ? middleware : [middleware])];
  }
  return { ...route, responses, middleware };
}

/** The refusals of IdempotencyStore (idempotency.ts), documented on every route that takes the key. */
export const IDEMPOTENCY_RESPONSES = {
  409: 'IDEMPOTENCY_IN_PROGRESS: a request with this Idempotency-Key is still being processed; retry shortly (same key, same body)',
  422: 'IDEMPOTENCY_KEY_REUSED: this Idempotency-Key was already used with a different request',
} as const;

const takesInput = (route: RouteConfig) => ['params', 'query', 'headers', 'body', 'cookies'].some((part) => route.request?.[part as keyof NonNullable<RouteConfig['request']>] !== undefined);

export const takesIdempotencyKey = (route: RouteConfig) => headerNames(route).includes('idempotency-key');

const requiresJsonBody = (route: RouteConfig) => route.request?.body?.required === true && 'application/json' in (route.request.body.content ?? {});

/** The header parameters a route declares (as a z.object, the way every route here declares them). */
function headerNames(route: RouteConfig): string[] {
  const shape = (route.request?.headers as { shape?: Record<string, unknown> } | undefined)?.shape ?? {};
  return Object.keys(shape).map((k) => k.toLowerCase());
}

/**
 * Adds a problem answer for `status`, or, when the route documents that status already (its own
 * 409 SEAT_UNAVAILABLE, say), adds `note` to that answer's description: one status, one answer.
 */
function withProblem(responses: RouteConfig['responses'], status: number, note: string): RouteConfig['responses'] {
  const own = responses[status] as { description?: string } | undefined;
  if (!own) return { ...responses, [status]: problemResponse(note) };
  if (!own.description || own.description.includes(note.split(':')[0]!)) return responses;
  if (own.description === `Problem (${status})`) return { ...responses, [status]: { ...own, description: note } }; // problems()'s placeholder
  return { ...responses, [status]: { ...own, description: `${own.description}; or ${note}` } };
}

/**
 * zod-openapi lets a request with neither a body nor a Content-Type through to the JSON schema as
 * `{}`, so a route whose fields are all optional (PUT .../queue) would take "no body" as a no-op
 * change. A required body is required: no Content-Type and no bytes is a 400. (A body of another
 * type gets zod-openapi's 415 before the schema.)
 */
const requireBody: MiddlewareHandler = async (c, next) => {
  const hasBody = c.req.header('transfer-encoding') !== undefined || Number(c.req.header('content-length') ?? '0') > 0;
  if (c.req.header('content-type') === undefined && !hasBody) throw new DomainError('VALIDATION_FAILED', 'This request needs a JSON body (Content-Type: application/json)');
  await next();
};
