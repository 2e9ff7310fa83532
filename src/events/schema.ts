import { char, int, mysqlTable, primaryKey, varchar } from 'drizzle-orm/mysql-core';
import { ts, createdAt, id, money } from '../platform/db/columns.js';

// Events own the consumers' dedupe table and the sales read model here; the outbox table is in
// outbox-schema.ts, because every domain database holds its own copy of it.
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
