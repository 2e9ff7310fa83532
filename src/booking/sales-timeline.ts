import { and, eq, isNotNull, sql } from 'drizzle-orm';
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
 * Sales over time for the organiser's chart, from booking's own reservations (every purchase ever
 * confirmed keeps its confirmed_at, refunded or not, so the curve shows when seats were bought).
 */
export class SalesTimeline {
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
}
