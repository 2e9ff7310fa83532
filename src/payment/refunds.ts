import type { CardPayments } from './card-payments.js';
import type { RefundOutcome } from './contracts.js';

interface WalletRefunds {
  refundReservation(reservationId: string, reason: string): Promise<RefundOutcome>;
}

/**
 * One refund entry point for every caller (a buyer's or an admin's cancellation, the performance
 * cancellation saga, a failed confirmation): a card purchase is refunded through the provider, any
 * other through the wallet. Both are idempotent per reservation.
 */
export class PaymentRefunds implements WalletRefunds {
  constructor(
    private readonly wallets: WalletRefunds,
    private readonly cards?: CardPayments | undefined,
  ) {}

  async refundReservation(reservationId: string, reason: string): Promise<RefundOutcome> {
    const byCard = await this.cards?.refund(reservationId, reason);
    return byCard ?? this.wallets.refundReservation(reservationId, reason);
  }
}
