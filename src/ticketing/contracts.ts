import type { DbOrTx, Tx } from '../platform/db/client.js';

/** Ticketing's ports; the composition roots plug in booking's and catalog's repositories. */

/** Booking: lock a reservation row for the scan's transaction and say what it is now. */
export interface EntryReservations {
  /** `refundStarted`: booking allowed a refund of the purchase (its ticket is void from then on). */
  lockForEntry(tx: Tx, reservationId: string): Promise<{ status: string; userId: number; refundStarted: boolean } | undefined>;
}

/** Catalog: a performance's status (CANCELLED voids its tickets) and the labels of seats. */
export interface TicketCatalog {
  findSchedule(id: number, db?: DbOrTx): Promise<{ status: string; startsAt: Date } | undefined>;
  seatsByIds(seatIds: number[]): Promise<Array<{ id: number; section: string; row: string; number: number; tier: string }>>;
}
