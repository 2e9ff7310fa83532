import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { DomainError} from '../../shared/errors.js';
import { type ErrorCode } from '../../shared/errors.js';

/** HTTP status per business error code: the only place that knows both sides. */
const statusByCode: Record<ErrorCode, ContentfulStatusCode> = {
  VALIDATION_FAILED: 400,
  UNAUTHENTICATED: 401,
  TOKEN_EXPIRED: 401,
  INVALID_CREDENTIALS: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  EMAIL_TAKEN: 409,
  ACCOUNT_LOCKED: 423,
  SEAT_UNAVAILABLE: 409,
  TOO_MANY_SEATS: 400,
  TICKET_LIMIT: 409,
  SOLD_OUT: 409,
  NO_SEATS_TOGETHER: 409,
  NOT_DECLINABLE: 409,
  SALE_NOT_OPEN: 409,
  SALE_PAUSED: 409,
  PERFORMANCE_CANCELLED: 409,
  RESERVATION_EXPIRED: 409,
  RESERVATION_NOT_PAYABLE: 409,
  ALREADY_PAID: 409,
  NOT_CANCELLABLE: 409,
  CANCELLATION_CLOSED: 409,
  INSUFFICIENT_BALANCE: 402,
  BALANCE_LIMIT_EXCEEDED: 409, // like a debit below zero: the request is fine, the stored balance is in the way
  ALREADY_USED: 409,
  TICKET_ADMITTED: 409,
  TICKET_REFUNDED: 409,
  TICKET_CANCELLED: 409,
  // Ticket codes (docs/tickets.md "Rotating codes"): genuine, but not admitting now.
  CODE_EXPIRED: 409,
  CODE_NOT_YET_VALID: 409,
  CODE_REISSUED: 409,
  GATES_NOT_OPEN: 409,
  TICKET_TRANSFERRED: 409,
  TRANSFER_PENDING: 409,
  TRANSFER_CLOSED: 409,
  TRANSFER_WINDOW_CLOSED: 409,
  TRANSFER_TO_SELF: 422,
  IDEMPOTENCY_KEY_REUSED: 422,
  IDEMPOTENCY_IN_PROGRESS: 409,
  SEATS_AVAILABLE: 409,
  ALREADY_ON_WAITLIST: 409,
  WAITLIST_CLOSED: 409,
  // Organisers' webhooks (docs/webhooks.md): a URL we will not call, an event type not in the catalog
  // (or not about a concert), a replay to an endpoint that is switched off.
  WEBHOOK_URL_REFUSED: 400,
  WEBHOOK_EVENT_TYPE_UNKNOWN: 400,
  WEBHOOK_ENDPOINT_DISABLED: 409,
  QUEUE_TOKEN_REQUIRED: 403, // not 401: clients read 401 as "refresh my login", and the login is fine
  QUEUE_TOKEN_INVALID: 403,
  QUEUE_NOT_ACTIVE: 403,
  RATE_LIMITED: 429,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  SERVICE_UNAVAILABLE: 503,
  INTERNAL: 500,
};

export const statusOf = (code: ErrorCode) => statusByCode[code];

/** Every code a problem can carry (clients keep a sentence per code: test/unit/web-problem-messages.test.ts). */
export const errorCodes = Object.keys(statusByCode) as ErrorCode[];

export interface Problem {
  type: string;
  title: string;
  status: number;
  code: ErrorCode;
  detail: string;
  instance?: string;
  requestId?: string;
  [extra: string]: unknown;
}

const titleOf = (code: ErrorCode) =>
  code
    .toLowerCase()
    .split('_')
    .map((w, i) => (i === 0 ? w[0]!.toUpperCase() + w.slice(1) : w))
    .join(' ');

export function problemBody(code: ErrorCode, detail: string, extra: Record<string, unknown> = {}): Problem {
  return { type: `https://errors.concert-booking.dev/${code.toLowerCase().replaceAll('_', '-')}`, title: titleOf(code), status: statusOf(code), code, detail, ...extra };
}

/** Renders an RFC 9457 problem document. */
export function problem(c: Context, code: ErrorCode, detail: string, extra: Record<string, unknown> = {}): Response {
  const body = problemBody(code, detail, { instance: c.req.path, requestId: c.get('requestId' as never), ...extra });
  return c.newResponse(JSON.stringify(body), statusOf(code), { 'content-type': 'application/problem+json' });
}

export function problemFromError(c: Context, err: DomainError): Response {
  const res = problem(c, err.code, err.message, err.details ?? {});
  // 429 (rate limit) and 423 (lockout) tell clients when to come back (RFC 9110 Retry-After).
  const retry = err.details?.retryAfterSeconds;
  if (typeof retry === 'number' && Number.isFinite(retry)) res.headers.set('Retry-After', String(Math.max(1, Math.ceil(retry))));
  // Every 503 says when to come back (as http/app.ts does for a dependency that is down).
  else if (err.code === 'SERVICE_UNAVAILABLE') res.headers.set('Retry-After', '2');
  return res;
}
