import type { HoldResult, ReleaseInput, ReservationInput } from '../../workflows/booking/reservation-contract.js';
import type { SeatOffer } from './waitlist-port.js';
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
  /** Called after a reservation closes or confirms (frees the buyer's waiting-room place). */
  onReservationSettled?: (reservation: SettledReservation) => Promise<void>;
  /**
   * Starts the reservation workflow of a waiting-list offer (idempotent by workflow id). Not best
   * effort: an offer without its workflow could not be paid, so a failure fails the release step
   * and Temporal retries it; the retry finds the offers the committed release made.
   */
  startOffer?: (offer: ReservationInput) => Promise<void>;
  /** How long a waiting-list offer's seat locks last (the offer's payment window plus a margin). */
  offerLockTtlMs?: number;
  /** Where best-effort failures are reported (the activity's logger). */
  warn: (message: string, attrs: Record<string, unknown>) => void;
}

/**
 * The reservation workflow's steps as booking runs them: the MySQL transaction first, then the
 * after-commit upkeep in a fixed order (seat locks, the settle hook). The seat locks are the only
 * Redis seat state: the seat map reads its statuses from them, so there is nothing else to patch. Each step is
 * idempotent by reservation id, so Temporal's retries (and a replayed workflow) are safe, and the
 * upkeep never fails the step: MySQL is the truth, Redis only a fast path. The activities are one
 * call into these.
 */
export class ReservationSteps {
  constructor(private readonly deps: ReservationStepsDeps) {}

  async hold(input: ReservationInput): Promise<HoldResult> {
    const result = await this.deps.reservations.hold(input);
    if (!result.ok) await this.settleLocks({ scheduleId: input.scheduleId, seatIds: input.seatIds, owner: input.reservationId }, 'FREE');
    return result;
  }

  /** Sells the held seats (after payment). Throws ConfirmationRejected when they cannot be sold. */
  async confirm(reservationId: string): Promise<void> {
    const { scheduleId, userId, seatIds } = await this.deps.reservations.confirm(reservationId);
    await this.settleLocks({ scheduleId, seatIds, owner: reservationId }, 'SOLD');
    await this.bestEffort('settle hook', async () => this.deps.onReservationSettled?.({ reservationId, scheduleId, userId, outcome: 'CONFIRMED' }));
  }

  async release(input: ReleaseInput): Promise<{ changed: boolean }> {
    const outcome = await this.deps.reservations.release(input);
    // Redis upkeep runs even when nothing changed: a retry after a crash must still clean up.
    const made = outcome.changed ? outcome.offers.map((o) => ({ ...o, live: true })) : await this.deps.reservations.offersMadeFrom(input.reservationId);
    const offers = made.filter((o) => o.live);
    // Offered seats' locks move to the offer without being free in between (the map shows them HELD).
    for (const offer of offers) {
      await this.bestEffort('seat-lock hand-over', () =>
        this.deps.seatLocks.handOver(outcome.scheduleId, offer.seatIds, input.reservationId, offer.reservationId, this.deps.offerLockTtlMs ?? 630_000),
      );
    }
    // Every lock this reservation still owns goes (a closed offer's seats included: the script only
    // drops locks whose holder is this reservation, and the live offers' locks have just moved).
    const handedOver = new Set(offers.flatMap((o) => o.seatIds));
    await this.settleLocks({ scheduleId: outcome.scheduleId, seatIds: outcome.seatIds.filter((id) => !handedOver.has(id)), owner: input.reservationId }, 'FREE');
    await this.bestEffort('settle hook', async () =>
      this.deps.onReservationSettled?.({ reservationId: input.reservationId, scheduleId: outcome.scheduleId, userId: outcome.userId, outcome: 'RELEASED' }),
    );
    for (const offer of offers) await this.startOffer(outcome, offer);
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

  private async startOffer(released: { scheduleId: number; concertId: number }, offer: SeatOffer): Promise<void> {
    if (!this.deps.startOffer) return;
    await this.deps.startOffer({
      reservationId: offer.reservationId,
      userId: offer.userId,
      scheduleId: released.scheduleId,
      concertId: released.concertId,
      seatIds: offer.seatIds,
      // The hold step finds the seats already this reservation's and answers with the offer's own expiresAt.
      holdTtlMs: Math.max(offer.expiresAt.getTime() - Date.now(), 1000),
    });
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
