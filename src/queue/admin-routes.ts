import { createRoute, z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { createRouter, type AppEnv } from '../platform/http/app.js';
import type { IdempotencyStore } from '../platform/http/idempotency.js';
import { bearerSecurity, IdempotencyKeyHeader, IdParam, json, jsonBody, problems } from '../platform/http/openapi.js';
import { DomainError, notFound } from '../shared/errors.js';
import type { AdmissionStore } from './admission-store.js';
import type { QueueService } from './service.js';
import type { QueueSettingsSource } from './settings.js';

const nullableInt = z.number().int().nullable();
const Settings = z
  .object({
    scheduleId: z.number().int(),
    mode: z.enum(['auto', 'manual']).openapi({ description: 'auto: the controller moves the rate and the cap toward the latency target; manual: pinned' }),
    maxActive: z.number().int().openapi({ description: 'Cap of ACTIVE users in force now' }),
    admitRatePerSec: z.number().int().openapi({ description: 'Admissions per second in force now' }),
    auto: z
      .object({ minAdmitRate: z.number().int(), maxAdmitRate: z.number().int(), maxActiveCeiling: z.number().int(), targetP99Ms: z.number().int() })
      .openapi({ description: 'Bounds of the auto mode (in force when mode is auto)' }),
    controller: z
      .object({
        holdP95Ms: nullableInt,
        holdP99Ms: nullableInt,
        payP99Ms: nullableInt,
        samples: z.number().int(),
        overloads: z.number().int(),
        meanMs: z.number().nullable().openapi({ description: 'Mean hold and pay answer time over the window (ms)' }),
        inFlight: z.number().nullable().openapi({ description: "Holds and payments under way on average (Little's law)" }),
        limit: z.number().nullable().openapi({ description: 'The concurrency limit on holds and payments the controller steers to' }),
        unloadedMs: z.number().nullable().openapi({ description: "The booking path's latency without queueing, as measured (ms)" }),
        cpuBusy: z.number().nullable().openapi({ description: "Share of the deciding process's machine CPU that was busy (0-1)" }),
        seatsAvailable: nullableInt,
        lastReason: z.string().nullable(),
        changedAt: z.string().nullable(),
        decidedAt: z.string().nullable(),
        leader: z.string().nullable(),
      })
      .openapi({ description: 'What the controller measured over its window (bucket upper bounds, ms) and why it last changed admission' }),
    queue: z.object({ waiting: z.number().int(), active: z.number().int(), saleEnded: z.enum(['SOLD_OUT', 'CLOSED']).nullable() }),
    overrides: z
      .object({
        mode: z.enum(['auto', 'manual']).nullable(),
        maxActive: nullableInt,
        admitRatePerSec: nullableInt,
        minAdmitRate: nullableInt,
        maxAdmitRate: nullableInt,
        targetP99Ms: nullableInt,
      })
      .openapi({ description: 'null = the configured default' }),
  })
  .openapi('QueueSettings');

const SettingsBody = z
  .object({
    mode: z.enum(['auto', 'manual']).nullable().optional().openapi({ description: 'Omitted: unchanged; null: the configured default (QUEUE_ADMISSION_MODE)' }),
    maxActive: z.number().int().min(1).max(1_000_000).nullable().optional().openapi({ description: 'manual: the cap; auto: its ceiling' }),
    admitRatePerSec: z.number().int().min(1).max(100_000).nullable().optional().openapi({ description: 'manual: the rate' }),
    minAdmitRate: z.number().int().min(1).max(100_000).nullable().optional(),
    maxAdmitRate: z.number().int().min(1).max(100_000).nullable().optional(),
    targetP99Ms: z.number().int().min(10).max(60_000).nullable().optional().openapi({ description: 'auto: hold and pay p99 the controller steers toward' }),
  })
  .strict()
  .openapi('QueueSettingsUpdate');

/** Per-schedule waiting-room settings and the admission controller's view (ADMIN). */
/** `requireAdmin` is injected (identity's requireRole('ADMIN')), so the waiting room does not depend on identity. */
export function queueAdminRoutes(deps: {
  settings: QueueSettingsSource;
  service: QueueService;
  admission: AdmissionStore;
  auth: MiddlewareHandler<AppEnv>;
  requireAdmin: MiddlewareHandler<AppEnv>;
  /** Records the 403s (identity's auditForbidden, passed in by the composition root). */
  auditForbidden: MiddlewareHandler<AppEnv>;
  idempotency: IdempotencyStore;
}) {
  const app = createRouter();
  app.use('/admin/schedules/*', deps.auditForbidden, deps.auth, deps.requireAdmin);

  const iso = (ms: number | undefined) => (ms ? new Date(ms).toISOString() : null);
  const current = async (scheduleId: number) => {
    const [s, o, ctl, q] = await Promise.all([deps.settings.get(scheduleId), deps.settings.overrides(scheduleId), deps.admission.state(scheduleId), deps.service.tick(scheduleId)]);
    if (!s || !o || !q) throw notFound(`Schedule ${scheduleId}`);
    return {
      scheduleId,
      mode: s.mode,
      maxActive: q.effective.maxActive,
      admitRatePerSec: q.effective.admitRatePerSec,
      auto: { ...s.auto, maxActiveCeiling: s.maxActive },
      controller: {
        holdP95Ms: ctl.holdP95Ms ?? null,
        holdP99Ms: ctl.holdP99Ms ?? null,
        payP99Ms: ctl.payP99Ms ?? null,
        samples: ctl.samples ?? 0,
        overloads: ctl.overloads ?? 0,
        meanMs: ctl.meanMs ?? null,
        inFlight: ctl.inFlight ?? null,
        limit: ctl.limit ?? null,
        unloadedMs: ctl.unloadedMs ?? null,
        cpuBusy: ctl.cpuBusy ?? null,
        seatsAvailable: ctl.seatsAvailable ?? null,
        lastReason: ctl.reason ?? null,
        changedAt: iso(ctl.changedAt),
        decidedAt: iso(ctl.decidedAt),
        leader: ctl.leader ?? null,
      },
      queue: { waiting: q.counts.waiting + q.counts.preQueue, active: q.counts.active, saleEnded: q.saleEnded },
      overrides: o,
    };
  };

  app.openapi(
    createRoute({
      method: 'get',
      path: '/admin/schedules/{scheduleId}/queue',
      tags: ['admin'],
      summary: "A schedule's waiting room: mode, values in force, what the controller measured and why it last changed them",
      security: bearerSecurity,
      request: { params: IdParam('scheduleId') },
      responses: { 200: json(Settings, 'Settings'), ...problems(400, 401, 403, 404) },
    }),
    async (c) => c.json(await current(c.req.valid('param').scheduleId), 200),
  );

  app.openapi(
    createRoute({
      method: 'put',
      path: '/admin/schedules/{scheduleId}/queue',
      tags: ['admin'],
      summary: 'Choose auto (with bounds and target) or pin manual values; fields left out stay as they are, null = the configured default',
      description: 'Other API processes follow within QUEUE_SETTINGS_CACHE_MS. Switching to auto starts the controller from the current values.',
      security: bearerSecurity,
      middleware: [deps.idempotency.route('admin.queue')],
      request: { params: IdParam('scheduleId'), ...jsonBody(SettingsBody), headers: IdempotencyKeyHeader },
      responses: { 200: json(Settings, 'Updated settings'), ...problems(400, 401, 403, 404, 422) },
    }),
    async (c) => {
      const { scheduleId } = c.req.valid('param');
      const body = c.req.valid('json');
      if (body.minAdmitRate && body.maxAdmitRate && body.minAdmitRate > body.maxAdmitRate) throw new DomainError('VALIDATION_FAILED', 'minAdmitRate must not exceed maxAdmitRate');
      if (!(await deps.settings.update(scheduleId, body, c.get('user').id))) throw notFound(`Schedule ${scheduleId}`);
      c.get('log').info({ audit: true, action: 'queue.settings', scheduleId, ...body }, 'admin changed queue settings');
      return c.json(await current(scheduleId), 200);
    },
  );

  return app;
}
