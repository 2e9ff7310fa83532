import { log } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { SeatMapCache } from '../src/catalog/seat-map-cache.js';
import type { HoldResult, ReleaseInput, ReservationInput } from '../src/booking/contracts.js';
import type { PaymentOutcome } from '../src/payment/contracts.js';
import { ConfirmationRejected, type ReservationRepository } from '../src/booking/repository.js';
import { ReservationSteps, type SettledReservation } from '../src/booking/reservation-steps.js';
import type { SeatLocks } from '../src/booking/seat-locks.js';
import type { WalletRepository } from '../src/payment/wallet-repository.js';

export interface BookingActivityDeps {
  reservations: ReservationRepository;
  /**
   * Payment's module, for the steps that still run on booking's queue: workflows started before the
   * payment task queue (their payReservation), the refund workflow and a performance cancellation.
   */
  wallets: Pick<WalletRepository, 'debit' | 'refundReservation'>;
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

    /** Workflows started before PAYMENT_QUEUE_PATCH: booking judges payable, payment debits. */
    async payReservation(input: { reservationId: string }): Promise<PaymentOutcome> {
      const facts = await deps.reservations.paymentFacts(input.reservationId, new Date());
      if (!facts) return { ok: false, code: 'RESERVATION_NOT_PAYABLE', detail: 'reservation not found' };
      // Expiry is payment's to judge, after it looked for a debit already taken (a retried attempt).
      if (!facts.verdict.ok && facts.verdict.code !== 'RESERVATION_EXPIRED') return facts.verdict;
      return deps.wallets.debit({ reservationId: input.reservationId, userId: facts.userId, amount: facts.amount, expiresAt: facts.expiresAt });
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

    async refundPayment(input: { reservationId: string; reason: string }): Promise<{ refunded: boolean; amount: number }> {
      return deps.wallets.refundReservation(input.reservationId, input.reason);
    },

    async releaseReservation(input: ReleaseInput): Promise<{ changed: boolean }> {
      return steps.release(input);
    },

    async releaseFailedHold(input: { reservationId: string }): Promise<{ changed: boolean }> {
      return steps.releaseFailedHold(input.reservationId);
    },
  };
}
