import { log } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { SeatMapCache } from '../../src/catalog/index.js';
import type { HoldResult, ReleaseInput, ReservationInput } from '../../workflows/booking/reservation-contract.js';
import type { PaymentOutcome, RefundOutcome } from '../../src/payment/index.js';
import { ConfirmationRejected, type ReservationRepository } from '../../src/booking/repository.js';
import { ReservationSteps, type SettledReservation } from '../../src/booking/reservation-steps.js';
import type { SeatLocks } from '../../src/booking/seat-locks.js';
import type { WalletRepository } from '../../src/payment/index.js';

export interface BookingActivityDeps {
  reservations: ReservationRepository;
  wallets: WalletRepository;
  /** Refunds by the way the reservation was paid (card through the provider, else wallet); defaults to the wallet. */
  refunds?: Pick<WalletRepository, 'refundReservation'> | undefined;
  seatLocks: SeatLocks;
  seatMaps: SeatMapCache;
  /** Called after a reservation closes or confirms (frees the buyer's waiting-room place). */
  onReservationSettled?: (reservation: SettledReservation) => Promise<void>;
  /** Starts a waiting-list offer's reservation workflow (src/booking/reservation-workflows.ts startOffer). */
  startOffer?: (offer: ReservationInput) => Promise<void>;
  offerLockTtlMs?: number;
}

/**
 * Thin activities: each is one call into capability code (src/booking/reservation-steps.ts, the
 * wallet), idempotent by reservation id. Only the translation into Temporal's terms lives here.
 */
export function bookingActivities(deps: BookingActivityDeps) {
  const steps = new ReservationSteps({ ...deps, warn: (message, attrs) => log.warn(message, attrs) });

  return {
    async holdSeats(input: ReservationInput): Promise<HoldResult> {
      return steps.hold(input);
    },

    async payReservation(input: { reservationId: string }): Promise<PaymentOutcome> {
      return deps.wallets.payForReservation(input.reservationId);
    },

    async confirmReservation(input: { reservationId: string }): Promise<void> {
      try {
        await steps.confirm(input.reservationId);
      } catch (err) {
        // Not retryable: the workflow compensates (refund, then release) instead.
        if (err instanceof ConfirmationRejected) throw ApplicationFailure.create({ type: 'ConfirmationRejected', message: err.message, nonRetryable: true });
        throw err;
      }
    },

    async refundPayment(input: { reservationId: string; reason: string }): Promise<RefundOutcome> {
      return (deps.refunds ?? deps.wallets).refundReservation(input.reservationId, input.reason);
    },

    async releaseReservation(input: ReleaseInput): Promise<{ changed: boolean }> {
      return steps.release(input);
    },

    async releaseFailedHold(input: { reservationId: string }): Promise<{ changed: boolean }> {
      return steps.releaseFailedHold(input.reservationId);
    },
  };
}
