import type { z } from 'zod';
import { eventCatalog, type EventEnvelope, type EventType } from '../events/index.js';

/**
 * The event types an organiser may subscribe an endpoint to: every catalog type whose payload names
 * its concert or one of its schedules (reservations, tickets, the waiting room and list, the
 * concert's own changes). Payment, wallet, user and security events are about buyers' money and
 * accounts, not about a concert, so they are never sent out.
 */
export const WEBHOOK_EVENT_TYPES: readonly EventType[] = (Object.keys(eventCatalog) as EventType[]).filter((type) => {
  const shape = (eventCatalog[type].payload as unknown as z.ZodObject).shape;
  return 'concertId' in shape || 'scheduleId' in shape;
});

export const isWebhookEventType = (type: string): type is EventType => (WEBHOOK_EVENT_TYPES as readonly string[]).includes(type);

/** The Kafka topics that carry those types (one per aggregate type). */
export const webhookAggregateTypes = () => [...new Set(WEBHOOK_EVENT_TYPES.map((t) => eventCatalog[t].aggregateType))];

/** Which concert an event is about: named directly, or through its schedule (resolved by catalog's port). */
export type ConcertRef = { concertId: number } | { scheduleId: number };

export function concertRefOf(event: EventEnvelope): ConcertRef | undefined {
  const payload = event.payload as { concertId?: unknown; scheduleId?: unknown };
  if (typeof payload.concertId === 'number') return { concertId: payload.concertId };
  if (typeof payload.scheduleId === 'number') return { scheduleId: payload.scheduleId };
  return undefined;
}

/**
 * The body every delivery of an event carries, in the Standard Webhooks shape (`type`, `timestamp`,
 * `data`): fixed when the delivery is made, so each retry and replay sends the same bytes.
 */
export function messageBody(event: EventEnvelope, concertId: number) {
  return { type: event.type, timestamp: event.occurredAt, data: { eventId: event.id, concertId, schemaVersion: event.schemaVersion, ...event.payload } };
}
