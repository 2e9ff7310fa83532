import { ApplicationFailure } from '@temporalio/common';
import type { PaymentOutcome } from '../../src/payment/contracts.js';
import type { CardStartResult } from '../../src/payment/card-contracts.js';
import type { CardPayments, CardSettlement, LatePaymentResult } from '../../src/payment/card-payments.js';
import type { Reconciliation } from '../../src/payment/reconciliation.js';

export interface CardActivityDeps {
  /** Absent when no provider is configured (PAYMENT_PROVIDER=none): card payments answer 503. */
  cards?: CardPayments | undefined;
  reconciliation?: { run: Reconciliation['run']; windowMs: number } | undefined;
}

/**
 * The card payment steps of the reservation workflow and of the late-payment workflow: each one call
 * into src/payment/card-payments.ts, idempotent by reservation or provider payment id.
 */
export function cardPaymentActivities(deps: CardActivityDeps) {
  const cards = () => {
    if (!deps.cards) throw ApplicationFailure.create({ type: 'NoPaymentProvider', message: 'no card payment provider is configured', nonRetryable: true });
    return deps.cards;
  };
  return {
    /** Creates (or finds) the reservation's provider payment; a provider outage is an answer, not a retry. */
    async startCardPayment(input: { reservationId: string; userId: number; amount: number }): Promise<CardStartResult> {
      if (!deps.cards) return { ok: false, code: 'PROVIDER_UNAVAILABLE', detail: 'card payments are not configured' };
      return deps.cards.tryStart(input);
    },

    async recordCardSuccess(input: { reservationId: string; providerPaymentId: string }): Promise<PaymentOutcome | { ok: false; code: 'ALREADY_PAID' | 'UNKNOWN_PAYMENT'; detail: string }> {
      return cards().recordSuccess(input.reservationId, input.providerPaymentId);
    },

    async recordCardFailure(input: { reservationId: string; providerPaymentId: string; reason: string }): Promise<void> {
      await cards().recordFailure(input.reservationId, input.providerPaymentId, input.reason);
    },

    async settleCardBeforeClose(input: { reservationId: string }): Promise<CardSettlement> {
      return cards().cancelPending(input.reservationId);
    },

    /** The hourly reconciliation's window: the last RECONCILIATION_WINDOW_HOURS (overlapping runs on purpose). */
    async reconcilePayments(): Promise<{ checked: number; applied: number; refunded: number; mismatches: number }> {
      if (!deps.reconciliation) return { checked: 0, applied: 0, refunded: 0, mismatches: 0 };
      const now = new Date();
      const r = await deps.reconciliation.run(new Date(now.getTime() - deps.reconciliation.windowMs), now);
      return { checked: r.checked, applied: r.applied.length, refunded: r.refunded.length, mismatches: r.mismatches.length };
    },

    async settleLatePayment(input: { providerPaymentId: string; reason: string }): Promise<LatePaymentResult> {
      return cards().refundLate(input.providerPaymentId, input.reason);
    },
  };
}
