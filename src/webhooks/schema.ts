import { boolean, index, int, mysqlEnum, mysqlTable, smallint, uniqueIndex, varchar } from 'drizzle-orm/mysql-core';
import { createdAt, id, jsonText, ts } from '../platform/db/columns.js';

// Webhooks own their database (docs/webhooks.md): organisers' endpoints, one delivery per
// (endpoint, event) and the log of every attempt. Nothing else reads these tables.

/** An organiser's endpoint for one concert: where to POST, which event types, the signing secret. */
export const webhookEndpoints = mysqlTable(
  'webhook_endpoints',
  {
    id: id().autoincrement().primaryKey(),
    concertId: int('concert_id').notNull(),
    url: varchar('url', { length: 2048 }).notNull(),
    eventTypes: jsonText('event_types').notNull().$type<string[]>(),
    description: varchar('description', { length: 200 }).notNull().default(''),
    // `whsec_<base64>`: shown once at creation (and at rotation); the worker signs with it.
    secret: varchar('secret', { length: 100 }).notNull(),
    // After a rotation the old secret keeps signing (a second v1 signature) until this time.
    previousSecret: varchar('previous_secret', { length: 100 }),
    previousSecretExpiresAt: ts('previous_secret_expires_at'),
    enabled: boolean('enabled').notNull().default(true),
    // Why it is disabled: DISABLED_BY_ORGANISER, or GONE (the receiver answered 410).
    disabledReason: varchar('disabled_reason', { length: 40 }),
    createdBy: int('created_by').notNull(),
    createdAt: createdAt(),
    updatedAt: ts('updated_at').notNull().$defaultFn(() => new Date()),
  },
  (t) => [index('webhook_endpoints_concert_idx').on(t.concertId)],
);

/**
 * One event for one endpoint: the message (its `webhook-id` and body, fixed once, so every retry and
 * replay sends the same bytes) and where its delivery stands. Unique per (endpoint, event), so a
 * redelivered Kafka message finds the row it made.
 */
export const webhookDeliveries = mysqlTable(
  'webhook_deliveries',
  {
    id: id().autoincrement().primaryKey(),
    endpointId: id('endpoint_id').notNull(),
    eventId: varchar('event_id', { length: 36 }).notNull(),
    eventType: varchar('event_type', { length: 60 }).notNull(),
    messageId: varchar('message_id', { length: 80 }).notNull(),
    body: jsonText('body').notNull(),
    status: mysqlEnum('status', ['PENDING', 'DELIVERED', 'FAILED', 'CANCELLED']).notNull().default('PENDING'),
    // The Temporal workflow now driving it: the first run, or a replay's.
    workflowId: varchar('workflow_id', { length: 120 }).notNull(),
    replays: smallint('replays').notNull().default(0),
    attempts: int('attempts').notNull().default(0),
    lastStatusCode: smallint('last_status_code'),
    lastLatencyMs: int('last_latency_ms'),
    lastError: varchar('last_error', { length: 300 }),
    nextAttemptAt: ts('next_attempt_at'),
    createdAt: createdAt(),
    finishedAt: ts('finished_at'),
  },
  (t) => [uniqueIndex('webhook_deliveries_endpoint_event_uq').on(t.endpointId, t.eventId), index('webhook_deliveries_endpoint_idx').on(t.endpointId, t.id)],
);

/**
 * Every HTTP request sent: when, which run (0 = first, n = n-th replay) and attempt, the answer or the
 * error, the latency. Append-only: an attempt whose activity ran again (its worker died after the
 * POST) is logged twice under its number, as the receiver saw it twice (with the same webhook-id).
 */
export const webhookAttempts = mysqlTable(
  'webhook_attempts',
  {
    id: id().autoincrement().primaryKey(),
    deliveryId: id('delivery_id').notNull(),
    run: smallint('run').notNull(),
    attempt: int('attempt').notNull(),
    statusCode: smallint('status_code'),
    latencyMs: int('latency_ms').notNull(),
    error: varchar('error', { length: 300 }),
    attemptedAt: createdAt(),
  },
  (t) => [index('webhook_attempts_delivery_idx').on(t.deliveryId, t.id)],
);
