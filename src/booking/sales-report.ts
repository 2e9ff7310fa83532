import { and, asc, eq, gt, inArray, isNotNull, sql } from 'drizzle-orm';
import type { Db } from '../platform/db/client.js';
import { reservations, reservationSeats } from './schema.js';

/** One minute of a performance's sales: purchases confirmed in it, their seats and amount. */
export interface SalesMinute {
  minute: string;
  purchases: number;
  seats: number;
  amount: number;
}

/**
 * Booking's reads for the organiser's reports: sales over time for the chart (every purchase ever
 * confirmed keeps its confirmed_at, refunded or not, so the curve shows when seats were bought),
 * and, for the exports, which reservations of a performance were purchases and what they are now.
 */
export class SalesReport {
  constructor(private readonly db: Db) {}

  async perMinute(scheduleId: number): Promise<SalesMinute[]> {
    const minute = sql<string>`DATE_FORMAT(${reservations.confirmedAt}, '%Y-%m-%dT%H:%i:00Z')`;
    const rows = await this.db
      .select({ minute, purchases: sql<number>`COUNT(DISTINCT ${reservations.id})`, seats: sql<number>`COUNT(${reservationSeats.seatId})`, amount: sql<number>`SUM(${reservationSeats.price})` })
      .from(reservations)
      .innerJoin(reservationSeats, eq(reservationSeats.reservationId, reservations.id))
      .where(and(eq(reservations.scheduleId, scheduleId), isNotNull(reservations.confirmedAt)))
      .groupBy(minute)
      .orderBy(minute);
    return rows.map((r) => ({ minute: r.minute, purchases: Number(r.purchases), seats: Number(r.seats), amount: Number(r.amount) }));
  }

  /** Ids of a performance's purchases (confirmed at some point), a page at a time. */
  async *purchaseIdPages(scheduleId: number, pageSize = 1000): AsyncGenerator<string[]> {
    let after = '';
    for (;;) {
      const rows = await this.db
        .select({ id: reservations.id })
        .from(reservations)
        .where(and(eq(reservations.scheduleId, scheduleId), isNotNull(reservations.confirmedAt), gt(reservations.id, after)))
        .orderBy(asc(reservations.id))
        .limit(pageSize);
      if (rows.length === 0) return;
      after = rows[rows.length - 1]!.id;
      yield rows.map((r) => r.id);
    }
  }

  async statusesOf(ids: string[]): Promise<Map<string, string>> {
    if (ids.length === 0) return new Map();
    const rows = await this.db.select({ id: reservations.id, status: reservations.status }).from(reservations).where(inArray(reservations.id, ids));
    return new Map(rows.map((r) => [r.id, r.status]));
  }
}
