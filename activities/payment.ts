import type { DebitRequest, PaymentOutcome, RefundOutcome, RefundRequest } from '../src/payment/contracts.js';
import type { WalletRepository } from '../src/payment/wallet-repository.js';
import { cardPaymentActivities, type CardActivityDeps } from './payment/card-payment.js';

export interface PaymentActivityDeps extends CardActivityDeps {
  wallets: Pick<WalletRepository, 'debit' | 'refundReservation'>;
  /** Refunds by the way the reservation was paid (card through the provider, else the wallet). */
  refunds: { refundReservation(reservationId: string, reason: string): Promise<RefundOutcome> };
}

/**
 * Payment's activities, served on payment's own task queue (PAYMENT_TASK_QUEUE) by the payment
 * worker (src/main/payment-worker.ts, or beside the booking worker in development). Each is one call
 * into payment's code on payment's database, idempotent by reservation id (or provider payment id).
 */
export function paymentActivities(deps: PaymentActivityDeps) {
  return {
    async debitWallet(input: DebitRequest): Promise<PaymentOutcome> {
      return deps.wallets.debit(input);
    },

    /** The wallet debit's compensation (the reservation workflow, PAYMENT_QUEUE_PATCH). */
    async refundWallet(input: RefundRequest): Promise<{ refunded: boolean; amount: number }> {
      return deps.wallets.refundReservation(input.reservationId, input.reason);
    },

    /** A purchase's refund, card or wallet, once booking started it (REFUND_MARK_PATCH, CARD_QUEUE_PATCH). */
    async refundPurchase(input: RefundRequest): Promise<RefundOutcome> {
      return deps.refunds.refundReservation(input.reservationId, input.reason);
    },

    ...cardPaymentActivities(deps),
  };
}

export type PaymentActivities = ReturnType<typeof paymentActivities>;
