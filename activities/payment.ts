import type { DebitRequest, PaymentOutcome, RefundRequest } from '../src/payment/contracts.js';
import type { WalletRepository } from '../src/payment/wallet-repository.js';

export interface PaymentActivityDeps {
  wallets: Pick<WalletRepository, 'debit' | 'refundReservation'>;
}

/**
 * Payment's activities, served on payment's own task queue (PAYMENT_TASK_QUEUE) by the payment
 * worker (src/main/payment-worker.ts, or beside the booking worker in development). Each is one call
 * into payment's code on payment's database, idempotent by reservation id.
 */
export function paymentActivities(deps: PaymentActivityDeps) {
  return {
    async debitWallet(input: DebitRequest): Promise<PaymentOutcome> {
      return deps.wallets.debit(input);
    },

    async refundWallet(input: RefundRequest): Promise<{ refunded: boolean; amount: number }> {
      return deps.wallets.refundReservation(input.reservationId, input.reason);
    },
  };
}

export type PaymentActivities = ReturnType<typeof paymentActivities>;
