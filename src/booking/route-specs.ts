import { createRoute, z } from '@hono/zod-openapi';
import { RESERVATION_ID_PATTERN } from '../../workflows/booking/reservation-contract.js';
import { bearerSecurity, IdempotencyKeyHeader, json, jsonBody, PageQuery, problems } from '../platform/http/openapi.js';
import { HeldReservation, Reservation, ReservationSummary } from './representation.js';

/**
 * The reservation routes' definitions for the OpenAPI document: paths, request and response
 * schemas, and the long descriptions. No behaviour: src/booking/route-handlers.ts answers them and
 * src/booking/routes.ts wires the two with auth, idempotency and rate limits.
 */

/**
 * Two shapes, exactly one per request: `seatIds` (pick your seats) or `quantity` (best available:
 * the system picks; `tier`, `sections` and `together` narrow it). The document states the cap in
 * force (MAX_SEATS_PER_RESERVATION) as maxItems / maximum; a schedule may set a lower one, and both
 * answer 400 TOO_MANY_SEATS. 20, the setting's ceiling, bounds the parse.
 */
export const holdBody = (maxSeats: number) =>
  z
    .object({
      // Ids fit a double exactly; the document says so (maximum), as it does for path ids.
      scheduleId: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
      seatIds: z
        .array(z.number().int().positive().max(Number.MAX_SAFE_INTEGER))
        .min(1)
        .max(20)
        .optional()
        .openapi({ maxItems: maxSeats, description: `Pick your seats: distinct seats of the schedule, at most ${maxSeats} (or the schedule's lower cap): more get 400 TOO_MANY_SEATS` }),
      quantity: z
        .number()
        .int()
        .min(1)
        .max(20)
        .optional()
        .openapi({ maximum: maxSeats, description: 'Best available: how many seats the system should pick (instead of seatIds)' }),
      tier: z.string().min(1).max(20).optional().openapi({ description: 'Best available: only seats of this price tier' }),
      sections: z.array(z.string().min(1).max(20)).min(1).max(50).optional().openapi({ description: 'Best available: only these sections, in order of preference' }),
      together: z.boolean().optional().openapi({ description: 'Best available: contiguous seats in one row (default true); false allows split seats when no run fits' }),
    })
    .strict()
    .superRefine((b, ctx) => {
      if ((b.seatIds === undefined) === (b.quantity === undefined)) {
        ctx.addIssue({ code: 'custom', path: [b.seatIds ? 'quantity' : 'seatIds'], message: 'give exactly one of seatIds (pick your seats) or quantity (best available)' });
      }
      for (const field of ['tier', 'sections', 'together'] as const) {
        if (b.seatIds !== undefined && b[field] !== undefined) ctx.addIssue({ code: 'custom', path: [field], message: `${field} goes with quantity (best available), not with seatIds` });
      }
    })
    .openapi('HoldRequest', { oneOf: HOLD_SHAPES as never });
/** The two shapes for the document (JSON Schema cannot say "exactly one of" any other way). */
const HOLD_SHAPES = [
  { title: 'Pick your seats', required: ['seatIds'], properties: { quantity: false, tier: false, sections: false, together: false } },
  { title: 'Best available', required: ['quantity'], properties: { seatIds: false } },
];
export const ReservationIdParam = z.object({
  reservationId: z.string().regex(RESERVATION_ID_PATTERN, 'a 24-character reservation id').openapi({ param: { name: 'reservationId', in: 'path' } }),
});
export const PayBody = z
  .object({ method: z.enum(['wallet', 'card']).default('wallet').openapi({ description: 'wallet (default): pay now from the wallet; card: through the payment provider (docs/payments.md)' }) })
  .strict()
  .openapi('PayRequest');
export const CardPaymentPending = z
  .object({
    reservationId: z.string(),
    status: z.literal('PAYMENT_PENDING'),
    providerPaymentId: z.string().openapi({ description: 'The Stripe PaymentIntent id' }),
    clientSecret: z.string().openapi({ description: "Confirm the payment with the provider's client library (Stripe.js confirmCardPayment)" }),
    amount: z.number().int(),
    currency: z.string(),
  })
  .openapi('CardPaymentPending');
export const QueueTokenHeader = z.object({
  'x-queue-token': z.string().max(1024).optional().openapi({ param: { name: 'x-queue-token', in: 'header' }, description: 'ACTIVE waiting-room token for the schedule' }),
});

/** The cap in force goes into the document (the service enforces it). */
export const holdRoute = (maxSeats: number) =>
  createRoute({
    method: 'post',
    path: '/reservations',
    tags: ['reservations'],
    summary: 'Hold seats (chosen, or best available): 201 HELD with expiresAt, or 409',
    description:
      'Starts the reservation workflow (Update-with-Start) and answers with its hold result. Pay before expiresAt. ' +
      'Pick your seats with `seatIds` (409 SEAT_UNAVAILABLE when one is taken), or let the system pick with `quantity` ' +
      '(best available, docs/best-available.md): the answer carries the seats and `together` (one contiguous run of one row); ' +
      '409 NO_SEATS_TOGETHER (`largestRun` per section) when no run of that many is free and together is not false; 409 SOLD_OUT when fewer seats are free. ' +
      'A best-available offer may be declined once: POST /reservations/{id}/decline. ' +
      'A seat that is not part of `scheduleId` is 400 VALIDATION_FAILED (`foreignSeatIds` lists them), refused before any seat lock or workflow. ' +
      'Waiting room: no X-Queue-Token is 403 QUEUE_TOKEN_REQUIRED; a forged or foreign one 403 QUEUE_TOKEN_INVALID; one not ACTIVE 403 QUEUE_NOT_ACTIVE. ' +
      'One buyer may hold or own at most `maxTicketsPerUser` seats of a schedule (default 4, set per schedule by an admin), ' +
      'over all their live holds and purchases: a hold past it is refused with 409 TICKET_LIMIT (`limit` and `held` in the problem).',
    security: bearerSecurity,
    request: { ...jsonBody(holdBody(maxSeats)), headers: IdempotencyKeyHeader.merge(QueueTokenHeader) },
    responses: { 201: json(HeldReservation, 'Seats held'), ...problems(400, 401, 403, 404, 409, 422, 429, 503) },
  });

export const declineRoute = createRoute({
  method: 'post',
  path: '/reservations/{reservationId}/decline',
  tags: ['reservations'],
  summary: 'Decline a best-available offer once: 201 with the next best seats',
  description:
    'Claims the next best seats for the same request (the declined seats excluded), then cancels the offer, then holds the new seats: ' +
    'a new reservation, which cannot be declined again. 409 NOT_DECLINABLE for chosen seats, a settled offer or a second decline; ' +
    '409 NO_SEATS_TOGETHER / SOLD_OUT when nothing else fits (the offer stands). Needs the ACTIVE X-Queue-Token like a hold.',
  security: bearerSecurity,
  request: { params: ReservationIdParam, headers: IdempotencyKeyHeader.merge(QueueTokenHeader) },
  responses: { 201: json(HeldReservation, 'The next best seats, held'), ...problems(400, 401, 403, 404, 409, 422, 503) },
});

export const listRoute = createRoute({
  method: 'get',
  path: '/reservations',
  tags: ['reservations'],
  summary: 'Own reservations, newest first',
  security: bearerSecurity,
  request: { query: PageQuery.strict() },
  responses: {
    200: json(z.object({ items: z.array(ReservationSummary), page: z.number().int(), pageSize: z.number().int(), total: z.number().int() }), 'A page of reservations'),
    ...problems(400, 401),
  },
});

export const getRoute = createRoute({
  method: 'get',
  path: '/reservations/{reservationId}',
  tags: ['reservations'],
  summary: 'One own reservation',
  security: bearerSecurity,
  request: { params: ReservationIdParam },
  responses: { 200: json(Reservation, 'The reservation'), ...problems(400, 401, 404) },
});

export const payRoute = createRoute({
  method: 'post',
  path: '/reservations/{reservationId}/payment',
  tags: ['reservations'],
  summary: 'Pay: wallet (default) 200 CONFIRMED, 402 INSUFFICIENT_BALANCE; card 202 PAYMENT_PENDING with the clientSecret',
  description:
    '`{"method": "wallet"}` (the default, also with no body) pays from the wallet at once. `{"method": "card"}` creates the reservation\'s ' +
    'one provider payment (a Stripe PaymentIntent) and answers 202 PAYMENT_PENDING with its `clientSecret`: the client confirms it with the provider ' +
    '(the API never sees card numbers), and the provider\'s webhook confirms the reservation (GET shows `paymentStatus`; the event stream tells the outcome). ' +
    'A declined card leaves the seats HELD until expiresAt: pay again (the same payment) or by wallet. 503 SERVICE_UNAVAILABLE with Retry-After while the provider is down. ' +
    'Needs the ACTIVE X-Queue-Token while the reservation is HELD (403 QUEUE_TOKEN_REQUIRED / QUEUE_TOKEN_INVALID / QUEUE_NOT_ACTIVE), ' +
    'except for a waiting-list offer (GET /waitlist), which needs no token. ' +
    'A reservation that is already paid answers 409 ALREADY_PAID whatever the token state; the same Idempotency-Key replays the first answer. See docs/payments.md.',
  security: bearerSecurity,
  request: { params: ReservationIdParam, headers: IdempotencyKeyHeader.merge(QueueTokenHeader), body: { content: { 'application/json': { schema: PayBody } }, required: false } },
  responses: {
    200: json(z.object({ reservation: Reservation, payment: z.object({ paymentId: z.number().int(), amount: z.number().int() }) }), 'Paid and confirmed'),
    202: json(CardPaymentPending, 'Card payment pending: confirm it with the provider'),
    ...problems(400, 401, 402, 403, 404, 409, 422, 503),
  },
});

export const cancelRoute = createRoute({
  method: 'delete',
  path: '/reservations/{reservationId}',
  tags: ['reservations'],
  summary: 'Cancel: a hold is released at once; a purchase is refunded before the cancellation cutoff',
  security: bearerSecurity,
  request: { params: ReservationIdParam, headers: IdempotencyKeyHeader },
  responses: { 200: json(Reservation, 'Cancelled or refunded'), ...problems(400, 401, 404, 409, 422) },
});
