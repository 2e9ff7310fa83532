import { createRoute, z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { createRouter, noStore, type AppEnv } from '../platform/http/app.js';
import { bearerSecurity, canonicalPositiveInt, IdParam, json, problems } from '../platform/http/openapi.js';
import { notFound } from '../shared/errors.js';
import type { RecommendationService } from './service.js';

const RecommendedConcert = z
  .object({
    concertId: z.number().int(),
    title: z.string(),
    artist: z.string(),
    venue: z.string(),
    score: z.number().int().openapi({ description: 'CO_PURCHASE: buyers who hold both concerts (summed over your concerts on /me); POPULAR: buyers who hold it' }),
    basis: z.enum(['CO_PURCHASE', 'POPULAR']).openapi({ description: 'CO_PURCHASE from co-purchase counts; POPULAR is the fallback when there are not enough of those (cold start)' }),
  })
  .openapi('RecommendedConcert');
const Recommendations = z.object({ items: z.array(RecommendedConcert) }).openapi('Recommendations');
const LimitQuery = z.object({ limit: canonicalPositiveInt(20).default(5).openapi({ type: 'integer', minimum: 1, maximum: 20, default: 5 }) });

const explained =
  'Item-to-item co-purchase collaborative filtering (counts of buyers holding both concerts, from ReservationConfirmed and ReservationRefunded events; ' +
  'a read model, eventually consistent), with a popularity fallback. docs/recommendations.md.';

export function recommendationRoutes(deps: { recommendations: RecommendationService; auth: MiddlewareHandler<AppEnv> }) {
  const app = createRouter();
  app.use('/me/recommendations', deps.auth, noStore);

  app.openapi(
    createRoute({
      method: 'get',
      path: '/concerts/{concertId}/recommendations',
      tags: ['catalog'],
      summary: 'People who booked this concert also booked these',
      description: explained,
      request: { params: IdParam('concertId'), query: LimitQuery },
      responses: { 200: json(Recommendations, 'Other concerts, strongest first (never this one)'), ...problems(400, 404) },
    }),
    async (c) => {
      const items = await deps.recommendations.forConcert(c.req.valid('param').concertId, c.req.valid('query').limit);
      if (!items) throw notFound('Concert');
      return c.json({ items }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/me/recommendations',
      tags: ['catalog'],
      summary: "Concerts for the caller, from what they booked, never one they already hold",
      description: explained,
      security: bearerSecurity,
      request: { query: LimitQuery },
      responses: { 200: json(Recommendations, 'Concerts, strongest first'), ...problems(400, 401) },
    }),
    async (c) => c.json({ items: await deps.recommendations.forBuyer(c.get('user').id, c.req.valid('query').limit) }, 200),
  );
  return app;
}
