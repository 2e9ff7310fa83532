import { randomUUID } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import type { DbOrTx } from '../platform/db/client.js';
import { domainEvents } from './outbox-schema.js';
import { eventCatalog, type EventPayloadInput, type EventType } from './catalog.js';
import { undocumentedFields } from './contract-check.js';

/**
 * EVENTS_CONTRACT_CHECK=strict (set for the test suite in vitest.config.ts): an event whose payload
 * carries a field its contract does not name fails the append, and so the test that produced it.
 * Outside tests the schema still validates every payload, and unknown fields are dropped.
 */
const strictContracts = () => process.env.EVENTS_CONTRACT_CHECK === 'strict';

/**
 * Appends an event to the outbox / event log inside the caller's transaction, so the event exists
 * exactly when the state change it describes does. The sequence is per aggregate: most callers
 * already hold the aggregate's row lock; where two still race (e.g. audit events of one admin), the
 * unique (aggregate, sequence) index refuses one and withTransaction runs it again.
 */
export async function appendEvent<T extends EventType>(
  tx: DbOrTx,
  type: T,
  aggregateId: string | number,
  payload: EventPayloadInput<T>,
  opts: { userId?: number | null; occurredAt?: Date; first?: boolean } = {},
): Promise<string> {
  const def = eventCatalog[type];
  const parsed = def.payload.parse(payload);
  if (strictContracts()) {
    const extra = undocumentedFields(payload, parsed);
    if (extra.length > 0) throw new Error(`${type} payload has fields its contract does not name: ${extra.join(', ')} (src/events/catalog.ts)`);
  }
  const aggId = String(aggregateId);
  // The event that creates its aggregate (a reservation's hold, a payment) is number 1: no lookup.
  // Were it not the first after all, the unique (aggregate, sequence) index refuses it and the
  // transaction fails instead of writing a second "first" event.
  const [row] = opts.first
    ? [{ next: 1 }]
    : await tx
        .select({ next: sql<number>`COALESCE(MAX(${domainEvents.sequence}), 0) + 1` })
        .from(domainEvents)
        .where(and(eq(domainEvents.aggregateType, def.aggregateType), eq(domainEvents.aggregateId, aggId)));
  const id = randomUUID();
  await tx.insert(domainEvents).values({
    id,
    type,
    schemaVersion: def.schemaVersion,
    aggregateType: def.aggregateType,
    aggregateId: aggId,
    sequence: Number(row?.next ?? 1),
    userId: opts.userId ?? null,
    payload: parsed,
    occurredAt: opts.occurredAt ?? new Date(),
  });
  return id;
}
