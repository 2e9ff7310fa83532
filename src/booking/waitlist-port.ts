import type { Tx } from '../platform/db/client.js';
import type { ReleaseInput } from '../../workflows/booking/reservation-contract.js';

/**
 * Booking's port to the waiting list (src/waitlist implements it). Booking owns seats and
 * reservations; the waiting list decides, inside booking's own release and confirm transactions,
 * who gets released seats and what a purchase means for its entries. Without it (no waiting list
 * wired) released seats simply become AVAILABLE.
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
   * Inside the release transaction, before any seat becomes AVAILABLE: the offers the waiting list
   * makes from these seats (its own rows already written). `ticketRoom` takes the buyer's
   * ticket-limit lock and says how many more seats they may hold on the schedule.
   */
  claim(tx: Tx, release: SeatRelease, ticketRoom: (userId: number) => Promise<number>): Promise<SeatOffer[]>;
  /** Inside the confirm transaction: an offer was paid, or the buyer bought elsewhere on the schedule. */
  purchased(tx: Tx, purchase: { reservationId: string; userId: number; scheduleId: number; seatCount: number; now: Date }): Promise<void>;
  /** The offers a release already made (a retried release redoes its after-commit upkeep for them). */
  offersFrom(releasedFrom: string): Promise<SeatOffer[]>;
}
