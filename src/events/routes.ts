import { createRoute, z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { streamSSE } from 'hono/streaming';
import { createRouter, type AppEnv } from '../platform/http/app.js';
import { bearerSecurity, problems } from '../platform/http/openapi.js';
import { DomainError } from '../shared/errors.js';
import type { EventEnvelope } from './catalog.js';
import type { NotificationHub } from './notification-hub.js';

/** A stream this far behind its client is dropped; the client reconnects and reloads its state. */
const MAX_PENDING_WRITES = 200;

export function eventRoutes(deps: { hub: NotificationHub; auth: MiddlewareHandler<AppEnv>; keepAliveMs: number }) {
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
        'subscription; `: keep-alive` comments keep idle connections open. Only events from the time of connection on are sent.',
      security: bearerSecurity,
      responses: {
        200: { content: { 'text/event-stream': { schema: z.string() } }, description: 'An event stream' },
        ...problems(401, 429),
      },
    }),
    (c) => {
      const userId = c.get('user').id;
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
        const unsubscribe = deps.hub.subscribe(userId, {
          send: (e: EventEnvelope) => enqueue(() => stream.writeSSE({ id: e.id, event: e.type, data: JSON.stringify(e) })),
          close: () => finish(),
        });
        if (!unsubscribe) return; // lost a race for the last free slot
        stream.onAbort(() => finish());
        const keepAlive = setInterval(() => enqueue(() => stream.write(': keep-alive\n\n')), deps.keepAliveMs);
        try {
          enqueue(() => stream.writeSSE({ event: 'ready', data: JSON.stringify({ userId }), retry: 3000 }));
          await finished;
        } finally {
          clearInterval(keepAlive);
          unsubscribe();
        }
      }) as never;
    },
  );

  return app;
}
