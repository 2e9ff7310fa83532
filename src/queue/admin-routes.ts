import { createRoute, z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { requireRole } from '../identity/middleware.js';
import { createRouter, type AppEnv } from '../platform/http/app.js';
import { bearerSecurity, IdParam, json, jsonBody, problems } from '../platform/http/openapi.js';
import { notFound } from '../shared/errors.js';
import type { QueueSettingsSource } from './settings.js';

const Settings = z
  .object({
    scheduleId: z.number().int(),
    maxActive: z.number().int().openapi({ description: 'Effective cap of ACTIVE users' }),
    admitRatePerSec: z.number().int().openapi({ description: 'Effective admissions per second' }),
    overrides: z.object({ maxActive: z.number().int().nullable(), admitRatePerSec: z.number().int().nullable() }).openapi({ description: 'null = the configured default' }),
  })
  .openapi('QueueSettings');

const SettingsBody = z
  .object({
    maxActive: z.number().int().min(1).max(1_000_000).nullable(),
    admitRatePerSec: z.number().int().min(1).max(100_000).nullable(),
  })
  .strict()
  .openapi('QueueSettingsUpdate');

/** Per-schedule waiting-room settings (ADMIN). */
export function queueAdminRoutes(deps: { settings: QueueSettingsSource; auth: MiddlewareHandler<AppEnv> }) {
  const app = createRouter();
  app.use('/admin/schedules/*', deps.auth, requireRole('ADMIN'));

  const current = async (scheduleId: number) => {
    const [s, o] = await Promise.all([deps.settings.get(scheduleId), deps.settings.overrides(scheduleId)]);
    if (!s || !o) throw notFound(`Schedule ${scheduleId}`);
    return { scheduleId, maxActive: s.maxActive, admitRatePerSec: s.admitRatePerSec, overrides: o };
  };

  app.openapi(
    createRoute({
      method: 'get',
      path: '/admin/schedules/{scheduleId}/queue',
      tags: ['admin'],
      summary: "A schedule's waiting-room settings",
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
      summary: 'Set maxActive and admitRatePerSec for a schedule (null = configured default); other API processes follow within QUEUE_SETTINGS_CACHE_MS',
      security: bearerSecurity,
      request: { params: IdParam('scheduleId'), ...jsonBody(SettingsBody) },
      responses: { 200: json(Settings, 'Updated settings'), ...problems(400, 401, 403, 404) },
    }),
    async (c) => {
      const { scheduleId } = c.req.valid('param');
      if (!(await deps.settings.update(scheduleId, c.req.valid('json'), c.get('user').id))) throw notFound(`Schedule ${scheduleId}`);
      c.get('log').info({ audit: true, action: 'queue.settings', scheduleId, ...c.req.valid('json') }, 'admin changed queue settings');
      return c.json(await current(scheduleId), 200);
    },
  );

  return app;
}
