import type { Tx, DbOrTx } from '../platform/db/client.js';
import type { EntryReservations } from './contracts.js';

/** Ticketing's ports for transfers; the composition roots plug in booking, catalog and identity. */

/** Booking: the reservation row lock every scan, refund and move takes first (and what it says). */
export type TransferReservations = EntryReservations;

/** Catalog: the performance's status and start (transfers close before it). */
export interface TransferCatalog {
  findSchedule(id: number, db?: DbOrTx): Promise<{ status: string; startsAt: Date } | undefined>;
}

/** Tickets that moved on a schedule, seen from one user: received from others' purchases, given away from their own. */
export interface MovedTickets {
  /** Reservation ids of the tickets the user holds that someone else bought. */
  received: string[];
  /** Reservation ids of the tickets the user bought that someone else holds now. */
  given: string[];
}

/**
 * Booking's ticket limit (its one rule), counted on a recipient: under their (user, schedule)
 * ticket-limit lock, held until the caller's transaction ends, whether one more ticket is too many
 * given what they hold through their own reservations and the tickets that moved.
 */
export interface RecipientTicketLimit {
  exceeded(tx: Tx, userId: number, scheduleId: number, moved: MovedTickets): Promise<boolean>;
}

/**
 * Identity: accounts by email through the blind index (never identity's table), and its cipher for
 * the recipient's address kept in the transfer row.
 */
export interface RecipientDirectory {
  accountIdByEmail(email: string): Promise<number | undefined>;
  /** The blind index a new row stores (the current key's). */
  emailIndex(email: string): string;
  /** The blind indexes of an account's own email (current and previous key): its incoming offers. */
  emailIndexesOf(userId: number): Promise<string[]>;
  seal(email: string): string;
  open(sealed: string): string;
}
