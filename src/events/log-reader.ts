import { and, asc, eq, gt, inArray } from 'drizzle-orm';
import type { Db } from '../platform/db/client.js';
import { parseEnvelope, toEnvelope, type EventEnvelope } from './catalog.js';
import { domainEvents } from './outbox-schema.js';

/**
 * Reads the event log (the outbox table, which keeps every event for good) for replay: one
 * aggregate's events, or everything of some aggregate types in log order. Every event comes out
 * upcast to its type's current version, as consumers expect it.
 */
export class EventLogReader {
  constructor(private readonly db: Db) {}

  async aggregate(aggregateType: string, aggregateId: string): Promise<EventEnvelope[]> {
    const rows = await this.db
      .select()
      .from(domainEvents)
      .where(and(eq(domainEvents.aggregateType, aggregateType), eq(domainEvents.aggregateId, aggregateId)))
      .orderBy(asc(domainEvents.sequence));
    return rows.map((r) => parseEnvelope(toEnvelope(r)));
  }

  /** The log of these aggregate types in position order, a page at a time. */
  async *scan(aggregateTypes: readonly string[], pageSize = 2000): AsyncGenerator<EventEnvelope[]> {
    let after = 0;
    for (;;) {
      const rows = await this.db
        .select()
        .from(domainEvents)
        .where(and(gt(domainEvents.position, after), inArray(domainEvents.aggregateType, [...aggregateTypes])))
        .orderBy(asc(domainEvents.position))
        .limit(pageSize);
      if (rows.length === 0) return;
      after = rows[rows.length - 1]!.position;
      yield rows.map((r) => parseEnvelope(toEnvelope(r)));
    }
  }

  async byIds(ids: readonly string[]): Promise<EventEnvelope[]> {
    if (ids.length === 0) return [];
    const rows = await this.db.select().from(domainEvents).where(inArray(domainEvents.id, [...ids])).orderBy(asc(domainEvents.position));
    return rows.map((r) => parseEnvelope(toEnvelope(r)));
  }
}
