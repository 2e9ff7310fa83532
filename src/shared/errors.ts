/**
 * Business failures carry a stable machine-readable code; the HTTP layer maps codes to statuses and
 * renders problem+json. Pure: no framework imports, so the domain can throw these.
 */
export type ErrorCode =
  | 'VALIDATION_FAILED'
  | 'UNAUTHENTICATED'
  | 'TOKEN_EXPIRED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'METHOD_NOT_ALLOWED'
  | 'CONFLICT'
  | 'EMAIL_TAKEN'
  | 'INVALID_CREDENTIALS'
  | 'ACCOUNT_LOCKED'
  | 'SEAT_UNAVAILABLE'
  | 'TOO_MANY_SEATS'
  | 'TICKET_LIMIT'
  | 'SOLD_OUT'
  | 'NO_SEATS_TOGETHER'
  | 'NOT_DECLINABLE'
  | 'SALE_NOT_OPEN'
  | 'SALE_PAUSED'
  | 'PERFORMANCE_CANCELLED'
  | 'RESERVATION_EXPIRED'
  | 'RESERVATION_NOT_PAYABLE'
  | 'ALREADY_PAID'
  | 'NOT_CANCELLABLE'
  | 'CANCELLATION_CLOSED'
  | 'INSUFFICIENT_BALANCE'
  | 'BALANCE_LIMIT_EXCEEDED'
  | 'ALREADY_USED'
  | 'TICKET_REFUNDED'
  | 'TICKET_CANCELLED'
  | 'TICKET_ADMITTED'
  | 'CODE_EXPIRED'
  | 'CODE_NOT_YET_VALID'
  | 'CODE_REISSUED'
  | 'GATES_NOT_OPEN'
  | 'TICKET_TRANSFERRED'
  | 'TRANSFER_PENDING'
  | 'TRANSFER_CLOSED'
  | 'TRANSFER_WINDOW_CLOSED'
  | 'TRANSFER_TO_SELF'
  | 'IDEMPOTENCY_KEY_REUSED'
  | 'IDEMPOTENCY_IN_PROGRESS'
  | 'SEATS_AVAILABLE'
  | 'ALREADY_ON_WAITLIST'
  | 'WAITLIST_CLOSED'
  | 'WEBHOOK_URL_REFUSED'
  | 'WEBHOOK_EVENT_TYPE_UNKNOWN'
  | 'WEBHOOK_ENDPOINT_DISABLED'
  | 'QUEUE_TOKEN_REQUIRED'
  | 'QUEUE_TOKEN_INVALID'
  | 'QUEUE_NOT_ACTIVE'
  | 'RATE_LIMITED'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'SERVICE_UNAVAILABLE'
  | 'INTERNAL';

export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const notFound = (what: string) => new DomainError('NOT_FOUND', `${what} not found`);
