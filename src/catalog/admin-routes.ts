import { createRoute, z } from '@hono/zod-openapi';
import type { Context, MiddlewareHandler } from 'hono';
import { createRouter, type AppEnv } from '../platform/http/app.js';
import type { IdempotencyStore } from '../platform/http/idempotency.js';
import { bearerSecurity, IdempotencyKeyHeader, IdParam, isoDate, json, jsonBody, problems } from '../platform/http/openapi.js';
import { DomainError, notFound } from '../shared/errors.js';
import type { CatalogRepository } from './repository.js';
import type { ScheduleLifecycle, ScheduleRow } from './lifecycle.js';
import { ScheduleFields, scheduleView } from './representation.js';
import type { ScheduleCancellations } from './schedule-cancellations.js';
import { brokenDatesRule, isCancelled, scheduleStatuses } from './schedule-rules.js';
import { because } from '../shared/validation-reasons.js';

// Bounds of a seat map, for concert creation and added schedules.
export const MAX_SEATS_PER_SCHEDULE = 20_000;
export const MAX_TICKETS_PER_USER = 100;
const TicketLimit = z.number().int().min(1).max(MAX_TICKETS_PER_USER).openapi({ description: 'Seats one buyer may hold or own on the schedule, over all their reservations (default 4)' });
const SeatCap = z.number().int().min(1).max(20).openapi({ description: 'Seats per reservation (default 4)' });
const HoldTtl = z.number().int().min(10).max(3600).openapi({ description: 'How long a new hold on this schedule lasts, in seconds (default HOLD_TTL_SECONDS)' });

export const SectionSpec = z
  .object({
    name: z.string().trim().min(1).max(20),
    tier: z.string().trim().min(1).max(20),
    price: z.number().int().min(0).max(10_000_000),
    rows: z.number().int().min(1).max(200),
    seatsPerRow: z.number().int().min(1).max(200),
  })
  .strict();
export const Sections = z
  .array(SectionSpec)
  .min(1)
  .max(50)
  .refine((ss) => new Set(ss.map((s) => s.name)).size === ss.length, because('SECTION_NAMES_NOT_UNIQUE', 'section names must be unique'))
  .refine((ss) => ss.reduce((n, s) => n + s.rows * s.seatsPerRow, 0) <= MAX_SEATS_PER_SCHEDULE, because('TOO_MANY_SEATS_PER_SCHEDULE', `at most ${MAX_SEATS_PER_SCHEDULE} seats per schedule`, { maximum: MAX_SEATS_PER_SCHEDULE }));

/** Refuses past or inconsistent dates (schedule-rules.ts), judged when the request arrives. */
const validDates = (d: { startsAt: Date; saleOpensAt: Date; saleClosesAt: Date }, ctx: z.RefinementCtx) => {
  // Runs even when a date itself failed to parse (that issue is reported already): judge only real dates.
  if (![d.startsAt, d.saleOpensAt, d.saleClosesAt].every((v) => v instanceof Date && !Number.isNaN(v.getTime()))) return;
  // The field the rule blames, so a form can mark it; the reason, so a client can say it in its own words.
  const rule = brokenDatesRule(d, new Date());
  if (rule) ctx.addIssue({ code: 'custom', message: rule.detail, path: [rule.field], params: { reason: rule.reason } });
};

// Examples in the order the rules want (opens < closes <= starts), far ahead so they never expire.
const scheduleFields = {
  startsAt: isoDate('2099-05-01T19:00:00Z'),
  saleOpensAt: isoDate('2099-03-01T10:00:00Z').openapi({ description: 'May be in the past: the sale is open at once' }),
  saleClosesAt: isoDate('2099-05-01T17:00:00Z'),
  maxSeatsPerReservation: SeatCap.optional(),
  maxTicketsPerUser: TicketLimit.optional(),
  holdTtlSeconds: HoldTtl.optional(),
};

/** One performance's dates and limits, as concert creation takes them. */
export const ScheduleSpec = z.object(scheduleFields).strict().superRefine(validDates);

// Seat maps are generated in one transaction and served to anyone unauthenticated: bounded per
// schedule (the size of one public map, Sections) and per request (rows written by one call).
const MAX_SEATS_PER_REQUEST = 100_000;

export const NewConcertBody = z
  .object({
    title: z.string().trim().min(1).max(200),
    artist: z.string().trim().min(1).max(200),
    description: z.string().max(5000).default(''),
    venue: z.string().trim().min(1).max(200),
    // Past or inconsistent dates are refused (schedule-rules.ts).
    schedules: z.array(ScheduleSpec).min(1).max(50),
    sections: Sections,
  })
  .strict()
  .refine(
    (b) => b.schedules.length * b.sections.reduce((n, s) => n + s.rows * s.seatsPerRow, 0) <= MAX_SEATS_PER_REQUEST,
    because('TOO_MANY_SEATS_PER_REQUEST', `at most ${MAX_SEATS_PER_REQUEST} seats per request (schedules x seats per schedule); create more schedules in another request`, { path: ['schedules'], maximum: MAX_SEATS_PER_REQUEST }),
  )
  .openapi('NewConcert');

const NewScheduleBody = z
  .object({ ...scheduleFields, sections: Sections })
  .strict()
  .superRefine(validDates)
  .openapi('NewSchedule');

const ConcertChangeBody = z
  .object({
    title: z.string().trim().min(1).max(200).optional(),
    artist: z.string().trim().min(1).max(200).optional(),
    description: z.string().max(5000).optional(),
    venue: z.string().trim().min(1).max(200).optional(),
  })
  .strict()
  .refine((b) => Object.keys(b).length > 0, because('NOTHING_TO_CHANGE', 'name at least one field to change'))
  .openapi('ConcertChange', { minProperties: 1 });

const ScheduleChangeBody = z
  .object({
    saleOpensAt: isoDate('2099-03-01T10:00:00Z').optional(),
    saleClosesAt: isoDate('2099-05-01T17:00:00Z').optional(),
    maxSeatsPerReservation: SeatCap.optional(),
    maxTicketsPerUser: TicketLimit.optional(),
    holdTtlSeconds: HoldTtl.nullable().optional().openapi({ description: 'null: back to HOLD_TTL_SECONDS' }),
  })
  .strict()
  .refine((b) => Object.keys(b).length > 0, because('NOTHING_TO_CHANGE', 'name at least one field to change'))
  .openapi('ScheduleChange', { minProperties: 1 });

const AdminSchedule = ScheduleFields
  .extend({
    holdTtlSeconds: z.number().int().nullable().openapi({ description: 'null: HOLD_TTL_SECONDS' }),
  })
  .openapi('AdminSchedule');

const CancellationProgress = z
  .object({
    scheduleId: z.number().int(),
    phase: z.enum(['STOPPING_SALES', 'CANCELLING_RESERVATIONS', 'CLOSING', 'DONE']),
    reason: z.string(),
    startedAt: z.string(),
    finishedAt: z.string().nullable(),
    liveAtStart: z.number().int().openapi({ description: 'Live (HELD or CONFIRMED) reservations when sales stopped' }),
    processed: z.number().int().openapi({ description: 'Reservations closed so far' }),
    holdsReleased: z.number().int(),
    purchasesRefunded: z.number().int(),
    amountRefunded: z.number().int().openapi({ description: 'KRW returned to wallets' }),
    admittedKept: z.number().int().optional().openapi({ description: 'Purchases with a ticket admitted at the door: neither refunded nor released (an admitted ticket is never refunded); settle them by hand' }),
    batches: z.number().int(),
    runs: z.number().int().openapi({ description: 'Workflow runs (continue-as-new)' }),
  })
  .openapi('CancellationProgress');

const toAdminSchedule = (s: ScheduleRow) => ({ ...scheduleView(s), holdTtlSeconds: s.holdTtlSeconds });

const ScheduleParam = IdParam('scheduleId');
const ConcertParam = IdParam('concertId');
const auditLog = (c: Context<AppEnv>, action: string, attrs: Record<string, unknown>) => c.get('log').info({ audit: true, action, ...attrs }, `admin ${action}`);

/**
 * Creating a concert (catalog's, like adding a schedule to one): its own router so it is mounted where
 * the admin routes are (the OpenAPI document keeps its order), behind the same ADMIN guard.
 */
export function newConcertRoutes(deps: { catalog: CatalogRepository; auth: MiddlewareHandler<AppEnv>; requireAdmin: MiddlewareHandler<AppEnv>; auditForbidden: MiddlewareHandler<AppEnv>; idempotency: IdempotencyStore }) {
  const app = createRouter();
  app.use('/admin/concerts', deps.auditForbidden, deps.auth, deps.requireAdmin);
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

  return app;
}

/**
 * The organiser's catalog lifecycle (ADMIN): add a performance, edit a concert or a schedule, pause
 * and resume a sale, cancel a performance and follow its progress. Each change is audited (an
 * AdminAction event in the change's transaction, plus a log line) and honours Idempotency-Key.
 */
export function catalogAdminRoutes(deps: {
  catalog: CatalogRepository;
  lifecycle: ScheduleLifecycle;
  cancellations: ScheduleCancellations;
  /** This process's caches of the schedule (booking's, the waiting room's) forget it after a change. */
  onScheduleChanged: (scheduleId: number) => void;
  /** Records the cancellation request (the change itself happens in the workflow). */
  audit: { recordAdminAction(action: { adminId: number; action: string; target: string; detail: string }): Promise<void> };
  auth: MiddlewareHandler<AppEnv>;
  requireAdmin: MiddlewareHandler<AppEnv>;
  auditForbidden: MiddlewareHandler<AppEnv>;
  idempotency: IdempotencyStore;
}) {
  const app = createRouter();
  for (const path of ['/admin/concerts/*', '/admin/schedules/*']) app.use(path, deps.auditForbidden, deps.auth, deps.requireAdmin);
  const refused = (r: { code: 'PERFORMANCE_CANCELLED' | 'VALIDATION_FAILED'; detail: string }) => new DomainError(r.code, r.detail);

  app.openapi(
    createRoute({
      method: 'post',
      path: '/admin/concerts/{concertId}/schedules',
      tags: ['admin'],
      summary: 'Add a performance (with its own generated seat map) to an existing concert',
      description: `startsAt and saleClosesAt must lie ahead, saleOpensAt < saleClosesAt <= startsAt; at most ${MAX_SEATS_PER_SCHEDULE} seats. Otherwise 400 VALIDATION_FAILED.`,
      security: bearerSecurity,
      middleware: [deps.idempotency.route('admin.schedule-add')],
      request: { params: ConcertParam, ...jsonBody(NewScheduleBody), headers: IdempotencyKeyHeader },
      responses: { 201: json(z.object({ scheduleId: z.number().int(), seatCount: z.number().int() }), 'Added'), ...problems(400, 401, 403, 404, 422) },
    }),
    async (c) => {
      const { concertId } = c.req.valid('param');
      const added = await deps.lifecycle.addSchedule(concertId, c.req.valid('json'), c.get('user').id);
      if (!added) throw notFound('Concert');
      auditLog(c, 'schedule.add', { concertId, scheduleId: added.scheduleId });
      return c.json(added, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/admin/concerts/{concertId}',
      tags: ['admin'],
      summary: 'Edit a concert (title, artist, description, venue)',
      security: bearerSecurity,
      middleware: [deps.idempotency.route('admin.concert-edit')],
      request: { params: ConcertParam, ...jsonBody(ConcertChangeBody), headers: IdempotencyKeyHeader },
      responses: {
        200: json(z.object({ id: z.number().int(), title: z.string(), artist: z.string(), description: z.string(), venue: z.string() }), 'Updated'),
        ...problems(400, 401, 403, 404, 422),
      },
    }),
    async (c) => {
      const { concertId } = c.req.valid('param');
      const updated = await deps.lifecycle.updateConcert(concertId, c.req.valid('json'), c.get('user').id);
      if (!updated) throw notFound('Concert');
      auditLog(c, 'concert.update', { concertId });
      return c.json({ id: updated.id, title: updated.title, artist: updated.artist, description: updated.description, venue: updated.venue }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/admin/schedules/{scheduleId}',
      tags: ['admin'],
      summary: 'Edit a schedule: sale window, seat and ticket limits, hold TTL (nothing a sold ticket depends on)',
      description:
        'Holds and purchases already made stand; new holds follow the new values (ticket limit: 409 TICKET_LIMIT past it; hold TTL: the next hold expires after it). ' +
        'Dates must stay consistent (saleOpensAt < saleClosesAt <= startsAt, saleClosesAt ahead): 400 VALIDATION_FAILED otherwise. A cancelled performance: 409 PERFORMANCE_CANCELLED.',
      security: bearerSecurity,
      middleware: [deps.idempotency.route('admin.schedule')],
      request: { params: ScheduleParam, ...jsonBody(ScheduleChangeBody), headers: IdempotencyKeyHeader },
      responses: { 200: json(AdminSchedule, 'Updated'), ...problems(400, 401, 403, 404, 409, 422) },
    }),
    async (c) => {
      const { scheduleId } = c.req.valid('param');
      const result = await deps.lifecycle.updateSchedule(scheduleId, c.req.valid('json'), c.get('user').id);
      if (!result) throw notFound('Schedule');
      if (!result.ok) throw refused(result);
      deps.onScheduleChanged(scheduleId);
      auditLog(c, 'schedule.update', { scheduleId });
      return c.json(toAdminSchedule(result.schedule), 200);
    },
  );

  for (const action of ['pause', 'resume'] as const) {
    app.openapi(
      createRoute({
        method: 'post',
        path: `/admin/schedules/{scheduleId}/${action}`,
        tags: ['admin'],
        summary: action === 'pause' ? 'Pause the sale: new holds get 409 SALE_PAUSED and the waiting room admits nobody' : 'Resume a paused sale',
        description: 'Holds already made may still be paid. Repeating it changes nothing. A cancelled performance: 409 PERFORMANCE_CANCELLED.',
        security: bearerSecurity,
        middleware: [deps.idempotency.route(`admin.schedule-${action}`)],
        request: { params: ScheduleParam, headers: IdempotencyKeyHeader },
        responses: { 200: json(z.object({ scheduleId: z.number().int(), status: z.enum(scheduleStatuses) }), 'The sale’s state now'), ...problems(400, 401, 403, 404, 409, 422) },
      }),
      async (c) => {
        const { scheduleId } = c.req.valid('param');
        const result = await deps.lifecycle.switchSale(scheduleId, action, c.get('user').id);
        if (!result) throw notFound('Schedule');
        if (!result.ok) throw refused(result);
        deps.onScheduleChanged(scheduleId);
        if (result.changed) auditLog(c, `schedule.${action}`, { scheduleId });
        return c.json({ scheduleId, status: result.status }, 200);
      },
    );
  }

  app.openapi(
    createRoute({
      method: 'post',
      path: '/admin/schedules/{scheduleId}/cancellation',
      tags: ['admin'],
      summary: 'Cancel a performance: stop sales, release every hold, refund every purchase (a durable workflow)',
      description:
        'Starts the `schedule-<id>-cancellation` workflow, or joins it when it already runs or ran, and answers 202 with its progress. ' +
        'Follow it with GET on the same path (or in the Temporal Web UI: `CancellationPhase`, `CancellationProcessed`).',
      security: bearerSecurity,
      middleware: [deps.idempotency.route('admin.schedule-cancel')],
      request: {
        params: ScheduleParam,
        ...jsonBody(z.object({ reason: z.string().trim().min(1).max(150) }).strict().openapi('ScheduleCancellation')),
        headers: IdempotencyKeyHeader,
      },
      responses: { 202: json(CancellationProgress, 'Started (or already under way, or done)'), ...problems(400, 401, 403, 404, 422) },
    }),
    async (c) => {
      const { scheduleId } = c.req.valid('param');
      const schedule = await deps.catalog.findSchedule(scheduleId);
      if (!schedule) throw notFound('Schedule');
      const admin = c.get('user');
      const { reason } = c.req.valid('json');
      // Recorded when this request cancels; one that joins a cancellation under way or done changes nothing.
      if (!isCancelled(schedule.status)) await deps.audit.recordAdminAction({ adminId: admin.id, action: 'schedule.cancel', target: `schedule-${scheduleId}`, detail: reason });
      const progress = await deps.cancellations.start({ scheduleId, concertId: schedule.concertId, adminId: admin.id, reason });
      deps.onScheduleChanged(scheduleId);
      return c.json(progress, 202);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/admin/schedules/{scheduleId}/cancellation',
      tags: ['admin'],
      summary: "A performance cancellation's progress",
      security: bearerSecurity,
      request: { params: ScheduleParam },
      responses: { 200: json(CancellationProgress, 'Progress (phase DONE when finished)'), ...problems(400, 401, 403, 404) },
    }),
    async (c) => {
      const { scheduleId } = c.req.valid('param');
      const progress = await deps.cancellations.progress(scheduleId);
      if (!progress) throw notFound('Cancellation of this schedule');
      return c.json(progress, 200);
    },
  );

  return app;
}
