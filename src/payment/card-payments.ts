import { and, eq, gte, inArray, lt } from 'drizzle-orm';
import { appendEvent } from '../events/index.js';
import { withTransaction, type Db } from '../platform/db/client.js';
import type { LatePaymentResult } from '../../workflows/payment/late-payment-contract.js';
import type { CardStartResult } from './card-contracts.js';
import type { PaymentOutcome, RefundOutcome } from './contracts.js';
import { ProviderUnavailable, type PaymentProvider, type ProviderPayment, type ProviderRefund } from './provider.js';
import { cardPayments, payments, refunds } from './schema.js';

export type CardPaymentRow = typeof cardPayments.$inferSelect;
export type CardStatus = CardPaymentRow['status'];

/** What the buyer's client needs to confirm the payment with the provider. */
export interface CardCheckout {
  providerPaymentId: string;
  clientSecret: string;
  amount: number;
  currency: string;
}

/** What a pending card payment turned out to be when the reservation is about to close. */
export type CardSettlement = 'NONE' | 'SUCCEEDED' | 'CANCELED';

/** A succeeded payment that reached us after its reservation closed (docs/payments.md, late payments). */
export type { LatePaymentResult };

/**
 * Card payments through the provider: one provider payment per reservation, its success recorded as a
 * `payments` row (like a wallet payment), refunds asked of the provider once. Every step is
 * idempotent, by reservation id or by provider payment id, so activities may retry them.
 */
export class CardPayments {
  constructor(
    private readonly db: Db,
    private readonly provider: PaymentProvider,
    private readonly currency = 'KRW',
  ) {}

  /**
   * The reservation's provider payment, created on the first call: the provider's idempotency key is
   * derived from the reservation id, and the row's primary key is the reservation id, so a retry (or
   * a second buyer tab) gets the same payment. Throws ProviderUnavailable when the provider is down.
   */
  async start(input: { reservationId: string; userId: number; amount: number }): Promise<CardCheckout> {
    const existing = await this.find(input.reservationId);
    const payment = existing
      ? await this.provider.retrievePayment(existing.providerPaymentId)
      : await this.provider.createPayment({ reservationId: input.reservationId, amount: input.amount, currency: this.currency }, `reservation-${input.reservationId}`);
    if (!existing) {
      await this.db
        .insert(cardPayments)
        .values({ reservationId: input.reservationId, userId: input.userId, provider: this.provider.name, providerPaymentId: payment.id, amount: payment.amount, currency: this.currency, status: 'PENDING' })
        .onDuplicateKeyUpdate({ set: { reservationId: input.reservationId } });
    }
    return { providerPaymentId: payment.id, clientSecret: payment.clientSecret ?? '', amount: payment.amount, currency: this.currency };
  }

  /** start(), with a provider outage as an answer (the buyer is told 503; nothing was charged). */
  async tryStart(input: { reservationId: string; userId: number; amount: number }): Promise<CardStartResult> {
    try {
      return { ok: true, ...(await this.start(input)) };
    } catch (err) {
      if (err instanceof ProviderUnavailable) return { ok: false, code: 'PROVIDER_UNAVAILABLE', detail: err.message };
      throw err;
    }
  }

  async find(reservationId: string): Promise<CardPaymentRow | undefined> {
    const [row] = await this.db.select().from(cardPayments).where(eq(cardPayments.reservationId, reservationId)).limit(1);
    return row;
  }

  async findByProviderId(providerPaymentId: string): Promise<CardPaymentRow | undefined> {
    const [row] = await this.db.select().from(cardPayments).where(eq(cardPayments.providerPaymentId, providerPaymentId)).limit(1);
    return row;
  }

  /** Our card payments created in [since, until) on which we record that the money moved. */
  async recordedSuccesses(since: Date, until: Date): Promise<CardPaymentRow[]> {
    return this.db
      .select()
      .from(cardPayments)
      .where(and(gte(cardPayments.createdAt, since), lt(cardPayments.createdAt, until), inArray(cardPayments.status, ['SUCCEEDED', 'REFUNDED', 'LATE_REFUNDED'])));
  }

  retrieve(providerPaymentId: string): Promise<ProviderPayment> {
    return this.provider.retrievePayment(providerPaymentId);
  }

  /**
   * Applies a success the provider confirmed: the payment row and the PaymentCompleted event, once.
   * The workflow decided that the seats are still held; nothing here looks at the clock.
   * ALREADY_PAID: the reservation was paid otherwise meanwhile (the wallet), so this one is not applied.
   */
  async recordSuccess(reservationId: string, providerPaymentId: string): Promise<PaymentOutcome | { ok: false; code: 'ALREADY_PAID' | 'UNKNOWN_PAYMENT'; detail: string }> {
    return withTransaction(this.db, async (tx) => {
      const [card] = await tx.select().from(cardPayments).where(eq(cardPayments.reservationId, reservationId)).for('update');
      if (!card || card.providerPaymentId !== providerPaymentId) return { ok: false, code: 'UNKNOWN_PAYMENT', detail: `${providerPaymentId} is not this reservation's payment` } as const;
      const [paid] = await tx.select().from(payments).where(eq(payments.reservationId, reservationId)).limit(1);
      if (paid) {
        return card.status === 'SUCCEEDED' ? ({ ok: true, paymentId: paid.id, amount: paid.amount } as const) : ({ ok: false, code: 'ALREADY_PAID', detail: 'the reservation was paid otherwise' } as const);
      }
      const [p] = await tx.insert(payments).values({ reservationId, userId: card.userId, amount: card.amount, status: 'SUCCEEDED' });
      const paymentId = Number(p.insertId);
      await tx.update(cardPayments).set({ status: 'SUCCEEDED', updatedAt: new Date() }).where(eq(cardPayments.reservationId, reservationId));
      await appendEvent(tx, 'PaymentCompleted', reservationId, { reservationId, userId: card.userId, amount: card.amount, paymentId }, { userId: card.userId, first: true });
      return { ok: true, paymentId, amount: card.amount } as const;
    });
  }

  /** A declined attempt: counted and told to the buyer; the reservation stays HELD for another try. */
  async recordFailure(reservationId: string, providerPaymentId: string, reason: string): Promise<void> {
    await withTransaction(this.db, async (tx) => {
      const [card] = await tx.select().from(cardPayments).where(eq(cardPayments.reservationId, reservationId)).for('update');
      if (!card || card.providerPaymentId !== providerPaymentId || card.status !== 'PENDING' && card.status !== 'FAILED') return;
      await tx
        .update(cardPayments)
        .set({ status: 'FAILED', failedAttempts: card.failedAttempts + 1, lastError: reason.slice(0, 200), updatedAt: new Date() })
        .where(eq(cardPayments.reservationId, reservationId));
      await appendEvent(tx, 'CardPaymentFailed', `card-${providerPaymentId}`, { reservationId, userId: card.userId, providerPaymentId, reason }, { userId: card.userId });
    });
  }

  /**
   * Before a reservation with a card payment closes (expiry, cancellation): cancel the payment at the
   * provider. When the provider answers that it already succeeded, SUCCEEDED: the caller confirms (or
   * refunds) instead of pretending the money is not there.
   */
  async cancelPending(reservationId: string): Promise<CardSettlement> {
    const card = await this.find(reservationId);
    if (!card) return 'NONE';
    if (card.status === 'SUCCEEDED') return 'SUCCEEDED';
    if (card.status === 'CANCELED') return 'CANCELED';
    const payment = await this.provider.cancelPayment(card.providerPaymentId);
    if (payment.status === 'SUCCEEDED') return 'SUCCEEDED';
    if (payment.status !== 'CANCELED') throw new Error(`payment ${payment.id} is ${payment.status}; cannot settle it yet`);
    await this.db.update(cardPayments).set({ status: 'CANCELED', updatedAt: new Date() }).where(and(eq(cardPayments.reservationId, reservationId), eq(cardPayments.providerPaymentId, payment.id)));
    return 'CANCELED';
  }

  /**
   * Refunds a confirmed card purchase through the provider; undefined when the reservation was not
   * paid by card (the caller refunds the wallet). The card row stays locked while the provider is
   * asked, and an existing provider refund is reused, so a refund is never asked for twice.
   */
  async refund(reservationId: string, reason: string): Promise<RefundOutcome | undefined> {
    return withTransaction(this.db, async (tx) => {
      // Booking allowed this refund already (its "refund started" mark; no ticket admitted).
      const [card] = await tx.select().from(cardPayments).where(eq(cardPayments.reservationId, reservationId)).for('update');
      if (!card || (card.status !== 'SUCCEEDED' && card.status !== 'REFUNDED')) return undefined;
      if (card.status === 'REFUNDED') return { refunded: false, amount: 0 };
      const [p] = await tx.select().from(payments).where(eq(payments.reservationId, reservationId)).for('update');
      const refund = await this.refundOnce(card, reason, `refund-${reservationId}`);
      await tx.update(cardPayments).set({ status: 'REFUNDED', providerRefundId: refund.id, updatedAt: new Date() }).where(eq(cardPayments.reservationId, reservationId));
      if (p && p.status !== 'REFUNDED') {
        await tx.insert(refunds).values({ paymentId: p.id, reservationId, amount: p.amount, reason: `card: ${reason}`.slice(0, 200) });
        await tx.update(payments).set({ status: 'REFUNDED' }).where(eq(payments.id, p.id));
        await appendEvent(tx, 'PaymentRefunded', reservationId, { reservationId, userId: p.userId, amount: p.amount, paymentId: p.id, reason }, { userId: p.userId });
      }
      return { refunded: true, amount: card.amount };
    });
  }

  /**
   * A success that reached us after the reservation closed: refunded through the provider, recorded
   * on the card row and told to the buyer (LatePaymentRefunded). APPLIED when it is in fact the
   * reservation's applied payment (a duplicate or late webhook for a confirmed purchase).
   */
  async refundLate(providerPaymentId: string, reason: string): Promise<LatePaymentResult> {
    const payment = await this.provider.retrievePayment(providerPaymentId);
    if (payment.status !== 'SUCCEEDED') return 'NOT_SUCCEEDED';
    return withTransaction(this.db, async (tx) => {
      const [card] = await tx.select().from(cardPayments).where(eq(cardPayments.providerPaymentId, providerPaymentId)).for('update');
      if (card?.status === 'SUCCEEDED' || card?.status === 'REFUNDED') return 'APPLIED';
      if (card?.status === 'LATE_REFUNDED') return 'REFUNDED';
      const refund = await this.refundOnce({ providerPaymentId, amount: payment.amount }, reason, `late-refund-${providerPaymentId}`);
      const reservationId = card?.reservationId ?? payment.reservationId ?? '';
      if (card) {
        await tx.update(cardPayments).set({ status: 'LATE_REFUNDED', providerRefundId: refund.id, updatedAt: new Date() }).where(eq(cardPayments.providerPaymentId, providerPaymentId));
        await appendEvent(tx, 'LatePaymentRefunded', `card-${providerPaymentId}`, { reservationId, userId: card.userId, providerPaymentId, providerRefundId: refund.id, amount: payment.amount, reason }, { userId: card.userId });
      } else {
        // Created at the provider but never recorded here (our write was lost): refunded all the same.
        await appendEvent(tx, 'PaymentMismatch', `card-${providerPaymentId}`, { kind: 'UNRECORDED_PAYMENT_REFUNDED', providerPaymentId, reservationId: reservationId || null, detail: `refund ${refund.id}` });
      }
      return 'REFUNDED';
    });
  }

  private async refundOnce(card: { providerPaymentId: string; amount: number }, reason: string, idempotencyKey: string): Promise<ProviderRefund> {
    const [existing] = await this.provider.listRefunds(card.providerPaymentId);
    return existing ?? (await this.provider.refund(card.providerPaymentId, { amount: card.amount, reason }, idempotencyKey));
  }
}
