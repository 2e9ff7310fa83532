import { createRoute, z } from '@hono/zod-openapi';
import { randomUUID } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { createRouter, type AppEnv } from '../platform/http/app.js';
import type { IdempotencyStore } from '../platform/http/idempotency.js';
import { bearerSecurity, IdempotencyKeyHeader, json, jsonBody, PageQuery, problems } from '../platform/http/openapi.js';
import { DomainError } from '../shared/errors.js';
import { RESERVATION_ID_PATTERN } from './ids.js';
import { HeldReservation, Reservation, ReservationSummary, summary, toReservation } from './representation.js';
import type { ReservationRepository } from './repository.js';
import type { BookingService } from './service.js';

/** Waiting-room check for booking routes (issue: queue); absent means no waiting room is enforced. */
export interface AdmissionGate {
  check(queueToken: string | undefined, userId: number, scheduleId: number): Promise<void>;
  /** Feedback for admission control: how long an admitted hold or payment took, and whether it was an overload answer. */
  observe?(scheduleId: number, call: 'hold' | 'pay', ms: number, overload: boolean): void;
}

/** Answers that say the booking path is past its capacity: 503s and anything unexpected (Temporal timeouts). */
const isOverload = (err: unknown) => !(err instanceof DomainError) || err.code === 'SERVICE_UNAVAILABLE';


/**
 * Two shapes, exactly one per request: `seatIds` (pick your seats) or `quantity` (best available:
 * the system picks; `tier`, `sections` and `together` narrow it). The document states the cap in
 * force (MAX_SEATS_PER_RESERVATION) as maxItems / maximum; a schedule may set a lower one, and both
 * answer 400 TOO_MANY_SEATS. 20, the setting's ceiling, bounds the parse.
 */
const holdBody = (maxSeats: number) =>
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
const ReservationIdParam = z.object({
  reservationId: z.string().regex(RESERVATION_ID_PATTERN, 'a 24-character reservation id').openapi({ param: { name: 'reservationId', in: 'path' } }),
});
const PayBody = z
  .object({ method: z.enum(['wallet', 'card']).default('wallet').openapi({ description: 'wallet (default): pay now from the wallet; card: through the payment provider (docs/payments.md)' }) })
  .strict()
  .openapi('PayRequest');
const CardPaymentPending = z
  .object({
    reservationId: z.string(),
    status: z.literal('PAYMENT_PENDING'),
    providerPaymentId: z.string().openapi({ description: 'The Stripe PaymentIntent id' }),
    clientSecret: z.string().openapi({ description: "Confirm the payment with the provider's client library (Stripe.js confirmCardPayment)" }),
    amount: z.number().int(),
    currency: z.string(),
  })
  .openapi('CardPaymentPending');
const QueueTokenHeader = z.object({
  'x-queue-token': z.string().max(1024).optional().openapi({ param: { name: 'x-queue-token', in: 'header' }, description: 'ACTIVE waiting-room token for the schedule' }),
});


export function bookingRoutes(deps: {
  booking: BookingService;
  reservations: ReservationRepository;
  idempotency: IdempotencyStore;
  auth: MiddlewareHandler<AppEnv>;
  admission?: AdmissionGate | undefined;
  /** Whether a reservation is a waiting-list offer: it is paid without a waiting-room token (src/waitlist). */
  isWaitlistOffer?: (reservationId: string) => Promise<boolean>;
  /** The configured cap per reservation, for the document (the service enforces it). */
  maxSeatsPerReservation?: number;
  /** How a reservation is paid (payment's answer: method and paymentStatus), for GET /reservations/{id}. */
  payments?: { of(reservationId: string): Promise<z.infer<typeof Reservation>['payment']> };
  /** The 'booking' abuse limit (per IP and per user, shared with /wallet); absent when RATE_LIMIT_ENABLED is off. */
  rateLimit?: MiddlewareHandler | undefined;
}) {
  const app = createRouter();
  const HoldBody = holdBody(deps.maxSeatsPerReservation ?? 20);
  // '/reservations/*' also matches '/reservations' in Hono: one registration, or each request counts twice.
  if (deps.rateLimit) app.use('/reservations/*', deps.rateLimit);
  app.use('/reservations', deps.auth);
  app.use('/reservations/*', deps.auth);
  const admit = (c: { req: { header(n: string): string | undefined } }, userId: number, scheduleId: number) =>
    deps.admission?.check(c.req.header('x-queue-token'), userId, scheduleId);
  /**
   * Only a payable (HELD) reservation needs the waiting-room token. Paying one that is already
   * settled answers from its state (409 ALREADY_PAID, ...) whatever the token's state: confirming
   * a payment ends the token, so a retry or a parallel duplicate must not be told "token expired".
   */
  const admittedToPay = async (c: { req: { header(n: string): string | undefined } }, userId: number, reservationId: string) => {
    const owned = await deps.booking.own(userId, reservationId);
    if (owned.status !== 'HELD') return owned;
    // A waiting-list offer was handed to this buyer, who never queued for it: no token is needed.
    if (await deps.isWaitlistOffer?.(reservationId)) return owned;
    try {
      await admit(c, userId, owned.scheduleId);
      return owned;
    } catch (err) {
      // Redis lost the waiting room's state: the hold was made with an ACTIVE token, so it still proves
      // admission (the signed token still names this user and schedule). Active holders keep their right to pay.
      if (err instanceof DomainError && err.details?.queueStateLost) return owned;
      const now = await deps.booking.own(userId, reservationId);
      if (now.status !== 'HELD') return now; // settled meanwhile (a parallel payment used the token)
      throw err;
    }
  };
  /** Times an admitted booking call from the start of its request; refused tokens are not booking work. */
  const observed = async <T>(scheduleId: number, call: 'hold' | 'pay', startedAt: number, fn: () => Promise<T>): Promise<T> => {
    let overload = false;
    try {
      return await fn();
    } catch (err) {
      overload = isOverload(err);
      throw err;
    } finally {
      deps.admission?.observe?.(scheduleId, call, performance.now() - startedAt, overload);
    }
  };

  app.openapi(
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
      middleware: [deps.idempotency.route('hold')],
      request: { ...jsonBody(HoldBody), headers: IdempotencyKeyHeader.merge(QueueTokenHeader) },
      responses: { 201: json(HeldReservation, 'Seats held'), ...problems(400, 401, 403, 404, 409, 422, 429, 503) },
    }),
    async (c) => {
      const startedAt = performance.now();
      const body = c.req.valid('json');
      const userId = c.get('user').id;
      await admit(c, userId, body.scheduleId);
      return observed(body.scheduleId, 'hold', startedAt, async () => {
        const key = c.req.header('idempotency-key');
        if (body.seatIds) return c.json(toReservation(await deps.booking.hold(userId, { scheduleId: body.scheduleId, seatIds: body.seatIds }, key)), 201);
        const { reservation, together } = await deps.booking.holdBest(userId, { ...body, quantity: body.quantity! }, key);
        return c.json({ ...toReservation(reservation), together }, 201);
      });
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/reservations/{reservationId}/decline',
      tags: ['reservations'],
      summary: 'Decline a best-available offer once: 201 with the next best seats',
      description:
        'Claims the next best seats for the same request (the declined seats excluded), then cancels the offer, then holds the new seats: ' +
        'a new reservation, which cannot be declined again. 409 NOT_DECLINABLE for chosen seats, a settled offer or a second decline; ' +
        '409 NO_SEATS_TOGETHER / SOLD_OUT when nothing else fits (the offer stands). Needs the ACTIVE X-Queue-Token like a hold.',
      security: bearerSecurity,
      middleware: [deps.idempotency.route('decline')],
      request: { params: ReservationIdParam, headers: IdempotencyKeyHeader.merge(QueueTokenHeader) },
      responses: { 201: json(HeldReservation, 'The next best seats, held'), ...problems(400, 401, 403, 404, 409, 422, 503) },
    }),
    async (c) => {
      const { reservationId } = c.req.valid('param');
      const userId = c.get('user').id;
      const owned = await deps.booking.own(userId, reservationId);
      await admit(c, userId, owned.scheduleId);
      const key = c.req.header('idempotency-key');
      const { reservation, together } = await deps.booking.decline(userId, reservationId, `decline-${key ?? randomUUID()}`);
      return c.json({ ...toReservation(reservation), together }, 201);
    },
  );

  app.openapi(
    createRoute({
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
    }),
    async (c) => {
      const q = c.req.valid('query');
      const { items, total } = await deps.reservations.listByUser(c.get('user').id, q.page, q.pageSize);
      return c.json({ items: items.map(summary), page: q.page, pageSize: q.pageSize, total }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/reservations/{reservationId}',
      tags: ['reservations'],
      summary: 'One own reservation',
      security: bearerSecurity,
      request: { params: ReservationIdParam },
      responses: { 200: json(Reservation, 'The reservation'), ...problems(400, 401, 404) },
    }),
    async (c) => {
      const r = await deps.booking.own(c.get('user').id, c.req.valid('param').reservationId);
      return c.json({ ...toReservation(r), payment: (await deps.payments?.of(r.id)) ?? null }, 200);
    },
  );

  app.openapi(
    createRoute({
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
      middleware: [deps.idempotency.route('pay')],
      request: { params: ReservationIdParam, headers: IdempotencyKeyHeader.merge(QueueTokenHeader), body: { content: { 'application/json': { schema: PayBody } }, required: false } },
      responses: {
        200: json(z.object({ reservation: Reservation, payment: z.object({ paymentId: z.number().int(), amount: z.number().int() }) }), 'Paid and confirmed'),
        202: json(CardPaymentPending, 'Card payment pending: confirm it with the provider'),
        ...problems(400, 401, 402, 403, 404, 409, 422, 503),
      },
    }),
    async (c) => {
      const startedAt = performance.now();
      const { reservationId } = c.req.valid('param');
      const method = (c.req.valid('json') as { method?: 'wallet' | 'card' } | undefined)?.method ?? 'wallet';
      const userId = c.get('user').id;
      const owned = await admittedToPay(c, userId, reservationId);
      return observed(owned.scheduleId, 'pay', startedAt, async () => {
        const key = c.req.header('idempotency-key');
        if (method === 'card') {
          const pending = await deps.booking.payByCard(owned, key ? `pay-card-${key}` : `pay-card-${randomUUID()}`);
          return c.json({ reservationId, status: pending.status, providerPaymentId: pending.providerPaymentId, clientSecret: pending.clientSecret, amount: pending.amount, currency: pending.currency }, 202);
        }
        const { reservation, payment } = await deps.booking.pay(owned, key ? `pay-${key}` : `pay-${randomUUID()}`);
        return c.json({ reservation: toReservation(reservation), payment }, 200);
      });
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/reservations/{reservationId}',
      tags: ['reservations'],
      summary: 'Cancel: a hold is released at once; a purchase is refunded before the cancellation cutoff',
      security: bearerSecurity,
      middleware: [deps.idempotency.route('cancel')],
      request: { params: ReservationIdParam, headers: IdempotencyKeyHeader },
      responses: { 200: json(Reservation, 'Cancelled or refunded'), ...problems(400, 401, 404, 409, 422) },
    }),
    async (c) => {
      const { reservationId } = c.req.valid('param');
      const key = c.req.header('idempotency-key');
      const r = await deps.booking.cancel(c.get('user').id, reservationId, `cancel-${key ?? randomUUID()}`);
      return c.json(toReservation(r), 200);
    },
  );

  return app;
}
