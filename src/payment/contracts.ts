/**
 * Payment's types. Types only: the reservation workflow and its activities import them, and payment
 * imports nothing of booking's (its tables live in another database, docs/production.md).
 */
export type PaymentOutcome =
  | { ok: true; paymentId: number; amount: number }
  | { ok: false; code: 'INSUFFICIENT_BALANCE' | 'RESERVATION_EXPIRED' | 'RESERVATION_NOT_PAYABLE'; detail: string };

/**
 * What the reservation workflow asks payment to debit: who pays, how much, and the hold's end, after
 * which payment refuses (the workflow has the hold's facts from its own hold step).
 */
export interface DebitRequest {
  reservationId: string;
  userId: number;
  amount: number;
  /** ISO instant; at or after it the debit is refused with RESERVATION_EXPIRED. */
  expiresAt: string;
}

export interface RefundRequest {
  reservationId: string;
  reason: string;
}

/**
 * A refund: done, or a no-op (no payment, or refunded already). `refused` was payment's answer when it
 * still checked admissions itself (histories recorded before REFUND_MARK_PATCH); booking decides now.
 */
export type RefundOutcome = { refunded: boolean; amount: number; refused?: 'TICKET_ADMITTED' };
