import { createRoute, z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { createRouter, type AppEnv } from '../platform/http/app.js';
import { bearerSecurity, IdParam, json, problems } from '../platform/http/openapi.js';
import { notFound } from '../shared/errors.js';
import type { SalesRepository } from './sales-repository.js';

const ScheduleSales = z
  .object({
    scheduleId: z.number().int(),
    reservationsStarted: z.number().int(),
    reservationsConfirmed: z.number().int(),
    seatsHeld: z.number().int(),
    seatsSold: z.number().int(),
    revenue: z.number().int().openapi({ description: 'KRW, net of refunds' }),
    conversionRate: z.number().openapi({ description: 'reservationsConfirmed / reservationsStarted (0..1)' }),
    updatedAt: z.string().nullable(),
  })
  .openapi('ScheduleSales');

/** `requireAdmin` is injected (identity's requireRole('ADMIN')): events must not import identity, which appends events. */
export function eventAdminRoutes(deps: { sales: SalesRepository; auth: MiddlewareHandler<AppEnv>; requireAdmin: MiddlewareHandler<AppEnv>; auditForbidden: MiddlewareHandler<AppEnv> }) {
  const app = createRouter();
  app.use('/admin/schedules/:scheduleId/sales', deps.auditForbidden, deps.auth, deps.requireAdmin);

  app.openapi(
    createRoute({
      method: 'get',
      path: '/admin/schedules/{scheduleId}/sales',
      tags: ['admin'],
      summary: "A schedule's sales: reservations started and confirmed, seats held and sold now, revenue, conversion",
      description: 'Served from the sales read model, which a Kafka consumer keeps up to date from reservation events (eventually consistent, usually within a second).',
      security: bearerSecurity,
      request: { params: IdParam('scheduleId') },
      responses: { 200: json(ScheduleSales, 'Sales figures'), ...problems(400, 401, 403, 404) },
    }),
    async (c) => {
      const sales = await deps.sales.forSchedule(c.req.valid('param').scheduleId);
      if (!sales) throw notFound('Schedule');
      return c.json(sales, 200);
    },
  );

  return app;
}
