/**
 * Payment's types and the one port it needs from booking. Types only: the reservation workflow and its
 * activities import the outcome, and payment must not import booking's tables or rules.
 */
import type { Tx } from '../platform/db/client.js';

export type PaymentOutcome =
  | { ok: true; paymentId: number; amount: number }
  | { ok: false; code: 'INSUFFICIENT_BALANCE' | 'RESERVATION_EXPIRED' | 'RESERVATION_NOT_PAYABLE'; detail: string };

export type PayableVerdict = { ok: true } | { ok: false; code: 'RESERVATION_EXPIRED' | 'RESERVATION_NOT_PAYABLE'; detail: string };

/**
 * A reservation locked for a money movement: who pays, how much, and booking's rule for whether it may
 * be paid at a given instant (payment picks the instant once it holds the lock and stamps it).
 */
export type LockedForPayment = { found: false } | { found: true; userId: number; amount: number; payableAt(now: Date): PayableVerdict };

/**
 * Implemented by booking. Payment locks the reservation row first and the wallet second (refunds use
 * the same order, so the two never deadlock), inside payment's own transaction.
 */
export interface PayableReservations {
  /** Locks the reservation row (FOR UPDATE) and hands back booking's payable rule for it. */
  lockPayable(tx: Tx, reservationId: string): Promise<LockedForPayment>;
  /** Locks the reservation row only (a refund serialises with a concurrent payment). */
  lockForRefund(tx: Tx, reservationId: string): Promise<void>;
}
