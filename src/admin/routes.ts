import { createRoute, z } from '@hono/zod-openapi';
import { randomUUID } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { toReservation, Reservation } from '../booking/representation.js';
import type { BookingService } from '../booking/service.js';
import { RESERVATION_ID_PATTERN } from '../booking/ids.js';
import { MAX_SEATS_PER_SCHEDULE, ScheduleSpec, Sections } from '../catalog/admin-routes.js';
import type { CatalogRepository } from '../catalog/repository.js';
import type { IdempotencyStore } from '../platform/http/idempotency.js';
import { requireRole } from '../identity/middleware.js';
import { createRouter, type AppEnv } from '../platform/http/app.js';
import { because } from '../shared/validation-reasons.js';
import { bearerSecurity, IdempotencyKeyHeader, json, jsonBody, problems } from '../platform/http/openapi.js';

// Seat maps are generated in one transaction and served to anyone unauthenticated: bounded per
// schedule (the size of one public map, Sections) and per request (rows written by one call).
const MAX_SEATS_PER_REQUEST = 100_000;

export const NewConcertBody = z
  .object({
    title: z.string().trim().min(1).max(200),
    artist: z.string().trim().min(1).max(200),
    description: z.string().max(5000).default(''),
    venue: z.string().trim().min(1).max(200),
    // Past or inconsistent dates are refused (src/catalog/schedule-rules.ts).
    schedules: z.array(ScheduleSpec).min(1).max(50),
    sections: Sections,
  })
  .strict()
  .refine(
    (b) => b.schedules.length * b.sections.reduce((n, s) => n + s.rows * s.seatsPerRow, 0) <= MAX_SEATS_PER_REQUEST,
    because('TOO_MANY_SEATS_PER_REQUEST', `at most ${MAX_SEATS_PER_REQUEST} seats per request (schedules x seats per schedule); create more schedules in another request`, { path: ['schedules'], maximum: MAX_SEATS_PER_REQUEST }),
  )
  .openapi('NewConcert');

export interface AdminAudit {
  recordAdminAction(action: { adminId: number; action: string; target: string; detail: string }): Promise<void>;
}

export function adminRoutes(deps: { catalog: CatalogRepository; booking: BookingService; audit: AdminAudit; auth: MiddlewareHandler<AppEnv>; idempotency: IdempotencyStore; auditForbidden: MiddlewareHandler<AppEnv> }) {
  const app = createRouter();
  // '/admin/*' covers every router's /admin paths (Hono merges sub-app middleware by path), so this
  // guard and its audit stand before the queue's, the events' and any unknown /admin path.
  app.use('/admin/*', deps.auditForbidden, deps.auth, requireRole('ADMIN'));

  app.openapi(
    createRoute({
      method: 'post',
      path: '/admin/concerts',
      tags: ['admin'],
      summary: 'Create a concert with schedules and a generated seat map (sections x rows x seats)',
      description: `At most ${MAX_SEATS_PER_SCHEDULE} seats per schedule and ${MAX_SEATS_PER_REQUEST} seats per request (schedules x seats); more is 400 VALIDATION_FAILED.`,
      security: bearerSecurity,
      middleware: [deps.idempotency.route('admin.concert')],
      request: { ...jsonBody(NewConcertBody), headers: IdempotencyKeyHeader },
      responses: {
        201: json(z.object({ concertId: z.number().int(), scheduleIds: z.array(z.number().int()), seatCount: z.number().int() }), 'Created'),
        ...problems(400, 401, 403, 422),
      },
    }),
    async (c) => {
      // ConcertCreated (with the admin id) is written in the same transaction as the concert.
      const created = await deps.catalog.createConcert(c.req.valid('json'), c.get('user').id);
      c.get('log').info({ audit: true, action: 'concert.create', concertId: created.concertId }, 'admin created a concert');
      return c.json(created, 201);
    },
  );

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
