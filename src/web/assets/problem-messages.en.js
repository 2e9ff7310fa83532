// @ts-check
// What the pages say, in English, for each problem the API can answer (its `code`,
// src/shared/errors.ts), and for each reason a field can be refused for (`errors[].reason` of a
// VALIDATION_FAILED). The API's own `detail` is English for developers and is never shown.
// Its Korean twin is problem-messages.ko.js; test/unit/web-problem-messages.test.ts fails
// when a code or reason lacks a sentence in either. app.js loads the page's language only, at its
// own version (no DOM here, so the unit test imports it).

/** @typedef {import('./api').Schemas['Problem']['code']} ProblemCode */
/**
 * Why a field was refused: the bound broken and the kind of value, where there is one.
 * @typedef {{ reason?: string, minimum?: number, maximum?: number, origin?: string }} FieldError
 */

/** @type {Record<ProblemCode | 'default', string>} */
export const problemMessages = {
  VALIDATION_FAILED: 'Please check what you entered.',
  UNAUTHENTICATED: 'Please log in.',
  TOKEN_EXPIRED: 'Your session expired; please log in again.',
  FORBIDDEN: 'Not allowed.',
  NOT_FOUND: 'Not found.',
  METHOD_NOT_ALLOWED: 'That cannot be done here.',
  CONFLICT: 'That cannot be done as things stand. Reload and try again.',
  EMAIL_TAKEN: 'That email already has an account.',
  INVALID_CREDENTIALS: 'Wrong email or password.',
  ACCOUNT_LOCKED: 'Too many attempts; try again later.',
  SEAT_UNAVAILABLE: 'Someone else already has that seat. Please pick another.',
  TOO_MANY_SEATS: 'Too many seats in one reservation.',
  TICKET_LIMIT: 'That is more tickets than one buyer may have for this performance.',
  SOLD_OUT: 'Not that many seats are left.',
  NO_SEATS_TOGETHER: 'No run of that many seats together.',
  NOT_DECLINABLE: 'These seats cannot be swapped again.',
  SALE_NOT_OPEN: 'This performance is not on sale now.',
  SALE_PAUSED: 'The sale is paused for now. Please try again when it resumes.',
  PERFORMANCE_CANCELLED: 'This performance is cancelled. Purchases are refunded automatically.',
  RESERVATION_EXPIRED: 'The hold expired, so it cannot be paid. Please choose seats again.',
  RESERVATION_NOT_PAYABLE: 'This reservation cannot be paid.',
  ALREADY_PAID: 'This reservation is already paid.',
  NOT_CANCELLABLE: 'This reservation cannot be cancelled.',
  CANCELLATION_CLOSED: 'The cancellation deadline has passed.',
  INSUFFICIENT_BALANCE: 'Your wallet balance is too low. Top up, then pay again.',
  BALANCE_LIMIT_EXCEEDED: 'That would exceed the wallet limit.',
  ALREADY_USED: 'This ticket was already used to get in.',
  TICKET_REFUNDED: 'This ticket was refunded and is void.',
  TICKET_TRANSFERRED: 'A ticket of this purchase now belongs to someone else, so it can no longer be cancelled.',
  TRANSFER_PENDING: 'This ticket already has an open transfer offer. Withdraw it first.',
  TRANSFER_CLOSED: 'This transfer offer is no longer open.',
  TRANSFER_WINDOW_CLOSED: 'Transfers for this performance are closed.',
  TRANSFER_TO_SELF: 'You cannot transfer a ticket to yourself.',
  TICKET_CANCELLED: 'This ticket is void: the performance was cancelled.',
  CODE_EXPIRED: 'This code has expired: it changes every 15 seconds. Show the live ticket page, not a screenshot.',
  CODE_NOT_YET_VALID: 'This code is not valid yet: check the clock of the phone that shows it.',
  CODE_REISSUED: 'This code was replaced by a newer one (the ticket was transferred or reissued).',
  GATES_NOT_OPEN: 'The printed ticket is valid only once the gates open. Show the live ticket page until then.',
  TICKET_ADMITTED: 'A ticket of this purchase was already used to get in, so it cannot be refunded.',
  IDEMPOTENCY_KEY_REUSED: 'The same request was sent again with different content. Reload and try again.',
  IDEMPOTENCY_IN_PROGRESS: 'The same request is still being handled. Check again in a moment.',
  SEATS_AVAILABLE: 'Seats are free right now: hold them instead of waiting.',
  ALREADY_ON_WAITLIST: 'You are already on this performance\'s waiting list.',
  WAITLIST_CLOSED: 'The waiting list for this performance is closed.',
  WEBHOOK_URL_REFUSED: 'This webhook address cannot be used: it must be https (http only for this computer while developing).',
  WEBHOOK_EVENT_TYPE_UNKNOWN: 'One of the chosen event types does not exist or is not about a concert.',
  WEBHOOK_ENDPOINT_DISABLED: 'This webhook endpoint is switched off; enable it first.',
  QUEUE_TOKEN_REQUIRED: 'Please go through the waiting room first.',
  QUEUE_TOKEN_INVALID: 'Your waiting-room pass is not valid; please join again.',
  QUEUE_NOT_ACTIVE: 'It is not your turn yet.',
  RATE_LIMITED: 'Too many requests; try again shortly.',
  PAYLOAD_TOO_LARGE: 'That is too much to send at once. Please send less.',
  UNSUPPORTED_MEDIA_TYPE: 'That kind of request cannot be taken.',
  SERVICE_UNAVAILABLE: 'Temporarily unavailable; try again shortly.',
  INTERNAL: 'Something went wrong on our side. Please try again shortly.',
  default: 'The request failed.',
};

/**
 * Why a field was refused (`errors[].reason`): the API's own rules (src/shared/validation-reasons.ts)
 * and the schema checks (zod's issue codes).
 * @type {Record<string, (e: FieldError) => string>}
 */
export const validationMessages = {
  STARTS_IN_PAST: () => 'The performance must start in the future.',
  SALE_CLOSES_IN_PAST: () => 'The sale must close in the future.',
  SALE_OPENS_AFTER_CLOSE: () => 'The sale must open before it closes.',
  SALE_CLOSES_AFTER_START: () => 'The sale cannot close after the performance starts.',
  SECTION_NAMES_NOT_UNIQUE: () => 'Each section needs its own name.',
  TOO_MANY_SEATS_PER_SCHEDULE: (e) => `A performance has at most ${e.maximum?.toLocaleString('en')} seats.`,
  TOO_MANY_SEATS_PER_REQUEST: (e) => `At most ${e.maximum?.toLocaleString('en')} seats (performances × seats) at once; add performances later.`,
  NOTHING_TO_CHANGE: () => 'Change at least one field.',
  too_small: (e) => (e.origin === 'string' && (e.minimum ?? 1) <= 1 ? 'Please fill this in.' : e.origin === 'array' ? `At least ${e.minimum} needed.` : `Must be at least ${e.minimum}.`),
  too_big: (e) => (e.origin === 'string' ? `At most ${e.maximum} characters.` : e.origin === 'array' ? `At most ${e.maximum}.` : `Must be at most ${e.maximum?.toLocaleString('en')}.`),
  invalid_type: () => 'Please fill this in.',
  invalid_format: () => 'Not in the right format.',
  invalid_value: () => 'Not one of the allowed values.',
  unrecognized_keys: () => 'Something unexpected was sent.',
  default: () => 'Please check this value.',
};
