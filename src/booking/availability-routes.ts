import { createRoute, z } from '@hono/zod-openapi';
import { createRouter } from '../platform/http/app.js';
import { IdParam, json, problems } from '../platform/http/openapi.js';
import type { SectionCount } from './seat-locks.js';
import type { BookingService } from './service.js';

const Count = { free: z.number().int(), total: z.number().int() };
const Availability = z
  .object({
    scheduleId: z.number().int(),
    free: z.number().int(),
    total: z.number().int(),
    tiers: z.array(z.object({ tier: z.string(), ...Count })),
    sections: z.array(z.object({ section: z.string(), tier: z.string(), ...Count })),
  })
  .openapi('Availability');

/** How long one process reuses an answer: a rush reads this page far more often than it changes meaningfully. */
const CACHE_MS = 1000;

/**
 * Free seats per section and tier, from the best-available allocator's counts in Redis (one small
 * script call, no MySQL): the page a client shows instead of the full seat map during a rush.
 */
export function availabilityRoutes(deps: { booking: BookingService }) {
  const app = createRouter();
  const cache = new Map<number, { at: number; value: Promise<SectionCount[]> }>();
  const counts = (scheduleId: number) => {
    const hit = cache.get(scheduleId);
    if (hit && Date.now() - hit.at < CACHE_MS) return hit.value;
    if (cache.size > 10_000) cache.clear();
    const value = deps.booking.availability(scheduleId);
    cache.set(scheduleId, { at: Date.now(), value });
    value.catch(() => cache.delete(scheduleId));
    return value;
  };

  app.openapi(
    createRoute({
      method: 'get',
      path: '/schedules/{scheduleId}/availability',
      tags: ['catalog'],
      summary: 'Free seats per section and tier (small, cached for 1 s): the seat map’s stand-in during a rush',
      description: 'Counts from the best-available allocator (docs/best-available.md); hold seats with POST /reservations and `quantity`.',
      request: { params: IdParam('scheduleId') },
      responses: { 200: json(Availability, 'Free and total seats per section and tier'), ...problems(400, 404) },
    }),
    async (c) => {
      const { scheduleId } = c.req.valid('param');
      const sections = await counts(scheduleId);
      const tiers = new Map<string, { tier: string; free: number; total: number }>();
      for (const s of sections) {
        const t = tiers.get(s.tier) ?? { tier: s.tier, free: 0, total: 0 };
        t.free += s.free;
        t.total += s.total;
        tiers.set(s.tier, t);
      }
      c.header('cache-control', `public, max-age=${CACHE_MS / 1000}`);
      return c.json(
        {
          scheduleId,
          free: sections.reduce((n, s) => n + s.free, 0),
          total: sections.reduce((n, s) => n + s.total, 0),
          tiers: [...tiers.values()],
          sections,
        },
        200,
      );
    },
  );
  return app;
}
