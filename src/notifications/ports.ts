import type { UserContactLookup } from '../identity/index.js';

/**
 * What notifications reads from the other capabilities, each through its own code (the composition
 * root plugs in their repositories and services); notifications' own database holds only its logs.
 */

/** Ticketing: the tickets of a confirmed purchase, each with its current code. */
export interface PurchaseTickets {
  ticketsOf(purchase: { reservationId: string; scheduleId: number }): Promise<Array<{ code: string; seat: { section: string; tier: string; row: string; number: number } }>>;
}

/** Catalog: what the buyer needs to know of the performance. */
export interface PerformanceDetails {
  performanceOf(scheduleId: number): Promise<{ title: string; artist: string; venue: string; startsAt: Date } | undefined>;
}

/** Booking: a reservation's status now (a hold reminder is sent only while the hold is HELD). */
export interface ReservationStatusLookup {
  statusOf(reservationId: string): Promise<string | undefined>;
}

/** Ticketing: the address a ticket transfer was offered to (sealed in the transfer row). */
export interface TransferRecipients {
  recipientOf(transferId: string): Promise<{ email: string } | undefined>;
}

export interface NotificationPorts {
  contacts: UserContactLookup;
  tickets: PurchaseTickets;
  performances: PerformanceDetails;
  reservations: ReservationStatusLookup;
  transfers: TransferRecipients;
}
