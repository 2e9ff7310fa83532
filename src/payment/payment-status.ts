import { eq } from 'drizzle-orm';
import type { Db } from '../platform/db/client.js';
import { cardPayments, payments } from './schema.js';

export interface ReservationPayment {
  method: 'CARD' | 'WALLET';
  /** CARD: the provider payment's state here; WALLET: SUCCEEDED or REFUNDED. */
  status: 'PENDING' | 'SUCCEEDED' | 'FAILED' | 'CANCELED' | 'REFUNDED' | 'LATE_REFUNDED';
  failedAttempts: number;
  lastError: string | null;
}

/** How a reservation is (being) paid, for the buyer's view of it: payment's answer to booking. */
export class PaymentStatusLookup {
  constructor(private readonly db: Db) {}

  async of(reservationId: string): Promise<ReservationPayment | null> {
    const [card] = await this.db.select().from(cardPayments).where(eq(cardPayments.reservationId, reservationId)).limit(1);
    const [paid] = await this.db.select({ status: payments.status }).from(payments).where(eq(payments.reservationId, reservationId)).limit(1);
    // A wallet payment wins over a card payment that was started and never succeeded.
    if (card && (card.status === 'SUCCEEDED' || card.status === 'REFUNDED' || !paid)) {
      return { method: 'CARD', status: card.status, failedAttempts: card.failedAttempts, lastError: card.lastError };
    }
    if (paid) return { method: 'WALLET', status: paid.status, failedAttempts: 0, lastError: null };
    return null;
  }
}
