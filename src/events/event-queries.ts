import { and, eq, inArray, sql } from 'drizzle-orm';
import type { DbOrTx } from '../platform/db/client.js';
import type { AggregateType, EventType } from './catalog.js';
import { domainEvents } from './outbox-schema.js';

/**
 * Reads of the event log for capabilities that keep part of their history there (ticketing's door
 * scans: docs/tickets.md "Offline scanning"). By aggregate: the prefix of the unique
 * (aggregate_type, aggregate_id, sequence) index, so each aggregate is one index range.
 */
export interface LoggedEvent {
  payload: Record<string, unknown>;
  occurredAt: Date;
}

const parsed = (payload: unknown) => (typeof payload === 'string' ? JSON.parse(payload) : payload) as Record<string, unknown>;

/** The first event of `type` on the aggregate whose payload has `value` at the JSON path (e.g. `$.offline.scanId`). */
export async function findEventByPayload(db: DbOrTx, q: { aggregateType: AggregateType; aggregateId: string; type: EventType; jsonPath: string; value: string }): Promise<LoggedEvent | undefined> {
  const [row] = await db
    .select({ payload: domainEvents.payload, occurredAt: domainEvents.occurredAt })
    .from(domainEvents)
    .where(and(eq(domainEvents.aggregateType, q.aggregateType), eq(domainEvents.aggregateId, q.aggregateId), eq(domainEvents.type, q.type), sql`JSON_VALUE(${domainEvents.payload}, ${q.jsonPath}) = ${q.value}`))
    .limit(1);
  return row && { payload: parsed(row.payload), occurredAt: row.occurredAt };
}

/** Every event of `type` on the given aggregates, in chunks of 1,000 ids. */
export async function eventsOfAggregates(db: DbOrTx, q: { aggregateType: AggregateType; aggregateIds: string[]; type: EventType }): Promise<LoggedEvent[]> {
  const out: LoggedEvent[] = [];
  for (let i = 0; i < q.aggregateIds.length; i += 1000) {
    const rows = await db
      .select({ payload: domainEvents.payload, occurredAt: domainEvents.occurredAt })
      .from(domainEvents)
      .where(and(eq(domainEvents.aggregateType, q.aggregateType), inArray(domainEvents.aggregateId, q.aggregateIds.slice(i, i + 1000)), eq(domainEvents.type, q.type)));
    out.push(...rows.map((r) => ({ payload: parsed(r.payload), occurredAt: r.occurredAt })));
  }
  return out;
}
