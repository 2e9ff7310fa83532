import { createRoute, z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { createRouter, type AppEnv } from '../platform/http/app.js';
import type { IdempotencyStore } from '../platform/http/idempotency.js';
import { bearerSecurity, IdempotencyKeyHeader, IdParam, json, jsonBody, problems } from '../platform/http/openapi.js';
import { toWaitlistEntry, WaitlistEntry } from './representation.js';
import type { WaitlistService } from './service.js';

const label = z.string().trim().min(1).max(20);
const JoinBody = z
  .object({
    scheduleId: z.number().int().positive(),
    quantity: z.number().int().min(1).max(100).openapi({ description: "Seats wanted, 1..the schedule's per-buyer ticket limit (less what you already hold or own)" }),
    tier: label.optional().openapi({ description: 'Only seats of this price tier' }),
    section: label.optional().openapi({ description: 'Only seats of this section' }),
  })
  .strict()
  .openapi('WaitlistJoinRequest');

export function waitlistRoutes(deps: { waitlist: WaitlistService; idempotency: IdempotencyStore; auth: MiddlewareHandler<AppEnv>; rateLimit?: MiddlewareHandler | undefined }) {
  const app = createRouter();
  if (deps.rateLimit) app.use('/waitlist/*', deps.rateLimit);
  app.use('/waitlist', deps.auth);
  app.use('/waitlist/*', deps.auth);

  app.openapi(
    createRoute({
      method: 'post',
      path: '/waitlist',
      tags: ['waitlist'],
      summary: "Join a performance's waiting list for released seats",
      description:
        'Released seats (expired or cancelled holds, refunds) go to the earliest matching entry first, as an exclusive hold: a HELD ' +
        'reservation of yours with its own payment window (WAITING -> OFFERED; an SSE `WaitlistOfferMade` event and GET /waitlist show it). ' +
        'Pay it like any reservation, or decline it with DELETE /reservations/{id}; unpaid or declined, it passes to the next entry. ' +
        'One live entry per buyer and performance (409 ALREADY_ON_WAITLIST). 409 SEATS_AVAILABLE while matching seats are on the public map (hold those). ' +
        '409 TICKET_LIMIT when `quantity` is over the ticket limit left to you; 409 WAITLIST_CLOSED once the list is closed (performance cancelled); 409 SALE_NOT_OPEN outside the sale window.',
      security: bearerSecurity,
      middleware: [deps.idempotency.route('waitlist-join')],
      request: { ...jsonBody(JoinBody), headers: IdempotencyKeyHeader },
      responses: { 201: json(WaitlistEntry, 'On the list (WAITING), with its position'), ...problems(400, 401, 404, 409, 422, 429) },
    }),
    async (c) => {
      const entry = await deps.waitlist.join(c.get('user').id, c.req.valid('json'));
      return c.json(toWaitlistEntry(entry), 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/waitlist',
      tags: ['waitlist'],
      summary: 'Own waiting-list entries, newest first, with position and any offer',
      security: bearerSecurity,
      responses: { 200: json(z.object({ items: z.array(WaitlistEntry) }), 'Entries (the latest 50)'), ...problems(401) },
    }),
    async (c) => c.json({ items: (await deps.waitlist.list(c.get('user').id)).map(toWaitlistEntry) }, 200),
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/waitlist/{entryId}',
      tags: ['waitlist'],
      summary: 'Leave the waiting list',
      description: 'The entry becomes LEFT (leaving twice changes nothing). An offer already made stays your reservation: pay it or cancel it.',
      security: bearerSecurity,
      middleware: [deps.idempotency.route('waitlist-leave')],
      request: { params: IdParam('entryId'), headers: IdempotencyKeyHeader },
      responses: { 200: json(WaitlistEntry, 'Off the list'), ...problems(400, 401, 404) },
    }),
    async (c) => c.json(toWaitlistEntry(await deps.waitlist.leave(c.get('user').id, c.req.valid('param').entryId)), 200),
  );

  return app;
}
