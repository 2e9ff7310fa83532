import type { RouteHandler, z } from '@hono/zod-openapi';
import { randomUUID } from 'node:crypto';
import type { AppEnv } from '../platform/http/app.js';
import type { BookingAdmission } from './admission.js';
import type { ReservationRepository } from './repository.js';
import { summary, toReservation, type Reservation } from './representation.js';
import type { cancelRoute, declineRoute, getRoute, holdRoute, listRoute, payRoute } from './route-specs.js';
import type { BookingService } from './service.js';

export interface BookingHandlerDeps {
  booking: BookingService;
  reservations: ReservationRepository;
  admission: BookingAdmission;
  /** How a reservation is paid (payment's answer: method and paymentStatus), for GET /reservations/{id}. */
  payments?: { of(reservationId: string): Promise<z.infer<typeof Reservation>['payment']> } | undefined;
}

/**
 * The reservation routes' handlers: read the request, call booking (the waiting room through
 * BookingAdmission), shape the answer. The rules live in the service and the admission; the
 * definitions in route-specs.ts.
 */
export function bookingHandlers(deps: BookingHandlerDeps) {
  const { booking, admission } = deps;
  const token = (c: { req: { header(n: string): string | undefined } }) => c.req.header('x-queue-token');
  const keyed = (prefix: string, key: string | undefined) => `${prefix}-${key ?? randomUUID()}`;

  const hold: RouteHandler<ReturnType<typeof holdRoute>, AppEnv> = async (c) => {
    const startedAt = performance.now();
    const body = c.req.valid('json');
    const userId = c.get('user').id;
    await admission.admit(token(c), userId, body.scheduleId);
    return admission.observed(body.scheduleId, 'hold', startedAt, async () => {
      const key = c.req.header('idempotency-key');
      if (body.seatIds) return c.json(toReservation(await booking.hold(userId, { scheduleId: body.scheduleId, seatIds: body.seatIds }, key)), 201);
      const { reservation, together } = await booking.holdBest(userId, { ...body, quantity: body.quantity! }, key);
      return c.json({ ...toReservation(reservation), together }, 201);
    });
  };

  const decline: RouteHandler<typeof declineRoute, AppEnv> = async (c) => {
    const { reservationId } = c.req.valid('param');
    const userId = c.get('user').id;
    const owned = await booking.own(userId, reservationId);
    await admission.admit(token(c), userId, owned.scheduleId);
    const { reservation, together } = await booking.decline(userId, reservationId, keyed('decline', c.req.header('idempotency-key')));
    return c.json({ ...toReservation(reservation), together }, 201);
  };

  const list: RouteHandler<typeof listRoute, AppEnv> = async (c) => {
    const q = c.req.valid('query');
    const { items, total } = await deps.reservations.listByUser(c.get('user').id, q.page, q.pageSize);
    return c.json({ items: items.map(summary), page: q.page, pageSize: q.pageSize, total }, 200);
  };

  const get: RouteHandler<typeof getRoute, AppEnv> = async (c) => {
    const r = await booking.own(c.get('user').id, c.req.valid('param').reservationId);
    return c.json({ ...toReservation(r), payment: (await deps.payments?.of(r.id)) ?? null }, 200);
  };

  const pay: RouteHandler<typeof payRoute, AppEnv> = async (c) => {
    const startedAt = performance.now();
    const { reservationId } = c.req.valid('param');
    const method = (c.req.valid('json') as { method?: 'wallet' | 'card' } | undefined)?.method ?? 'wallet';
    const owned = await admission.admittedToPay(token(c), c.get('user').id, reservationId);
    return admission.observed(owned.scheduleId, 'pay', startedAt, async () => {
      const key = c.req.header('idempotency-key');
      if (method === 'card') {
        const pending = await booking.payByCard(owned);
        return c.json({ reservationId, status: pending.status, providerPaymentId: pending.providerPaymentId, clientSecret: pending.clientSecret, amount: pending.amount, currency: pending.currency }, 202);
      }
      const { reservation, payment } = await booking.pay(owned, keyed('pay', key));
      return c.json({ reservation: toReservation(reservation), payment }, 200);
    });
  };

  const cancel: RouteHandler<typeof cancelRoute, AppEnv> = async (c) => {
    const { reservationId } = c.req.valid('param');
    const r = await booking.cancel(c.get('user').id, reservationId, keyed('cancel', c.req.header('idempotency-key')));
    return c.json(toReservation(r), 200);
  };

  return { hold, decline, list, get, pay, cancel };
}
