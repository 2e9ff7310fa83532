import type { DbOrTx, Tx } from '../platform/db/client.js';

/** Ticketing's ports; the composition roots plug in booking's and catalog's repositories. */

/** Booking: lock a reservation row for the scan's transaction and say what it is now. */
export interface EntryReservations {
  lockForEntry(tx: Tx, reservationId: string): Promise<{ status: string; userId: number } | undefined>;
}

/** Payment: whether a reservation's payment was refunded, read inside the scan's transaction (after the reservation lock). */
export interface EntryPayments {
  refundedInTx(tx: Tx, reservationId: string): Promise<boolean>;
}

/** Catalog: a performance's status (CANCELLED voids its tickets) and the labels of seats. */
export interface TicketCatalog {
  findSchedule(id: number, db?: DbOrTx): Promise<{ status: string } | undefined>;
  seatsByIds(seatIds: number[]): Promise<Array<{ id: number; section: string; row: string; number: number; tier: string }>>;
}
