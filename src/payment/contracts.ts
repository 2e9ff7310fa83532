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
  /** Locks the reservation row only (a refund serialises with a concurrent payment and with door scans). */
  lockForRefund(tx: Tx, reservationId: string): Promise<void>;
}

/**
 * Implemented by ticketing (issue 25, defect 3): how many of a reservation's tickets were admitted at
 * the door, read under locks inside the refund's transaction, after the reservation row (the lock a
 * scan takes first too), so a scan and a refund of one purchase are strictly ordered.
 */
export interface AdmittedTickets {
  lockAdmitted(tx: Tx, reservationId: string): Promise<number>;
}

/** A refund: done, a no-op (no payment, or refunded already), or refused because a ticket was used. */
export type RefundOutcome = { refunded: boolean; amount: number; refused?: 'TICKET_ADMITTED' };
