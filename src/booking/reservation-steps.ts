import type { SeatMapCache } from '../catalog/seat-map-cache.js';
import type { HoldResult, ReleaseInput, ReservationInput } from './contracts.js';
import type { ReservationRepository } from './repository.js';
import { settleSeatLocks, type SeatLocks } from './seat-locks.js';

export interface SettledReservation {
  reservationId: string;
  scheduleId: number;
  userId: number;
  outcome: 'CONFIRMED' | 'RELEASED';
}

export interface ReservationStepsDeps {
  reservations: ReservationRepository;
  seatLocks: SeatLocks;
  seatMaps: SeatMapCache;
  /** Called after a reservation closes or confirms (frees the buyer's waiting-room place). */
  onReservationSettled?: (reservation: SettledReservation) => Promise<void>;
  /** Where best-effort failures are reported (the activity's logger). */
  warn: (message: string, attrs: Record<string, unknown>) => void;
}

/**
 * The reservation workflow's steps as booking runs them: the MySQL transaction first, then the
 * after-commit upkeep in a fixed order (seat-map cache, seat locks, the settle hook). Each step is
 * idempotent by reservation id, so Temporal's retries (and a replayed workflow) are safe, and the
 * upkeep never fails the step: MySQL is the truth, Redis only a fast path. The activities are one
 * call into these.
 */
export class ReservationSteps {
  constructor(private readonly deps: ReservationStepsDeps) {}

  async hold(input: ReservationInput): Promise<HoldResult> {
    const result = await this.deps.reservations.hold(input);
    if (result.ok) await this.bestEffort('seat-map update', () => this.deps.seatMaps.setStatus(input.scheduleId, input.seatIds, 'HELD'));
    else await this.settleLocks({ scheduleId: input.scheduleId, seatIds: input.seatIds, owner: input.reservationId }, 'FREE');
    return result;
  }

  /** Sells the held seats (after payment). Throws ConfirmationRejected when they cannot be sold. */
  async confirm(reservationId: string): Promise<void> {
    const { scheduleId, userId, seatIds } = await this.deps.reservations.confirm(reservationId);
    await this.bestEffort('seat-map update', () => this.deps.seatMaps.setStatus(scheduleId, seatIds, 'SOLD'));
    await this.settleLocks({ scheduleId, seatIds, owner: reservationId }, 'SOLD');
    await this.bestEffort('settle hook', async () => this.deps.onReservationSettled?.({ reservationId, scheduleId, userId, outcome: 'CONFIRMED' }));
  }

  async release(input: ReleaseInput): Promise<{ changed: boolean }> {
    const outcome = await this.deps.reservations.release(input);
    // Redis upkeep runs even when nothing changed: a retry after a crash must still clean up.
    await this.bestEffort('seat-map update', () => this.deps.seatMaps.setStatus(outcome.scheduleId, outcome.seatIds, 'AVAILABLE'));
    await this.settleLocks({ scheduleId: outcome.scheduleId, seatIds: outcome.seatIds, owner: input.reservationId }, 'FREE');
    await this.bestEffort('settle hook', async () =>
      this.deps.onReservationSettled?.({ reservationId: input.reservationId, scheduleId: outcome.scheduleId, userId: outcome.userId, outcome: 'RELEASED' }),
    );
    return { changed: outcome.changed };
  }

  /**
   * Undoes a hold whose outcome is unknown: its write failed on every attempt, but one of them may
   * have committed with its answer lost (MySQL killed mid-commit). Releases it if it landed.
   */
  async releaseFailedHold(reservationId: string): Promise<{ changed: boolean }> {
    // Only a HELD row can be this hold's: any other status means it was settled already (a retry
    // after the release committed), and its seats may belong to someone else by now.
    if ((await this.deps.reservations.find(reservationId))?.status !== 'HELD') return { changed: false };
    return this.release({ reservationId, status: 'FAILED', reason: 'the hold could not be confirmed to the buyer' });
  }

  private settleLocks(seats: { scheduleId: number; seatIds: number[]; owner: string }, fate: 'SOLD' | 'FREE') {
    const what = fate === 'SOLD' ? 'seat-lock mark sold' : 'seat-lock release';
    return settleSeatLocks(this.deps.seatLocks, seats, fate, (err) => this.report(what, err));
  }

  private async bestEffort(what: string, fn: () => Promise<void>) {
    try {
      await fn();
    } catch (err) {
      this.report(what, err);
    }
  }

  private report(what: string, err: unknown) {
    this.deps.warn(`${what} failed (MySQL is already correct)`, { error: String(err) });
  }
}
