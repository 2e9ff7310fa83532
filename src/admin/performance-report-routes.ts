import { createRoute, z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import type { SalesTimeline } from '../booking/sales-timeline.js';
import { createRouter, type AppEnv } from '../platform/http/app.js';
import { bearerSecurity, IdParam, json, problems } from '../platform/http/openapi.js';
import { notFound } from '../shared/errors.js';

const SalesTimelineBody = z
  .object({
    scheduleId: z.number().int(),
    minutes: z.array(
      z.object({
        minute: z.string().openapi({ description: 'Start of the minute (UTC, ISO 8601)' }),
        purchases: z.number().int().openapi({ description: 'Purchases confirmed in this minute (refunded later or not)' }),
        seats: z.number().int(),
        amount: z.number().int().openapi({ description: 'KRW' }),
      }),
    ),
  })
  .openapi('SalesTimeline');

export interface PerformanceReportDeps {
  timeline: SalesTimeline;
  scheduleExists: (scheduleId: number) => Promise<boolean>;
  auth: MiddlewareHandler<AppEnv>;
  requireAdmin: MiddlewareHandler<AppEnv>;
  auditForbidden: MiddlewareHandler<AppEnv>;
}

/** The organiser's reports on one performance (ADMIN): sales over time for the dashboard's chart. */
export function performanceReportRoutes(deps: PerformanceReportDeps) {
  const app = createRouter();
  app.use('/admin/schedules/:scheduleId/sales/timeline', deps.auditForbidden, deps.auth, deps.requireAdmin);

  app.openapi(
    createRoute({
      method: 'get',
      path: '/admin/schedules/{scheduleId}/sales/timeline',
      tags: ['admin'],
      summary: "A performance's sales over time: purchases, seats and amount per minute, oldest first",
      description: 'Read from the reservations themselves (each purchase keeps its confirmation time), so it is exact and includes purchases refunded since.',
      security: bearerSecurity,
      request: { params: IdParam('scheduleId') },
      responses: { 200: json(SalesTimelineBody, 'Sales per minute'), ...problems(400, 401, 403, 404) },
    }),
    async (c) => {
      const { scheduleId } = c.req.valid('param');
      if (!(await deps.scheduleExists(scheduleId))) throw notFound('Schedule');
      return c.json({ scheduleId, minutes: await deps.timeline.perMinute(scheduleId) }, 200);
    },
  );

  return app;
}
