import { inArray } from 'drizzle-orm';
import type { Db } from '../platform/db/client.js';
import { payments, refunds } from './schema.js';

/** One money movement of a sale: the payment, or its refund (negative). */
export interface LedgerEntry {
  at: string;
  kind: 'PAYMENT' | 'REFUND';
  reservationId: string;
  paymentId: number;
  buyerId: number;
  amount: number;
  reason: string;
}

/**
 * Payment's side of an organiser's sales ledger: the payments and refunds of some reservations,
 * oldest first. Callers pass the reservation ids a page at a time (booking knows which belong to a
 * performance; payment does not), so the ledger is never whole in memory. This module is the only
 * way in to payment's tables for it.
 */
export class SalesLedger {
  constructor(private readonly db: Db) {}

  async entriesFor(reservationIds: string[]): Promise<LedgerEntry[]> {
    if (reservationIds.length === 0) return [];
    const paid = await this.db.select().from(payments).where(inArray(payments.reservationId, reservationIds));
    const back = await this.db.select().from(refunds).where(inArray(refunds.reservationId, reservationIds));
    const byId = new Map(paid.map((p) => [p.id, p]));
    const entries: LedgerEntry[] = [
      ...paid.map((p) => ({ at: p.createdAt.toISOString(), kind: 'PAYMENT' as const, reservationId: p.reservationId, paymentId: p.id, buyerId: p.userId, amount: p.amount, reason: '' })),
      ...back.map((r) => ({ at: r.createdAt.toISOString(), kind: 'REFUND' as const, reservationId: r.reservationId, paymentId: r.paymentId, buyerId: byId.get(r.paymentId)?.userId ?? 0, amount: -r.amount, reason: r.reason })),
    ];
    return entries.sort((a, b) => a.at.localeCompare(b.at) || a.paymentId - b.paymentId);
  }
}
