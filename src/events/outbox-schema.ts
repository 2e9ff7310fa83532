import { char, index, int, mysqlTable, smallint, uniqueIndex, varchar } from 'drizzle-orm/mysql-core';
import { jsonText, ts, id } from '../platform/db/columns.js';

// The outbox table's shape, owned by events. Each domain database has its own copy (booking's main
// set and payment's set both generate it from this file), so a state change and its event commit in
// one local transaction; the relay publishes every domain's outbox (src/main/relay.ts).
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

