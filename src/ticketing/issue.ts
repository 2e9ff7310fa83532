import { appendEvent } from '../events/index.js';
import type { Tx } from '../platform/db/client.js';
import { newSerial } from './codes.js';
import { tickets } from './schema.js';

export interface ConfirmedSeats {
  reservationId: string;
  userId: number;
  scheduleId: number;
  seatIds: number[];
  issuedAt: Date;
}

/** Booking's hook into ticketing: called inside the transaction that confirms a reservation. */
export type TicketIssuer = (tx: Tx, confirmed: ConfirmedSeats) => Promise<void>;

/**
 * The event aggregate of a reservation's tickets. Prefixed, so that it never shares an id with the
 * reservation's (and payment's) own aggregates: anything reading "the events of reservation X" by id
 * keeps meaning the booking events.
 */
export const ticketsAggregateId = (reservationId: string) => `tickets-${reservationId}`;

/**
 * Issues one ticket per confirmed seat, in the confirming transaction: a ticket exists exactly when
 * its reservation's confirmation committed (two statements: the rows and one TicketsIssued event).
 * Needs no secret: the row holds a random serial, and the signed code is made from it when served.
 * The confirmation runs once per reservation (it returns early when already CONFIRMED); the unique
 * (reservation, seat) index would refuse a second issue anyway.
 */
export const issueTickets: TicketIssuer = async (tx, c) => {
  if (c.seatIds.length === 0) return;
  await tx.insert(tickets).values(c.seatIds.map((seatId) => ({ reservationId: c.reservationId, seatId, scheduleId: c.scheduleId, userId: c.userId, serial: newSerial(), issuedAt: c.issuedAt })));
  await appendEvent(
    tx,
    'TicketsIssued',
    ticketsAggregateId(c.reservationId),
    { reservationId: c.reservationId, userId: c.userId, scheduleId: c.scheduleId, seatIds: c.seatIds },
    { userId: c.userId, occurredAt: c.issuedAt, first: true },
  );
};
