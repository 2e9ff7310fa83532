import { count, desc, eq } from 'drizzle-orm';
import type { Db } from '../platform/db/client.js';
import { payments, refunds } from './schema.js';

/** The back office's refunds list, newest first, optionally for one user (payment owns both tables). */
export class RefundList {
  constructor(private readonly db: Db) {}

  async list(filter: { userId?: number | undefined }, page: number, pageSize: number) {
    const where = filter.userId !== undefined ? eq(payments.userId, filter.userId) : undefined;
    const [rows, [total]] = await Promise.all([
      this.db
        .select({ id: refunds.id, paymentId: refunds.paymentId, reservationId: refunds.reservationId, userId: payments.userId, amount: refunds.amount, reason: refunds.reason, createdAt: refunds.createdAt })
        .from(refunds)
        .innerJoin(payments, eq(payments.id, refunds.paymentId))
        .where(where)
        .orderBy(desc(refunds.id))
        .limit(pageSize)
        .offset((page - 1) * pageSize),
      this.db.select({ n: count() }).from(refunds).innerJoin(payments, eq(payments.id, refunds.paymentId)).where(where),
    ]);
    return { items: rows.map((r) => ({ ...r, createdAt: r.createdAt.toISOString() })), total: Number(total?.n ?? 0) };
  }
}
