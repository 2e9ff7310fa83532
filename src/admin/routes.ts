import { createRoute, z } from '@hono/zod-openapi';
import { randomUUID } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { toReservation, Reservation } from '../booking/index.js';
import type { BookingService } from '../booking/index.js';
import { RESERVATION_ID_PATTERN } from '../../workflows/booking/reservation-contract.js';
import type { IdempotencyStore } from '../platform/http/idempotency.js';
import { requireRole } from '../identity/index.js';
import { createRouter, type AppEnv } from '../platform/http/app.js';
import { bearerSecurity, IdempotencyKeyHeader, json, jsonBody, problems } from '../platform/http/openapi.js';

export interface AdminAudit {
  recordAdminAction(action: { adminId: number; action: string; target: string; detail: string }): Promise<void>;
}

export function adminRoutes(deps: { booking: BookingService; audit: AdminAudit; auth: MiddlewareHandler<AppEnv>; idempotency: IdempotencyStore; auditForbidden: MiddlewareHandler<AppEnv> }) {
  const app = createRouter();
  // '/admin/*' covers every router's /admin paths (Hono merges sub-app middleware by path), so this
  // guard and its audit stand before the queue's, the events' and any unknown /admin path.
  app.use('/admin/*', deps.auditForbidden, deps.auth, requireRole('ADMIN'));

  app.openapi(
    createRoute({
      method: 'post',
      path: '/admin/reservations/{reservationId}/cancel',
      tags: ['admin'],
      summary: 'Force-cancel any reservation (release a hold, or refund a purchase regardless of the cutoff)',
      security: bearerSecurity,
      middleware: [deps.idempotency.route('admin.cancel')],
      request: { params: z.object({ reservationId: z.string().regex(RESERVATION_ID_PATTERN).openapi({ param: { name: 'reservationId', in: 'path' } }) }), headers: IdempotencyKeyHeader },
      responses: { 200: json(Reservation, 'Cancelled'), ...problems(400, 401, 403, 404, 409, 422) },
    }),
    async (c) => {
      const { reservationId } = c.req.valid('param');
      const admin = c.get('user');
      const r = await deps.booking.cancel(admin.id, reservationId, `admin-cancel-${c.req.header('idempotency-key') ?? randomUUID()}`, { force: true, asAdmin: true });
      // The cancellation itself is in the reservation's own events; this records who forced it.
      await deps.audit.recordAdminAction({ adminId: admin.id, action: 'reservation.force-cancel', target: `reservation-${reservationId}`, detail: `now ${r.status}` });
      return c.json(toReservation(r), 200);
    },
  );

  return app;
}
