import { and, desc, eq, lt, sql } from 'drizzle-orm';
import { appendEvent } from '../events/index.js';
import { withTransaction, type Db, type Tx } from '../platform/db/client.js';
import { payments, refunds, walletLedger, wallets } from './schema.js';
import { DomainError } from '../shared/errors.js';
import type { AdmittedTickets, PayableReservations, PaymentOutcome, RefundOutcome } from './contracts.js';

type LedgerKind = (typeof walletLedger.$inferSelect)['kind'];

/**
 * Wallet, ledger, payments and refunds. Every money movement locks the wallet row
 * (SELECT ... FOR UPDATE), writes a ledger row and the new cached balance in one transaction, and is
 * idempotent through the ledger's unique (user, kind, reference).
 */
export class WalletRepository {
  constructor(
    private readonly db: Db,
    private readonly limits: { maxBalance: number },
    private readonly reservations: PayableReservations,
    /** Ticketing's admitted-ticket check; without it (seed) no refund is refused. */
    private readonly admitted?: AdmittedTickets,
  ) {}

  async balance(userId: number): Promise<{ balance: number; updatedAt: Date }> {
    const [w] = await this.db.select().from(wallets).where(eq(wallets.userId, userId)).limit(1);
    return w ?? { balance: 0, updatedAt: new Date(0) };
  }

  /** Ledger rows newest first; `beforeId` continues after the last row of the previous page. */
  async ledger(userId: number, limit = 50, beforeId?: number) {
    return this.db
      .select()
      .from(walletLedger)
      .where(and(eq(walletLedger.userId, userId), beforeId === undefined ? undefined : lt(walletLedger.id, beforeId)))
      .orderBy(desc(walletLedger.id))
      .limit(limit);
  }

  /** Top-up. `reference` (from the Idempotency-Key) makes a repeated charge a no-op. */
  async charge(userId: number, amount: number, reference: string): Promise<{ balance: number; charged: boolean }> {
    return withTransaction(this.db, async (tx) => {
      const wallet = await this.lockWallet(tx, userId);
      const done = await this.ledgerEntry(tx, userId, 'CHARGE', reference);
      if (done) return { balance: wallet.balance, charged: false };
      const balance = wallet.balance + amount;
      if (balance > this.limits.maxBalance) throw new DomainError('BALANCE_LIMIT_EXCEEDED', `A wallet may hold at most ${this.limits.maxBalance} KRW`);
      await this.move(tx, userId, 'CHARGE', amount, balance, reference);
      await appendEvent(tx, 'WalletCharged', userId, { userId, amount, balance, reference }, { userId });
      return { balance, charged: true };
    });
  }

  /**
   * An admin's correction of a wallet (a goodwill credit, a chargeback): a signed amount with a
   * reason, under the wallet's row lock like every movement, as an ADJUSTMENT ledger row, a
   * WalletAdjusted event and the admin's AdminAction in one transaction. `reference` (from the
   * Idempotency-Key) makes a repeat a no-op. A debit below zero is refused (409), as is a credit
   * past the balance cap (422); an unknown user has no wallet (404).
   */
  async adjust(input: { userId: number; amount: number; reason: string; reference: string; adminId: number }): Promise<{ balance: number; adjusted: boolean }> {
    const { userId, amount, reason, reference, adminId } = input;
    return withTransaction(this.db, async (tx) => {
      const [wallet] = await tx.select().from(wallets).where(eq(wallets.userId, userId)).for('update');
      if (!wallet) throw new DomainError('NOT_FOUND', 'User not found');
      if (await this.ledgerEntry(tx, userId, 'ADJUSTMENT', reference)) return { balance: wallet.balance, adjusted: false };
      const balance = wallet.balance + amount;
      if (balance < 0) throw new DomainError('CONFLICT', `The wallet holds ${wallet.balance} KRW; a debit of ${-amount} KRW would make it negative`, { balance: wallet.balance });
      if (balance > this.limits.maxBalance) throw new DomainError('BALANCE_LIMIT_EXCEEDED', `A wallet may hold at most ${this.limits.maxBalance} KRW`);
      await this.move(tx, userId, 'ADJUSTMENT', amount, balance, reference);
      await appendEvent(tx, 'WalletAdjusted', userId, { userId, amount, balance, reference, reason, adminId }, { userId });
      const detail = JSON.stringify({ amount, balance, reason });
      await appendEvent(tx, 'AdminAction', `admin-${adminId}`, { adminId, action: 'wallet.adjust', target: `user-${userId}`, detail }, { userId: adminId });
      return { balance, adjusted: true };
    });
  }

  /**
   * Debits the reservation's amount. Booking locks the reservation row first and judges whether it is
   * payable (its rule, not ours), then we lock the wallet; the same order as refunds, so the two never
   * deadlock. The payment is stamped with the decision instant, so "paid in time" can be checked later.
   */
  async payForReservation(reservationId: string): Promise<PaymentOutcome> {
    return withTransaction(this.db, async (tx) => {
      const r = await this.reservations.lockPayable(tx, reservationId);
      if (!r.found) return { ok: false, code: 'RESERVATION_NOT_PAYABLE', detail: 'reservation not found' } as const;
      const [existing] = await tx.select().from(payments).where(eq(payments.reservationId, reservationId)).limit(1);
      if (existing) return { ok: true, paymentId: existing.id, amount: existing.amount } as const;
      const decidedAt = new Date();
      const verdict = r.payableAt(decidedAt);
      if (!verdict.ok) return verdict;
      const wallet = await this.lockWallet(tx, r.userId);
      if (wallet.balance < r.amount) {
        return { ok: false, code: 'INSUFFICIENT_BALANCE', detail: `balance ${wallet.balance} KRW is less than ${r.amount} KRW` } as const;
      }
      const balance = wallet.balance - r.amount;
      await this.move(tx, r.userId, 'PAYMENT', -r.amount, balance, reservationId);
      const [p] = await tx.insert(payments).values({ reservationId, userId: r.userId, amount: r.amount, status: 'SUCCEEDED', createdAt: decidedAt });
      const paymentId = Number(p.insertId);
      await appendEvent(tx, 'PaymentCompleted', reservationId, { reservationId, userId: r.userId, amount: r.amount, paymentId }, { userId: r.userId, first: true });
      await appendEvent(tx, 'WalletDebited', r.userId, { userId: r.userId, amount: r.amount, balance, reference: reservationId }, { userId: r.userId });
      return { ok: true, paymentId, amount: r.amount } as const;
    });
  }

  /**
   * Returns a reservation's payment to the wallet; a no-op when there is none or it was refunded.
   * Refused (`refused: 'TICKET_ADMITTED'`, nothing moves) once any of its tickets was admitted at the
   * door. The reservation row is locked first, as a door scan does, so the two take turns: a scan
   * that comes after this refund sees the payment REFUNDED and refuses entry (ticketing reads it
   * under the same lock), and a refund that comes after a scan sees the admission.
   */
  async refundReservation(reservationId: string, reason: string): Promise<RefundOutcome> {
    return withTransaction(this.db, async (tx) => {
      await this.reservations.lockForRefund(tx, reservationId);
      const [p] = await tx.select().from(payments).where(eq(payments.reservationId, reservationId)).for('update');
      if (!p || p.status === 'REFUNDED') return { refunded: false, amount: 0 };
      if (await this.admittedInTx(tx, reservationId)) return { refunded: false, amount: 0, refused: 'TICKET_ADMITTED' as const };
      const wallet = await this.lockWallet(tx, p.userId);
      const balance = wallet.balance + p.amount;
      await this.move(tx, p.userId, 'REFUND', p.amount, balance, reservationId);
      await tx.insert(refunds).values({ paymentId: p.id, reservationId, amount: p.amount, reason: reason.slice(0, 200) });
      await tx.update(payments).set({ status: 'REFUNDED' }).where(eq(payments.id, p.id));
      await appendEvent(tx, 'PaymentRefunded', reservationId, { reservationId, userId: p.userId, amount: p.amount, paymentId: p.id, reason }, { userId: p.userId });
      await appendEvent(tx, 'WalletRefunded', p.userId, { userId: p.userId, amount: p.amount, balance, reference: reservationId }, { userId: p.userId });
      return { refunded: true, amount: p.amount };
    });
  }

  /**
   * The same guard for a refund made elsewhere (a card refund through the provider): locks the
   * reservation row, as a scan does, and refuses once a ticket was admitted. Call it first in the
   * refund's own transaction.
   */
  async refundRefusal(tx: Tx, reservationId: string): Promise<'TICKET_ADMITTED' | undefined> {
    await this.reservations.lockForRefund(tx, reservationId);
    return (await this.admittedInTx(tx, reservationId)) ? 'TICKET_ADMITTED' : undefined;
  }

  private async admittedInTx(tx: Tx, reservationId: string): Promise<boolean> {
    return !!this.admitted && (await this.admitted.lockAdmitted(tx, reservationId)) > 0;
  }

  /** Ticketing's port for a door scan: has this reservation's payment been refunded? Read under the scan's locks. */
  async refundedInTx(tx: Tx, reservationId: string): Promise<boolean> {
    // FOR UPDATE, not FOR SHARE (MariaDB has only LOCK IN SHARE MODE); the scan holds the reservation row anyway.
    const [p] = await tx.select({ status: payments.status }).from(payments).where(eq(payments.reservationId, reservationId)).for('update');
    return p?.status === 'REFUNDED';
  }

  private async lockWallet(tx: Tx, userId: number) {
    const [w] = await tx.select().from(wallets).where(eq(wallets.userId, userId)).for('update');
    if (w) return w;
    // Wallets are created at sign-up; this covers users created before wallets existed.
    await tx.insert(wallets).values({ userId, balance: 0 }).onDuplicateKeyUpdate({ set: { userId: sql`${wallets.userId}` } });
    const [created] = await tx.select().from(wallets).where(eq(wallets.userId, userId)).for('update');
    return created!;
  }

  private async ledgerEntry(tx: Tx, userId: number, kind: LedgerKind, reference: string) {
    const [row] = await tx
      .select()
      .from(walletLedger)
      .where(and(eq(walletLedger.userId, userId), eq(walletLedger.kind, kind), eq(walletLedger.reference, reference)))
      .limit(1);
    return row;
  }

  private async move(tx: Tx, userId: number, kind: LedgerKind, amount: number, balanceAfter: number, reference: string) {
    await tx.insert(walletLedger).values({ userId, kind, amount, balanceAfter, reference });
    await tx.update(wallets).set({ balance: balanceAfter, updatedAt: new Date() }).where(eq(wallets.userId, userId));
  }
}
