import { z } from 'zod';
import { heldSeatSchema } from './held-seat.js';
import type { domainEvents } from './outbox-schema.js';
import { upcastPayload } from './past-versions.js';

/**
 * Every domain event type with its payload schema, in one place: the contract. The outbox validates
 * payloads against these before writing, so a malformed event never reaches the log or Kafka; the
 * AsyncAPI document (asyncapi.ts) and the released JSON schemas (docs/events/schemas) are generated
 * from them. A compatible change (docs/events.md "Versioning") keeps `schemaVersion`; a breaking one
 * bumps it and moves the old schema with its upcaster into past-versions.ts.
 */
// v2 of ReservationHeld: every seat states its tier (null: not recorded), where v1 could leave it out.
const seat = heldSeatSchema.extend({ tier: z.string().nullable().default(null) });
const waitlistEntryRef = { entryId: z.number().int(), userId: z.number().int(), scheduleId: z.number().int() };
const reservationRef = { reservationId: z.string(), userId: z.number().int(), scheduleId: z.number().int() };
// userId: the holder who offered the ticket (the event reaches their stream).
const transferRef = { transferId: z.string(), ticketId: z.number().int(), ...reservationRef };

export const eventCatalog = {
  ReservationHeld: {
    aggregateType: 'reservation',
    schemaVersion: 2,
    payload: z.object({ ...reservationRef, concertId: z.number().int(), seats: z.array(seat), amount: z.number().int(), expiresAt: z.string() }),
  },
  ReservationConfirmed: { aggregateType: 'reservation', schemaVersion: 1, payload: z.object({ ...reservationRef, amount: z.number().int(), seatIds: z.array(z.number().int()) }) },
  ReservationExpired: { aggregateType: 'reservation', schemaVersion: 1, payload: z.object({ ...reservationRef, seatIds: z.array(z.number().int()) }) },
  ReservationCancelled: { aggregateType: 'reservation', schemaVersion: 1, payload: z.object({ ...reservationRef, seatIds: z.array(z.number().int()), reason: z.string() }) },
  ReservationFailed: { aggregateType: 'reservation', schemaVersion: 1, payload: z.object({ ...reservationRef, seatIds: z.array(z.number().int()), reason: z.string() }) },
  ReservationRefunded: { aggregateType: 'reservation', schemaVersion: 1, payload: z.object({ ...reservationRef, seatIds: z.array(z.number().int()), amount: z.number().int(), reason: z.string() }) },
  PaymentCompleted: { aggregateType: 'payment', schemaVersion: 1, payload: z.object({ reservationId: z.string(), userId: z.number().int(), amount: z.number().int(), paymentId: z.number().int() }) },
  PaymentRefunded: { aggregateType: 'payment', schemaVersion: 1, payload: z.object({ reservationId: z.string(), userId: z.number().int(), amount: z.number().int(), paymentId: z.number().int(), reason: z.string() }) },
  // Card payments through the provider (docs/payments.md), aggregate `card-<provider payment id>`.
  CardPaymentFailed: {
    aggregateType: 'payment',
    schemaVersion: 1,
    payload: z.object({ reservationId: z.string(), userId: z.number().int(), providerPaymentId: z.string(), reason: z.string() }),
  },
  // A card payment that succeeded after its reservation closed: refunded, never applied to seats.
  LatePaymentRefunded: {
    aggregateType: 'payment',
    schemaVersion: 1,
    payload: z.object({ reservationId: z.string(), userId: z.number().int(), providerPaymentId: z.string(), providerRefundId: z.string(), amount: z.number().int(), reason: z.string() }),
  },
  // Reconciliation found our records and the provider's disagreeing in a way it may not repair alone.
  PaymentMismatch: {
    aggregateType: 'payment',
    schemaVersion: 1,
    payload: z.object({ kind: z.string(), providerPaymentId: z.string(), reservationId: z.string().nullable(), detail: z.string() }),
  },
  WalletCharged: { aggregateType: 'wallet', schemaVersion: 1, payload: z.object({ userId: z.number().int(), amount: z.number().int(), balance: z.number().int(), reference: z.string() }) },
  WalletDebited: { aggregateType: 'wallet', schemaVersion: 1, payload: z.object({ userId: z.number().int(), amount: z.number().int(), balance: z.number().int(), reference: z.string() }) },
  WalletRefunded: { aggregateType: 'wallet', schemaVersion: 1, payload: z.object({ userId: z.number().int(), amount: z.number().int(), balance: z.number().int(), reference: z.string() }) },
  QueueTokenAdmitted: { aggregateType: 'queue', schemaVersion: 1, payload: z.object({ userId: z.number().int(), scheduleId: z.number().int(), tokenId: z.string() }) },
  QueueTokenExpired: { aggregateType: 'queue', schemaVersion: 1, payload: z.object({ userId: z.number().int(), scheduleId: z.number().int(), tokenId: z.string(), reason: z.string() }) },
  // Schedule-level waiting-room events (aggregate `schedule-<id>`): the sale ended for every waiter
  // (one event, not one per token), seats came back after a sell-out, the controller moved admission.
  QueueSaleEnded: { aggregateType: 'queue', schemaVersion: 1, payload: z.object({ scheduleId: z.number().int(), reason: z.enum(['SOLD_OUT', 'CLOSED']) }) },
  QueueSaleReopened: { aggregateType: 'queue', schemaVersion: 1, payload: z.object({ scheduleId: z.number().int() }) },
  QueueAdmissionAdjusted: {
    aggregateType: 'queue',
    schemaVersion: 1,
    payload: z.object({
      scheduleId: z.number().int(),
      admitRatePerSec: z.number().int(),
      maxActive: z.number().int(),
      previousAdmitRatePerSec: z.number().int(),
      previousMaxActive: z.number().int(),
      reason: z.string(),
    }),
  },
  // Waiting list (src/waitlist, docs/waitlist.md): aggregate `entry-<id>` per entry, `schedule-<id>` for a closed list.
  // Each entry event names its buyer (userId), so it reaches their SSE stream.
  WaitlistJoined: {
    aggregateType: 'waitlist',
    schemaVersion: 1,
    payload: z.object({ ...waitlistEntryRef, quantity: z.number().int(), tier: z.string().nullable(), section: z.string().nullable() }),
  },
  WaitlistOfferMade: {
    aggregateType: 'waitlist',
    schemaVersion: 1,
    payload: z.object({ ...waitlistEntryRef, reservationId: z.string(), seatIds: z.array(z.number().int()), expiresAt: z.string() }),
  },
  WaitlistEntryChanged: {
    aggregateType: 'waitlist',
    schemaVersion: 1,
    payload: z.object({ ...waitlistEntryRef, status: z.string(), quantity: z.number().int(), reason: z.string() }),
  },
  WaitlistClosed: { aggregateType: 'waitlist', schemaVersion: 1, payload: z.object({ scheduleId: z.number().int(), entriesClosed: z.number().int() }) },
  UserRegistered: { aggregateType: 'user', schemaVersion: 1, payload: z.object({ userId: z.number().int(), role: z.string() }) },
  SecurityEvent: { aggregateType: 'security', schemaVersion: 1, payload: z.object({ kind: z.string(), userId: z.number().int().nullable(), ip: z.string().nullable(), detail: z.string() }) },
  ConcertCreated: { aggregateType: 'concert', schemaVersion: 1, payload: z.object({ concertId: z.number().int(), title: z.string(), scheduleIds: z.array(z.number().int()), seatCount: z.number().int(), adminId: z.number().int().nullable() }) },
  // Catalog lifecycle (aggregate `concert`, so one concert's changes are in order with its creation):
  // a schedule added, edited, paused, resumed, being cancelled or cancelled (docs/catalog-lifecycle.md).
  ConcertUpdated: { aggregateType: 'concert', schemaVersion: 1, payload: z.object({ concertId: z.number().int(), changes: z.record(z.string(), z.unknown()), adminId: z.number().int() }) },
  ScheduleChanged: {
    aggregateType: 'concert',
    schemaVersion: 1,
    payload: z.object({
      concertId: z.number().int(),
      scheduleId: z.number().int(),
      change: z.enum(['ADDED', 'UPDATED', 'PAUSED', 'RESUMED', 'CANCELLING', 'CANCELLED']),
      status: z.string(),
      changes: z.record(z.string(), z.unknown()).optional(),
      adminId: z.number().int().nullable(),
    }),
  },
  AdminAction: { aggregateType: 'admin', schemaVersion: 1, payload: z.object({ adminId: z.number().int(), action: z.string(), target: z.string(), detail: z.string() }) },
  // Admin wallet adjustments: signed amount (a credit or a debit), the reason, and who made it.
  WalletAdjusted: {
    aggregateType: 'wallet',
    schemaVersion: 1,
    payload: z.object({ userId: z.number().int(), amount: z.number().int(), balance: z.number().int(), reference: z.string(), reason: z.string(), adminId: z.number().int() }),
  },
  // Tickets (src/ticketing), aggregate `tickets-<reservation id>` (all tickets of a purchase): issued with the
  // confirmation, then every scan at the door, admitted or refused (result), by whom.
  TicketsIssued: { aggregateType: 'ticket', schemaVersion: 1, payload: z.object({ ...reservationRef, seatIds: z.array(z.number().int()) }) },
  TicketScanned: {
    aggregateType: 'ticket',
    schemaVersion: 1,
    payload: z.object({
      ...reservationRef,
      ticketId: z.number().int(),
      seatId: z.number().int(),
      staffId: z.number().int(),
      result: z.enum(['ADMITTED', 'ALREADY_USED', 'TICKET_REFUNDED', 'TICKET_CANCELLED']),
      firstScanAt: z.string().nullable(),
      // A scan an offline door scanner made and synced later (docs/tickets.md "Offline scanning"): its
      // own id and device, when it was scanned, and (an earlier scan that won) the admission time it replaced.
      offline: z.object({ scanId: z.string(), deviceId: z.string(), scannedAt: z.string(), supersedes: z.string().nullable() }).optional(),
    }),
  },
  // Transfers (docs/tickets.md "Transfer"), aggregate `transfer-<transfer id>`: ids only, never an email
  // address (the recipient's is sealed in the transfer row: ticketing's transferRecipientContact).
  TicketTransferOffered: { aggregateType: 'ticket', schemaVersion: 1, payload: z.object({ ...transferRef, toUserId: z.number().int().nullable(), expiresAt: z.string() }) },
  TicketTransferAccepted: { aggregateType: 'ticket', schemaVersion: 1, payload: z.object({ ...transferRef, toUserId: z.number().int() }) },
  TicketTransferDeclined: { aggregateType: 'ticket', schemaVersion: 1, payload: z.object({ ...transferRef, toUserId: z.number().int().nullable() }) },
  TicketTransferLapsed: { aggregateType: 'ticket', schemaVersion: 1, payload: z.object({ ...transferRef, toUserId: z.number().int().nullable(), reason: z.string() }) },
  TicketTransferWithdrawn: { aggregateType: 'ticket', schemaVersion: 1, payload: z.object({ ...transferRef, toUserId: z.number().int().nullable() }) },
} as const satisfies Record<string, { aggregateType: string; schemaVersion: number; payload: z.ZodType }>;

export type EventType = keyof typeof eventCatalog;
export type EventPayload<T extends EventType> = z.infer<(typeof eventCatalog)[T]['payload']>;
/** What a producer passes to appendEvent: defaults (e.g. a v2 seat's tier) may be left out. */
export type EventPayloadInput<T extends EventType> = z.input<(typeof eventCatalog)[T]['payload']>;
export type AggregateType = (typeof eventCatalog)[EventType]['aggregateType'];

/** The envelope published to Kafka and stored in the event log. */
export interface EventEnvelope<T extends EventType = EventType> {
  id: string;
  type: T;
  schemaVersion: number;
  aggregateType: AggregateType;
  aggregateId: string;
  sequence: number;
  occurredAt: string;
  payload: EventPayload<T>;
}

export const envelopeSchema = z.object({
  id: z.string().uuid(),
  type: z.enum(Object.keys(eventCatalog) as [EventType, ...EventType[]]),
  schemaVersion: z.number().int(),
  aggregateType: z.string(),
  aggregateId: z.string(),
  sequence: z.number().int().positive(),
  occurredAt: z.string(),
  payload: z.unknown(),
});

/** An event-log row as the envelope published to Kafka and pushed to clients. */
export function toEnvelope(r: typeof domainEvents.$inferSelect): EventEnvelope {
  return {
    id: r.id,
    type: r.type as EventEnvelope['type'],
    schemaVersion: r.schemaVersion,
    aggregateType: r.aggregateType as EventEnvelope['aggregateType'],
    aggregateId: r.aggregateId,
    sequence: r.sequence,
    occurredAt: r.occurredAt.toISOString(),
    payload: r.payload as never,
  };
}

/**
 * Reads an envelope as the current consumers expect it: an event stored at an older schemaVersion
 * goes through its upcasters first (past-versions.ts) and comes out at the current version; one from
 * a newer version than this process knows is refused (deploy consumers before producers).
 */
export function parseEnvelope(raw: unknown): EventEnvelope {
  const env = envelopeSchema.parse(raw);
  const current = eventCatalog[env.type].schemaVersion;
  if (env.schemaVersion > current) throw new Error(`${env.type} v${env.schemaVersion} is newer than this consumer (v${current})`);
  const payload = eventCatalog[env.type].payload.parse(upcastPayload(env.type, env.schemaVersion, env.payload));
  return { ...env, schemaVersion: current, payload } as EventEnvelope;
}

export const topicFor = (prefix: string, aggregateType: string) => `${prefix}${aggregateType}`;
export const allAggregateTypes = [...new Set(Object.values(eventCatalog).map((e) => e.aggregateType))];
