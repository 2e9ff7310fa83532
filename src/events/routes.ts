import { createRoute, z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { streamSSE } from 'hono/streaming';
import { createRouter, type AppEnv } from '../platform/http/app.js';
import { bearerSecurity, eventStreamResponse, problems } from '../platform/http/openapi.js';
import { DomainError } from '../shared/errors.js';
import { envelopeSchema, type EventEnvelope } from './catalog.js';
import type { UserEventLog } from './event-log.js';
import type { NotificationHub } from './notification-hub.js';
import { RecentIds } from './recent-ids.js';

/** A stream this far behind its client is dropped; the client reconnects and reloads its state. */
const MAX_PENDING_WRITES = 200;

export function eventRoutes(deps: { hub: NotificationHub; history: UserEventLog; auth: MiddlewareHandler<AppEnv>; keepAliveMs: number }) {
  const app = createRouter();
  app.use('/events/stream', deps.auth);

  app.openapi(
    createRoute({
      method: 'get',
      path: '/events/stream',
      tags: ['events'],
      summary: "Server-sent events: the caller's own reservation, payment, wallet and queue events as they happen",
      description:
        'Each message has `id:` = event id, `event:` = event type and `data:` = the event envelope (JSON). A `ready` event follows the ' +
        'subscription; `: keep-alive` comments keep idle connections open. A client reconnecting with `Last-Event-ID` first gets the ' +
        'events it missed (up to 500, from the event log), then live ones. The stream ends when the access token expires.',
      security: bearerSecurity,
      request: {
        headers: z.object({
          'last-event-id': z.string().uuid().optional().openapi({ param: { name: 'last-event-id', in: 'header' }, description: 'Resume after this event' }),
        }),
      },
      responses: {
        200: eventStreamResponse('An event stream', [
          { event: { description: 'The event type (docs/events.md), e.g. ReservationHeld' }, data: envelopeSchema, description: 'A domain event; `id` is the event id' },
          { event: 'ready', data: z.object({ userId: z.number().int() }), description: 'The subscription is live' },
        ]),
        ...problems(401, 429),
      },
    }),
    (c) => {
      const userId = c.get('user').id;
      const lastEventId = c.req.valid('header')['last-event-id'];
      if (!deps.hub.hasRoomFor(userId)) throw new DomainError('RATE_LIMITED', 'Too many open event streams for this user; close one first');
      return streamSSE(c, async (stream) => {
        let finish!: () => void;
        const finished = new Promise<void>((resolve) => (finish = resolve));
        let chain = Promise.resolve();
        let pending = 0;
        // Writes go out one at a time, in arrival order; a failed write means the client is gone.
        const enqueue = (write: () => Promise<unknown>) => {
          if (++pending > MAX_PENDING_WRITES) return finish();
          chain = chain.then(write).then(
            () => void pending--,
            () => finish(),
          );
        };
        // An event can come both from the backlog and live (published while catching up): send once.
        const sent = new RecentIds(1000);
        const send = (e: EventEnvelope) => sent.add(e.id) && enqueue(() => stream.writeSSE({ id: e.id, event: e.type, data: JSON.stringify(e) }));
        // Live events wait while the backlog is read, so the client sees them in log order.
        let held: EventEnvelope[] | undefined = lastEventId ? [] : undefined;
        const unsubscribe = deps.hub.subscribe(userId, {
          send: (e: EventEnvelope) => (held ? held.push(e) : send(e)),
          close: () => finish(),
        });
        if (!unsubscribe) return; // lost a race for the last free slot
        stream.onAbort(() => finish());
        const keepAlive = setInterval(() => enqueue(() => stream.write(': keep-alive\n\n')), deps.keepAliveMs);
        const expiresAt = c.get('user').tokenExpiresAt;
        const expiry = expiresAt ? setTimeout(() => finish(), Math.max(0, expiresAt * 1000 - Date.now())) : undefined;
        try {
          enqueue(() => stream.writeSSE({ event: 'ready', data: JSON.stringify({ userId }), retry: 3000 }));
          if (lastEventId) {
            // Unreadable backlog: end the stream rather than go live with a gap the client cannot
            // see; its EventSource reconnects (retry: 3000) with the same Last-Event-ID. An id not
            // in the log (purged, or never ours) has no backlog: the stream goes live from now.
            const backlog = await deps.history.since(userId, lastEventId).catch(() => undefined);
            if (!backlog) return;
            for (const e of [...backlog, ...(held ?? [])]) send(e);
            held = undefined;
          }
          await finished;
        } finally {
          clearInterval(keepAlive);
          clearTimeout(expiry);
          unsubscribe();
        }
      }) as never;
    },
  );

  return app;
}
