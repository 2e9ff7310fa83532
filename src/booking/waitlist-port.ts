import type { ReleaseInput } from '../../workflows/booking/reservation-contract.js';

/**
 * Booking's port to the waiting list (src/waitlist implements it, in its own database). Booking owns
 * seats and reservations; the waiting list decides who gets released seats and what a purchase means
 * for its entries. Its decisions are its own transactions in its own database, never a query across:
 * a release asks for offers while its own transaction (seats still locked) is open, and writes them
 * as HELD reservations; a retried release gets the same offers back (keyed by the released
 * reservation), so a release that rolled back after the waiting list decided hands over the same
 * seats to the same buyers. Without it (no waiting list wired) released seats simply become AVAILABLE.
 */
export interface ReleasedSeat {
  seatId: number;
  section: string;
  tier: string;
  row: string;
  number: number;
  price: number;
}

export interface SeatRelease {
  scheduleId: number;
  /** The reservation that gave the seats back, and how it closed. */
  releasedFrom: string;
  closedAs: ReleaseInput['status'];
  seats: ReleasedSeat[];
  now: Date;
}

/** Seats the waiting list claimed for one buyer: booking writes them as a HELD reservation with this id. */
export interface SeatOffer {
  reservationId: string;
  userId: number;
  seatIds: number[];
  expiresAt: Date;
}

export interface WaitlistPort {
  /**
   * While the release transaction is open, before any seat becomes AVAILABLE: the offers the waiting
   * list makes from these seats (committed in its own database; the same offers again for a release
   * it has already answered). `ticketRoom` takes the buyer's ticket-limit lock in booking's release
   * transaction and says how many more seats they may hold on the schedule.
   */
  claim(release: SeatRelease, ticketRoom: (userId: number) => Promise<number>): Promise<SeatOffer[]>;
  /**
   * After the confirm transaction committed (again on a retried confirmation; idempotent): an offer
   * was paid, or the buyer bought elsewhere on the schedule.
   */
  purchased(purchase: { reservationId: string; userId: number; scheduleId: number; seatCount: number; now: Date }): Promise<void>;
  /** The offers a release already made (a retried release redoes its after-commit upkeep for them). */
  offersFrom(releasedFrom: string): Promise<SeatOffer[]>;
}
