import { and, asc, eq, gt, inArray, isNotNull } from 'drizzle-orm';
import type { Db } from '../platform/db/client.js';
import { domainEvents } from './outbox-schema.js';
import { toEnvelope, type EventEnvelope } from './catalog.js';
import { NOTIFIED_AGGREGATES } from './consumers/notifications.js';

/**
 * Reads the event log (the outbox table) for a user: what an SSE client that reconnects with
 * Last-Event-ID missed. Only published events: the rest reach the stream through Kafka anyway.
 */
export class UserEventLog {
  constructor(private readonly db: Db) {}

  async since(userId: number, lastEventId: string, limit = 500): Promise<EventEnvelope[]> {
    const [last] = await this.db.select({ position: domainEvents.position }).from(domainEvents).where(eq(domainEvents.id, lastEventId)).limit(1);
    if (!last) return [];
    const rows = await this.db
      .select()
      .from(domainEvents)
      .where(
        and(
          eq(domainEvents.userId, userId),
          gt(domainEvents.position, last.position),
          inArray(domainEvents.aggregateType, [...NOTIFIED_AGGREGATES]),
          isNotNull(domainEvents.publishedAt),
        ),
      )
      .orderBy(asc(domainEvents.position))
      .limit(limit);
    return rows.map(toEnvelope);
  }
}
