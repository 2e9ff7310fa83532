import { log } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { HoldResult, ReleaseInput, ReservationInput } from '../../workflows/booking/reservation-contract.js';
import type { PaymentOutcome, RefundOutcome } from '../../src/payment/index.js';
import { ConfirmationRejected, type AdmissionCheck, type ReservationRepository } from '../../src/booking/repository.js';
import { ReservationSteps, type SettledReservation } from '../../src/booking/reservation-steps.js';
import type { SeatLocks } from '../../src/booking/seat-locks.js';
import type { WalletRepository } from '../../src/payment/index.js';

export interface BookingActivityDeps {
  reservations: ReservationRepository;
  /** Ticketing's admission check, run inside booking's refund-start transaction. */
  admissions: AdmissionCheck;
  /**
   * Payment's module, for workflows started before payment's steps moved to its task queue
   * (PAYMENT_QUEUE_PATCH, REFUND_MARK_PATCH, CARD_QUEUE_PATCH): present only when this worker process
   * also serves payment's queue (WORKER_SERVES_PAYMENTS), absent when payment runs as its own process.
   */
  legacyPayment?: { wallets: Pick<WalletRepository, 'debit'>; refunds: Pick<WalletRepository, 'refundReservation'> } | undefined;
  seatLocks: SeatLocks;
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
  const legacy = () => {
    if (deps.legacyPayment) return deps.legacyPayment;
    // Retried (not failed): once a worker that also serves payment picks the task up, it goes on.
    throw ApplicationFailure.create({ type: 'PaymentNotServedHere', message: 'a pre-migration payment step needs a worker started with WORKER_SERVES_PAYMENTS=true' });
  };

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
      return legacy().wallets.debit({ reservationId: input.reservationId, userId: facts.userId, amount: facts.amount, expiresAt: facts.expiresAt });
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

    /** The refund's first step (REFUND_MARK_PATCH): booking allows it, or refuses once a ticket was admitted. */
    async startRefund(input: { reservationId: string }): Promise<'STARTED' | 'TICKET_ADMITTED' | 'NOT_FOUND'> {
      return deps.reservations.startRefund(input.reservationId, deps.admissions);
    },

    /** Workflows started before REFUND_MARK_PATCH / CARD_QUEUE_PATCH: the same guard, then payment's refund. */
    async refundPayment(input: { reservationId: string; reason: string }): Promise<RefundOutcome> {
      if ((await deps.reservations.startRefund(input.reservationId, deps.admissions)) === 'TICKET_ADMITTED') return { refunded: false, amount: 0, refused: 'TICKET_ADMITTED' };
      return legacy().refunds.refundReservation(input.reservationId, input.reason);
    },

    async releaseReservation(input: ReleaseInput): Promise<{ changed: boolean }> {
      return steps.release(input);
    },

    async releaseFailedHold(input: { reservationId: string }): Promise<{ changed: boolean }> {
      return steps.releaseFailedHold(input.reservationId);
    },
  };
}
