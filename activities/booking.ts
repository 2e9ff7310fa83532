import { log } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { SeatMapCache } from '../src/catalog/seat-map-cache.js';
import type { HoldResult, ReleaseInput, ReservationInput } from '../src/booking/contracts.js';
import type { PaymentOutcome } from '../src/payment/contracts.js';
import { ConfirmationRejected, type ReservationRepository } from '../src/booking/repository.js';
import type { SeatLocks } from '../src/booking/seat-locks.js';
import type { WalletRepository } from '../src/payment/wallet-repository.js';

export interface BookingActivityDeps {
  reservations: ReservationRepository;
  wallets: WalletRepository;
  seatLocks: SeatLocks;
  seatMaps: SeatMapCache;
  /** Called after a reservation closes or confirms (frees the buyer's waiting-room place). */
  onReservationSettled?: (reservation: { reservationId: string; scheduleId: number; userId: number; outcome: 'CONFIRMED' | 'RELEASED' }) => Promise<void>;
}

/**
 * Thin activities: each calls capability code that is idempotent by reservation id, so Temporal's
 * retries (and a replayed workflow) are safe. Cache and Redis-lock upkeep happen after the MySQL
 * commit and never fail the activity: MySQL is the truth, Redis only a fast path.
 */
export function bookingActivities(deps: BookingActivityDeps) {
  const bestEffort = async (what: string, fn: () => Promise<void>) => {
    try {
      await fn();
    } catch (err) {
      log.warn(`${what} failed (MySQL is already correct)`, { error: String(err) });
    }
  };

  return {
    async holdSeats(input: ReservationInput): Promise<HoldResult> {
      const result = await deps.reservations.hold(input);
      if (result.ok) await bestEffort('seat-map update', () => deps.seatMaps.setStatus(input.scheduleId, input.seatIds, 'HELD'));
      else await bestEffort('seat-lock release', () => deps.seatLocks.release(input.scheduleId, input.seatIds, input.reservationId));
      return result;
    },

    async payReservation(input: { reservationId: string }): Promise<PaymentOutcome> {
      return deps.wallets.payForReservation(input.reservationId);
    },

    async confirmReservation(input: { reservationId: string }): Promise<void> {
      try {
        const { scheduleId, userId, seatIds } = await deps.reservations.confirm(input.reservationId);
        await bestEffort('seat-map update', () => deps.seatMaps.setStatus(scheduleId, seatIds, 'SOLD'));
        await bestEffort('seat-lock mark sold', () => deps.seatLocks.markSold(scheduleId, seatIds, input.reservationId));
        await bestEffort('settle hook', async () => deps.onReservationSettled?.({ reservationId: input.reservationId, scheduleId, userId, outcome: 'CONFIRMED' }));
      } catch (err) {
        if (err instanceof ConfirmationRejected) throw ApplicationFailure.create({ type: 'ConfirmationRejected', message: err.message, nonRetryable: true });
        throw err;
      }
    },

    async refundPayment(input: { reservationId: string; reason: string }): Promise<{ refunded: boolean; amount: number }> {
      return deps.wallets.refundReservation(input.reservationId, input.reason);
    },

    async releaseReservation(input: ReleaseInput): Promise<{ changed: boolean }> {
      const outcome = await deps.reservations.release(input);
      // Redis upkeep runs even when nothing changed: a retry after a crash must still clean up.
      await bestEffort('seat-map update', () => deps.seatMaps.setStatus(outcome.scheduleId, outcome.seatIds, 'AVAILABLE'));
      await bestEffort('seat-lock release', () => deps.seatLocks.release(outcome.scheduleId, outcome.seatIds, input.reservationId));
      await bestEffort('settle hook', async () => deps.onReservationSettled?.({ reservationId: input.reservationId, scheduleId: outcome.scheduleId, userId: outcome.userId, outcome: 'RELEASED' }));
      return { changed: outcome.changed };
    },
  };
}
