import { createRoute, z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { streamSSE } from 'hono/streaming';
import { answerWhateverTheDeadline, createRouter, type AppEnv } from '../platform/http/app.js';
import type { IdempotencyStore } from '../platform/http/idempotency.js';
import { bearerSecurity, eventStreamResponse, IdempotencyKeyHeader, json, jsonBody, problems } from '../platform/http/openapi.js';
import { DomainError } from '../shared/errors.js';
import { JoinShedder } from './join-shedding.js';
import type { QueueService } from './service.js';

export const QueueTokenView = z
  .object({
    token: z.string().openapi({ description: 'Send as X-Queue-Token on booking requests and status polls' }),
    scheduleId: z.number().int(),
    status: z.enum(['WAITING', 'ACTIVE', 'EXPIRED']),
    position: z.number().int().nullable().openapi({ description: '1 = next to be admitted; null when not waiting, or in the pre-queue before the opening draw' }),
    estimatedWaitSeconds: z.number().int().nullable(),
    activeUntil: z.string().nullable().openapi({ description: 'When an ACTIVE token expires' }),
    opensAt: z.string().nullable().openapi({ description: 'Sale opening, while in the pre-queue (order drawn at random then)' }),
    reason: z
      .enum(['EXPIRED', 'USED', 'DROPPED', 'SOLD_OUT', 'CLOSED', 'UNKNOWN'])
      .nullable()
      .openapi({ description: 'Why an EXPIRED token ended: SOLD_OUT (every seat sold) and CLOSED (sale window over) end the wait for everyone still waiting' }),
    pollAfterMs: z
      .number()
      .int()
      .nullable()
      .openapi({ description: 'Ask again after this many ms (1 s near the front, up to 20 s far back); null when not WAITING. Or long-poll (`?wait=25`) or use the SSE stream, which hear of a change at once.' }),
  })
  .openapi('QueueToken');

const JoinBody = z.object({ scheduleId: z.number().int().positive().max(2 ** 53 - 1) }).strict().openapi('JoinQueueRequest');
/** Longest a long poll holds the request: under the 30 s after which a silent waiter is dropped. */
const MAX_WAIT_SECONDS = 25;
const PollQuery = z
  .object({
    wait: z.coerce
      .number()
      .int()
      .min(0)
      .max(MAX_WAIT_SECONDS)
      .optional()
      .openapi({ description: `Long poll: while WAITING, hold the answer until the status changes (admitted, sale ended, dropped) or this many seconds pass (at most ${MAX_WAIT_SECONDS})` }),
  })
  .strict();
/**
 * A long poll waits a random 80-100 % of what was asked: waiters who joined in one spike would all
 * reach the end of their wait together, every round, and a process answers thousands at once no
 * faster than one at a time. Spread, they come back over a fifth of the wait.
 */
export const spreadWaitMs = (waitSeconds: number, random: number) => Math.round(waitSeconds * 1000 * (0.8 + 0.2 * random));

const TokenHeader = z.object({
  'x-queue-token': z.string().max(256).optional().openapi({ param: { name: 'x-queue-token', in: 'header' }, description: 'The waiting-room token' }),
});

export function queueRoutes(deps: {
  queue: QueueService;
  auth: MiddlewareHandler<AppEnv>;
  sseIntervalMs: number;
  idempotency: IdempotencyStore;
  rateLimit?: MiddlewareHandler | undefined;
  /** Joins under way in this process beyond which a join is shed (503 + Retry-After) before any work. */
  joinMaxInFlight?: number;
  /** A join's request deadline: a join this process would not start within it is shed at entry (join-shedding.ts). */
  joinDeadlineMs?: number;
  /** Joins a second a fresh process assumes until it has measured its own (QUEUE_JOIN_RATE_FLOOR). */
  joinRateFloor?: number;
  /** The long poll's spread (tests pin it); default Math.random. */
  random?: () => number;
}) {
  const app = createRouter();
  const random = deps.random ?? Math.random;
  // First of all: a shed join costs nothing (no rate-limit count, no token check, no Redis).
  if (deps.joinMaxInFlight) app.use('/queue/tokens', new JoinShedder({ maxInFlight: deps.joinMaxInFlight, withinMs: deps.joinDeadlineMs ?? 0, rateFloorPerSecond: deps.joinRateFloor ?? 0 }).middleware);
  // The 'queue' abuse limit (per IP and per user), before auth so floods are refused cheaply.
  if (deps.rateLimit) app.use('/queue/*', deps.rateLimit);
  app.use('/queue/*', deps.auth);

  app.openapi(
    createRoute({
      method: 'post',
      path: '/queue/tokens',
      tags: ['queue'],
      summary: "Join a schedule's waiting room (asking again returns the same token and place)",
      security: bearerSecurity,
      middleware: [deps.idempotency.route('queue.join')],
      request: { ...jsonBody(JoinBody), headers: IdempotencyKeyHeader },
      responses: { 200: json(QueueTokenView, 'Your token, status, position and estimated wait'), ...problems(400, 401, 404, 409, 422, 429) },
    }),
    // Once the Redis step starts the place may exist: answer it however late (never 503 after it).
    async (c) => c.json(await deps.queue.join(c.get('user').id, c.req.valid('json').scheduleId, () => answerWhateverTheDeadline(c)), 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/queue/tokens/current',
      tags: ['queue'],
      summary: 'Status, position and estimated wait of a token; polling keeps a waiter in the queue',
      description: 'Answered from the API process\'s snapshot of the line (no per-poll Redis work). With `?wait=N` it is a long poll: the answer comes when the status changes or after N seconds. Use the `token` of the latest answer for the next request.',
      security: bearerSecurity,
      request: { headers: TokenHeader, query: PollQuery },
      responses: { 200: json(QueueTokenView, 'Current state'), ...problems(400, 401, 403, 404) },
    }),
    async (c) => {
      const userId = c.get('user').id;
      const token = c.req.valid('header')['x-queue-token'];
      const wait = c.req.valid('query').wait;
      if (!wait) return c.json(await deps.queue.poll(userId, token), 200);
      return c.json(await deps.queue.pollUntilChange(userId, token, spreadWaitMs(wait, random()), c.req.raw.signal), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/queue/tokens/current/stream',
      tags: ['queue'],
      summary: 'Server-Sent Events: a `status` event (QueueToken JSON) on every change; an open stream keeps a waiter in the queue',
      description: 'Ends after an EXPIRED status. Send the token in X-Queue-Token (or `token` query parameter for clients that cannot set headers).',
      security: bearerSecurity,
      request: { headers: TokenHeader, query: z.object({ token: z.string().max(256).optional() }).strict() },
      responses: {
        200: eventStreamResponse('Event stream', [
          { event: 'status', data: { $ref: '#/components/schemas/QueueToken' }, description: 'The token changed' },
          { event: 'error', data: z.object({ code: z.string() }), description: 'The status could not be read; the stream ends' },
        ]),
        ...problems(400, 401, 403, 404),
      },
    }),
    async (c) => {
      const userId = c.get('user').id;
      const token = c.req.valid('header')['x-queue-token'] ?? c.req.valid('query').token;
      // Validate before the stream starts, so a bad token is a normal problem response.
      const first = await deps.queue.poll(userId, token);
      return streamSSE(c, async (stream) => {
        let aborted = false;
        const closed = new AbortController();
        stream.onAbort(() => {
          aborted = true;
          closed.abort();
        });
        let view = first;
        let last = '';
        let lastWrite = 0;
        for (let id = 1; !aborted; id++) {
          const data = JSON.stringify(view);
          if (data !== last) {
            await stream.writeSSE({ event: 'status', data, id: String(id) });
            last = data;
            lastWrite = Date.now();
          } else if (Date.now() - lastWrite > 15_000) {
            await stream.write(': keep-alive\n\n');
            lastWrite = Date.now();
          }
          if (view.status === 'EXPIRED') break;
          // Re-check the position at the pace a poller would (1 s near the front, up to 15 s far
          // back, so the keep-alive still flows every 15 s), but wake at once when the status
          // changes (admission, the sale's end): open streams cost memory, not Redis commands.
          const pace = Math.min(15_000, Math.max(deps.sseIntervalMs, view.pollAfterMs ?? 0));
          await deps.queue.changed(view, pace, closed.signal);
          if (aborted) break;
          try {
            view = await deps.queue.poll(userId, view.token);
          } catch (err) {
            const code = err instanceof DomainError ? err.code : 'SERVICE_UNAVAILABLE';
            await stream.writeSSE({ event: 'error', data: JSON.stringify({ code }) });
            break;
          }
        }
      }) as never;
    },
  );

  return app;
}
