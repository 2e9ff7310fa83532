import { char, index, int, mysqlTable, primaryKey, smallint, uniqueIndex, varchar } from 'drizzle-orm/mysql-core';
import { jsonText, ts, createdAt, id, money } from '../platform/db/columns.js';

// Events own the outbox/event log, the consumers' dedupe table and the sales read model.
/** Transactional outbox and append-only event log in one table. */
export const domainEvents = mysqlTable(
  'domain_events',
  {
    position: id('position').autoincrement().primaryKey(),
    id: char('id', { length: 36 }).notNull().unique(),
    type: varchar('type', { length: 64 }).notNull(),
    schemaVersion: smallint('schema_version').notNull(),
    aggregateType: varchar('aggregate_type', { length: 32 }).notNull(),
    aggregateId: varchar('aggregate_id', { length: 64 }).notNull(),
    sequence: int('sequence').notNull(),
    userId: id('user_id'),
    payload: jsonText('payload').notNull(),
    occurredAt: ts('occurred_at').notNull(),
    publishedAt: ts('published_at'),
  },
  (t) => [
    uniqueIndex('domain_events_aggregate_seq_uq').on(t.aggregateType, t.aggregateId, t.sequence),
    index('domain_events_unpublished_idx').on(t.publishedAt, t.position),
  ],
);

export const processedEvents = mysqlTable(
  'processed_events',
  {
    consumer: varchar('consumer', { length: 64 }).notNull(),
    eventId: char('event_id', { length: 36 }).notNull(),
    processedAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.consumer, t.eventId] })],
);

/**
 * The events the sales read model has applied (its dedup ledger), beside the figures so a rebuild
 * swaps both in one RENAME TABLE (src/events/read-model-rebuild.ts).
 */
export const scheduleSalesApplied = mysqlTable('schedule_sales_applied', {
  eventId: char('event_id', { length: 36 }).primaryKey(),
  appliedAt: createdAt(),
});

/** Read model: sales per schedule, maintained by a Kafka consumer. */
export const scheduleSales = mysqlTable('schedule_sales', {
  scheduleId: id('schedule_id').primaryKey(),
  reservationsStarted: int('reservations_started').notNull().default(0),
  reservationsConfirmed: int('reservations_confirmed').notNull().default(0),
  seatsHeld: int('seats_held').notNull().default(0),
  seatsSold: int('seats_sold').notNull().default(0),
  revenue: money('revenue').notNull().default(0),
  updatedAt: ts('updated_at').notNull().$defaultFn(() => new Date()),
});
