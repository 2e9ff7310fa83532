import { createRoute, z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { RESERVATION_ID_PATTERN } from '../../workflows/booking/reservation-contract.js';
import { createRouter, type AppEnv } from '../platform/http/app.js';
import type { IdempotencyStore } from '../platform/http/idempotency.js';
import { bearerSecurity, IdempotencyKeyHeader, json, jsonBody, problems } from '../platform/http/openapi.js';
import type { OfflineScans } from './scan-offline.js';
import { registerScannerRoutes } from './scanner-routes.js';
import type { TicketingService } from './service.js';

const TicketSeat = z.object({ seatId: z.number().int(), section: z.string(), tier: z.string(), row: z.string(), number: z.number().int() }).openapi('TicketSeat');

const Ticket = z
  .object({
    id: z.number().int(),
    reservationId: z.string(),
    scheduleId: z.number().int(),
    code: z.string().openapi({ description: 'The current rotating code, `CR1.<scheduleId>.<ticketId>.<serial>.<step>.<signature>` (Ed25519, 15-second steps; docs/tickets.md "Rotating codes"); the QR image encodes exactly this' }),
    codeExpiresAt: z.string().openapi({ description: 'End of the code\'s step: fetch the tickets again then for the next code (the code still admits for one more step)' }),
    status: z.enum(['VALID', 'USED', 'VOID']),
    voidReason: z.enum(['TICKET_REFUNDED', 'TICKET_CANCELLED']).nullable(),
    admittedAt: z.string().nullable().openapi({ description: 'When the first scan at the door admitted it' }),
    issuedAt: z.string(),
    seat: TicketSeat,
    qrSvg: z.string().openapi({ description: 'The code as a QR image, an SVG document (image/svg+xml)' }),
  })
  .openapi('Ticket');

const ScanBody = z.object({ code: z.string().min(1).max(200) }).strict().openapi('TicketScan');
const Admitted = z
  .object({
    result: z.literal('ADMITTED'),
    admittedAt: z.string(),
    ticket: z.object({ id: z.number().int(), reservationId: z.string(), scheduleId: z.number().int(), seat: TicketSeat }),
  })
  .openapi('TicketAdmitted');

const ReservationIdParam = z.object({
  reservationId: z.string().regex(RESERVATION_ID_PATTERN, 'a 24-character reservation id').openapi({ param: { name: 'reservationId', in: 'path' } }),
});

export interface TicketRouteDeps {
  tickets: TicketingService;
  /** Booking's ownership check: the caller's reservation, or 404 (also for someone else's). */
  ownReservation(userId: number, reservationId: string): Promise<{ id: string; status: string; scheduleId: number }>;
  auth: MiddlewareHandler<AppEnv>;
  /** STAFF or ADMIN (identity's requireRole), injected like the other back-office guards. */
  requireDoorStaff: MiddlewareHandler<AppEnv>;
  auditForbidden: MiddlewareHandler<AppEnv>;
  idempotency: IdempotencyStore;
  /** The offline door scanner's routes (door list, sync, conflicts), under the same STAFF guard. */
  offline: OfflineScans;
  /** Booking's reservation statuses (a held ticket is void once its purchase is refunded). */
  reservationStatuses(ids: string[]): Promise<Map<string, string>>;
}

export function ticketRoutes(deps: TicketRouteDeps) {
  const app = createRouter();
  app.use('/reservations/:reservationId/tickets', deps.auth);
  app.use('/tickets', deps.auth);
  app.use('/entry/*', deps.auditForbidden, deps.auth, deps.requireDoorStaff);

  app.openapi(
    createRoute({
      method: 'get',
      path: '/reservations/{reservationId}/tickets',
      tags: ['tickets'],
      summary: 'Own tickets of a reservation: one per seat of a confirmed purchase, each with its signed code and QR image',
      description:
        'A purchase has one ticket per seat from the moment it is CONFIRMED; a hold has none (empty list). A refunded purchase, or a cancelled ' +
        'performance, makes its tickets VOID (`voidReason`): they no longer admit. Someone else\'s reservation is 404.',
      security: bearerSecurity,
      request: { params: ReservationIdParam },
      responses: { 200: json(z.object({ items: z.array(Ticket) }), 'The tickets'), ...problems(400, 401, 404) },
    }),
    async (c) => {
      const reservation = await deps.ownReservation(c.get('user').id, c.req.valid('param').reservationId);
      return c.json({ items: await deps.tickets.ofReservation(reservation, c.get('user').id) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/tickets',
      tags: ['tickets'],
      summary: 'Every ticket you hold: bought, or received through a transfer (docs/tickets.md "Transfer")',
      description: 'A ticket you transferred away is no longer listed (its code changed when it moved). Newest first, at most 200.',
      security: bearerSecurity,
      responses: { 200: json(z.object({ items: z.array(Ticket) }), 'The tickets'), ...problems(401) },
    }),
    async (c) => c.json({ items: await deps.tickets.heldBy(c.get('user').id, deps.reservationStatuses) }, 200),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/entry/scans',
      tags: ['tickets'],
      summary: 'Scan a ticket at the door (STAFF or ADMIN): the first scan admits, every later one is refused',
      description:
        '200 ADMITTED with the seat on the first scan of a valid ticket. Later scans: 409 ALREADY_USED with `firstScanAt`. ' +
        'A refunded purchase: 409 TICKET_REFUNDED; a cancelled performance: 409 TICKET_CANCELLED. A rotating code more than one 15-second step old: ' +
        '409 CODE_EXPIRED (more than one step ahead: CODE_NOT_YET_VALID); the PDF\'s static code before the gates open: 409 GATES_NOT_OPEN; a code of a serial the ticket ' +
        'no longer has (transferred): 409 CODE_REISSUED. A code whose signature does not verify, ' +
        'or that names no ticket: 404 NOT_FOUND (recorded as a TICKET_FORGED security event). Every scan of a genuine ticket is a TicketScanned event. ' +
        'Concurrent scans of one code admit exactly once. With an Idempotency-Key, a scanner\'s retry gets the first answer again.',
      security: bearerSecurity,
      middleware: [deps.idempotency.route('entry.scan')],
      request: { ...jsonBody(ScanBody), headers: IdempotencyKeyHeader },
      responses: { 200: json(Admitted, 'Admitted'), ...problems(400, 401, 403, 404, 409, 422) },
    }),
    async (c) => c.json(await deps.tickets.scan(c.req.valid('json').code, c.get('user').id), 200),
  );

  registerScannerRoutes(app, { offline: deps.offline, idempotency: deps.idempotency });
  return app;
}
