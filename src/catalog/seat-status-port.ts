import type { DbOrTx, Tx } from '../platform/db/client.js';

/**
 * What catalog asks booking about its seats (issue 27): catalog owns the venue layout, booking owns
 * each seat's status on a schedule (seat_status). Booking implements this port
 * (src/booking/seat-status-repository.ts); the composition root (src/main) wires it, so catalog never
 * imports booking, and free seats are counted one way, booking's.
 */
export interface SeatStatusPort {
  /** Every seat status, in booking's order (the seat map's schema and counts follow it). */
  readonly statuses: readonly [string, ...string[]];
  /**
   * A new schedule's seats exist: booking creates their status rows (free) in catalog's transaction,
   * so a schedule never has seats without statuses. Idempotent (a row that exists is kept).
   */
  createFor(tx: Tx, scheduleId: number, seatIds: number[]): Promise<void>;
  /** Seats per status of each schedule, with their total (a schedule without seats is absent). */
  countsOf(scheduleIds: number[], db?: DbOrTx): Promise<Map<number, SeatCounts>>;
  /** Seats per status among these seats of one schedule (the waiting list's tier or section). */
  countsAmong(scheduleId: number, seatIds: number[], db?: DbOrTx): Promise<SeatCounts>;
  /** Each seat's status on the schedule, by seat id. */
  statusesOf(scheduleId: number): Promise<Map<number, string>>;
}

/** Counts per status (lower-case keys, booking's list) and their total. */
export type SeatCounts = { total: number } & Record<string, number>;

/**
 * Where the seat map reads which seats are taken now (issue 27): booking's Redis seat inventory, the
 * one Redis seat structure, which the hold, sale and release change and which rebuilds itself from
 * MySQL on a miss. Booking's RedisSeatLocks implements it; catalog caches only the static layout.
 */
export interface SeatAvailabilityPort {
  /** The status of a seat the map does not list. */
  readonly freeStatus: string;
  /** The status of every seat not free, by seat id. */
  takenSeatsOf(scheduleId: number): Promise<Map<number, string>>;
}
