import { createRoute, z } from '@hono/zod-openapi';
import type { Context, MiddlewareHandler } from 'hono';
import { createRouter, type AppEnv } from '../platform/http/app.js';
import type { IdempotencyStore } from '../platform/http/idempotency.js';
import { bearerSecurity, canonicalPositiveInt, IdempotencyKeyHeader, IdParam, json, jsonBody, problems } from '../platform/http/openapi.js';
import type { AttemptRow, DeliveryRow } from './deliveries.js';
import type { EndpointRow } from './endpoints.js';
import { WEBHOOK_EVENT_TYPES } from './event-types.js';
import type { WebhooksService } from './service.js';

const EventTypes = z
  .array(z.string().min(1).max(60))
  .min(1)
  .max(50)
  .openapi({ description: 'Types from the event catalog (GET /admin/webhooks/event-types lists those about a concert)', example: ['ReservationConfirmed', 'ScheduleChanged'] });
const Url = z.string().min(1).max(2048).openapi({ description: 'https (http only for localhost outside production)', example: 'https://organiser.example/hooks/concert' });

const NewEndpointBody = z.object({ url: Url, eventTypes: EventTypes, description: z.string().max(200).default('') }).strict().openapi('NewWebhookEndpoint');
const EndpointChangeBody = z
  .object({ url: Url.optional(), eventTypes: EventTypes.optional(), description: z.string().max(200).optional(), enabled: z.boolean().optional() })
  .strict()
  .refine((b) => Object.keys(b).length > 0, { message: 'name at least one field to change' })
  .openapi('WebhookEndpointChange', { minProperties: 1 });

const Endpoint = z
  .object({
    id: z.number().int(),
    concertId: z.number().int(),
    url: z.string(),
    eventTypes: z.array(z.string()),
    description: z.string(),
    enabled: z.boolean(),
    disabledReason: z.enum(['DISABLED_BY_ORGANISER', 'GONE']).nullable().openapi({ description: 'GONE: the receiver answered 410' }),
    previousSecretExpiresAt: z.string().nullable().openapi({ description: 'After a rotation, until when the old secret still signs too' }),
    createdAt: z.string(),
  })
  .openapi('WebhookEndpoint');
const EndpointWithSecret = Endpoint.extend({ secret: z.string().openapi({ description: 'whsec_...: shown only now; keep it to verify webhook-signature', example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' }) }).openapi('WebhookEndpointWithSecret');

const Delivery = z
  .object({
    id: z.number().int(),
    endpointId: z.number().int(),
    eventId: z.string(),
    eventType: z.string(),
    webhookId: z.string().openapi({ description: 'The webhook-id header: the same on every retry and replay' }),
    status: z.enum(['PENDING', 'DELIVERED', 'FAILED', 'CANCELLED']),
    attempts: z.number().int(),
    replays: z.number().int(),
    lastStatusCode: z.number().int().nullable(),
    lastLatencyMs: z.number().int().nullable(),
    lastError: z.string().nullable(),
    nextAttemptAt: z.string().nullable(),
    createdAt: z.string(),
    finishedAt: z.string().nullable(),
  })
  .openapi('WebhookDelivery');
const Attempt = z
  .object({ run: z.number().int().openapi({ description: '0: first run; n: the n-th replay' }), attempt: z.number().int(), statusCode: z.number().int().nullable(), latencyMs: z.number().int(), error: z.string().nullable(), attemptedAt: z.string() })
  .openapi('WebhookAttempt');

const iso = (d: Date | null) => d?.toISOString() ?? null;
const endpointView = (e: EndpointRow) => ({
  id: e.id,
  concertId: e.concertId,
  url: e.url,
  eventTypes: e.eventTypes,
  description: e.description,
  enabled: e.enabled,
  disabledReason: e.disabledReason as 'DISABLED_BY_ORGANISER' | 'GONE' | null,
  previousSecretExpiresAt: iso(e.previousSecretExpiresAt),
  createdAt: e.createdAt.toISOString(),
});
const deliveryView = (d: DeliveryRow) => ({
  id: d.id,
  endpointId: d.endpointId,
  eventId: d.eventId,
  eventType: d.eventType,
  webhookId: d.messageId,
  status: d.status,
  attempts: d.attempts,
  replays: d.replays,
  lastStatusCode: d.lastStatusCode,
  lastLatencyMs: d.lastLatencyMs,
  lastError: d.lastError,
  nextAttemptAt: iso(d.nextAttemptAt),
  createdAt: d.createdAt.toISOString(),
  finishedAt: iso(d.finishedAt),
});
const attemptView = (a: AttemptRow) => ({ run: a.run, attempt: a.attempt, statusCode: a.statusCode, latencyMs: a.latencyMs, error: a.error, attemptedAt: a.attemptedAt.toISOString() });

const EndpointParam = IdParam('endpointId');
const DeliveryParam = IdParam('deliveryId');
const audit = (c: Context<AppEnv>, action: string, attrs: Record<string, unknown>) => c.get('log').info({ audit: true, action, ...attrs }, `admin ${action}`);

/**
 * Organisers' webhooks (ADMIN, docs/webhooks.md): register endpoints per concert, list, change,
 * enable or disable, rotate the secret, delete; follow deliveries and replay one. Every change
 * honours Idempotency-Key. An answer holding a secret (registration, rotation) is not stored with
 * its key: a repeat answers the status without the secret, so no secret lands outside webhooks'
 * database (a client that lost it rotates).
 */
export function organiserWebhookRoutes(deps: { webhooks: WebhooksService; auth: MiddlewareHandler<AppEnv>; requireAdmin: MiddlewareHandler<AppEnv>; auditForbidden: MiddlewareHandler<AppEnv>; idempotency: IdempotencyStore }) {
  const app = createRouter();
  app.use('/admin/webhooks/*', deps.auditForbidden, deps.auth, deps.requireAdmin);
  const route = <T extends Parameters<typeof createRoute>[0]>(r: T) => createRoute({ tags: ['webhooks'], security: bearerSecurity, ...r });

  app.openapi(
    route({
      method: 'get',
      path: '/admin/webhooks/event-types',
      summary: 'The event types an endpoint may subscribe to (catalog types about a concert or its schedules)',
      responses: { 200: json(z.object({ eventTypes: z.array(z.string()) }), 'Event types'), ...problems(401, 403) },
    }),
    (c) => c.json({ eventTypes: [...WEBHOOK_EVENT_TYPES] }, 200),
  );

  app.openapi(
    route({
      method: 'post',
      path: '/admin/webhooks/concerts/{concertId}/endpoints',
      summary: "Register a webhook endpoint for a concert's events; answers its signing secret, once",
      middleware: [deps.idempotency.route('webhooks.endpoint.create', { secretBody: true })],
      request: { params: IdParam('concertId'), headers: IdempotencyKeyHeader, ...jsonBody(NewEndpointBody) },
      responses: { 201: json(EndpointWithSecret, 'Registered'), ...problems(400, 401, 403, 404, 422) },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const endpoint = await deps.webhooks.register({ concertId: c.req.valid('param').concertId, ...body, createdBy: c.get('user').id });
      audit(c, 'webhook.register', { endpointId: endpoint.id, concertId: endpoint.concertId });
      return c.json({ ...endpointView(endpoint), secret: endpoint.secret }, 201);
    },
  );

  app.openapi(
    route({
      method: 'get',
      path: '/admin/webhooks/concerts/{concertId}/endpoints',
      summary: "A concert's webhook endpoints (without their secrets)",
      request: { params: IdParam('concertId') },
      responses: { 200: json(z.object({ items: z.array(Endpoint) }), 'Endpoints'), ...problems(400, 401, 403, 404) },
    }),
    async (c) => c.json({ items: (await deps.webhooks.forConcert(c.req.valid('param').concertId)).map(endpointView) }, 200),
  );

  app.openapi(
    route({ method: 'get', path: '/admin/webhooks/endpoints/{endpointId}', summary: 'One webhook endpoint', request: { params: EndpointParam }, responses: { 200: json(Endpoint, 'Endpoint'), ...problems(400, 401, 403, 404) } }),
    async (c) => c.json(endpointView(await deps.webhooks.endpoint(c.req.valid('param').endpointId)), 200),
  );

  app.openapi(
    route({
      method: 'patch',
      path: '/admin/webhooks/endpoints/{endpointId}',
      summary: 'Change an endpoint: URL, event types, description, enabled (disabling stops its pending deliveries)',
      middleware: [deps.idempotency.route('webhooks.endpoint.change')],
      request: { params: EndpointParam, headers: IdempotencyKeyHeader, ...jsonBody(EndpointChangeBody) },
      responses: { 200: json(Endpoint, 'Changed'), ...problems(400, 401, 403, 404, 422) },
    }),
    async (c) => {
      const { endpointId } = c.req.valid('param');
      const body = c.req.valid('json');
      const endpoint = await deps.webhooks.change(endpointId, body);
      audit(c, 'webhook.change', { endpointId, fields: Object.keys(body) });
      return c.json(endpointView(endpoint), 200);
    },
  );

  app.openapi(
    route({
      method: 'post',
      path: '/admin/webhooks/endpoints/{endpointId}/secret-rotation',
      summary: 'A new signing secret, answered once; the old one keeps signing beside it for WEBHOOK_SECRET_OVERLAP_MS (24 h)',
      middleware: [deps.idempotency.route('webhooks.endpoint.rotate', { secretBody: true })],
      request: { params: EndpointParam, headers: IdempotencyKeyHeader },
      responses: { 200: json(EndpointWithSecret, 'Rotated'), ...problems(400, 401, 403, 404, 422) },
    }),
    async (c) => {
      const { endpointId } = c.req.valid('param');
      const endpoint = await deps.webhooks.rotateSecret(endpointId);
      audit(c, 'webhook.rotate-secret', { endpointId });
      return c.json({ ...endpointView(endpoint), secret: endpoint.secret }, 200);
    },
  );

  app.openapi(
    route({
      method: 'delete',
      path: '/admin/webhooks/endpoints/{endpointId}',
      summary: 'Delete an endpoint (its pending deliveries stop; the delivery log stays)',
      middleware: [deps.idempotency.route('webhooks.endpoint.delete')],
      request: { params: EndpointParam, headers: IdempotencyKeyHeader },
      responses: { 204: { description: 'Deleted' }, ...problems(400, 401, 403, 404, 422) },
    }),
    async (c) => {
      const { endpointId } = c.req.valid('param');
      await deps.webhooks.remove(endpointId);
      audit(c, 'webhook.delete', { endpointId });
      return c.body(null, 204);
    },
  );

  app.openapi(
    route({
      method: 'get',
      path: '/admin/webhooks/endpoints/{endpointId}/deliveries',
      summary: "An endpoint's deliveries, newest first: status, attempts, last answer and latency, next attempt",
      request: { params: EndpointParam, query: z.object({ before: canonicalPositiveInt().optional().openapi({ type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'Page: deliveries with a smaller id' }), limit: canonicalPositiveInt(100).default(50).openapi({ type: 'integer', minimum: 1, maximum: 100, default: 50 }) }) },
      responses: { 200: json(z.object({ items: z.array(Delivery) }), 'Deliveries'), ...problems(400, 401, 403, 404) },
    }),
    async (c) => {
      const { before, limit } = c.req.valid('query');
      const rows = await deps.webhooks.deliveriesOf(c.req.valid('param').endpointId, { before, limit });
      return c.json({ items: rows.map(deliveryView) }, 200);
    },
  );

  app.openapi(
    route({
      method: 'get',
      path: '/admin/webhooks/deliveries/{deliveryId}',
      summary: 'One delivery with every attempt (run, status code or error, latency)',
      request: { params: DeliveryParam },
      responses: { 200: json(Delivery.extend({ attemptLog: z.array(Attempt) }), 'Delivery'), ...problems(400, 401, 403, 404) },
    }),
    async (c) => {
      const { delivery, attempts } = await deps.webhooks.delivery(c.req.valid('param').deliveryId);
      return c.json({ ...deliveryView(delivery), attemptLog: attempts.map(attemptView) }, 200);
    },
  );

  app.openapi(
    route({
      method: 'post',
      path: '/admin/webhooks/deliveries/{deliveryId}/replay',
      summary: 'Send a finished delivery again (a new run, the same webhook-id and body, so the receiver dedupes)',
      middleware: [deps.idempotency.route('webhooks.delivery.replay')],
      request: { params: DeliveryParam, headers: IdempotencyKeyHeader },
      responses: { 202: json(Delivery, 'Replay started'), ...problems(400, 401, 403, 404, 409, 422) },
    }),
    async (c) => {
      const { deliveryId } = c.req.valid('param');
      const delivery = await deps.webhooks.replay(deliveryId);
      audit(c, 'webhook.replay', { deliveryId, replay: delivery.replays });
      return c.json(deliveryView(delivery), 202);
    },
  );

  return app;
}
