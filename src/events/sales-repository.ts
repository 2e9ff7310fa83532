import { eq, sql, type AnyColumn } from 'drizzle-orm';
import { affectedRows, withTransaction, type Db } from '../platform/db/client.js';
import { scheduleSales, scheduleSalesApplied } from './schema.js';
import { schedules } from '../catalog/schema.js';
import type { EventEnvelope } from './catalog.js';
import { conversionRate, salesDeltaOf } from './sales-projection.js';

export interface ScheduleSales {
  scheduleId: number;
  reservationsStarted: number;
  reservationsConfirmed: number;
  seatsHeld: number;
  seatsSold: number;
  revenue: number;
  conversionRate: number;
  updatedAt: string | null;
}

/** MySQL side of the sales read model (schedule_sales) and its dedup ledger (schedule_sales_applied). */
export class SalesRepository {
  constructor(private readonly db: Db) {}

  /**
   * Applies one event exactly once: the ledger row and the counter update commit together, so a
   * redelivered event finds its id taken and changes nothing, and a crash between the two cannot
   * happen. The ledger sits beside the figures (not in the shared processed_events) so that a
   * rebuild swaps both at once. Returns false for a duplicate.
   */
  async apply(event: EventEnvelope): Promise<boolean> {
    return withTransaction(this.db, async (tx) => {
      const mark = await tx.insert(scheduleSalesApplied).ignore().values({ eventId: event.id });
      if (affectedRows(mark) === 0) return false;
      const change = salesDeltaOf(event);
      if (!change) return true;
      const d = change.delta;
      const add = (col: AnyColumn, n: number) => sql`${col} + ${n}`;
      await tx
        .insert(scheduleSales)
        .values({ scheduleId: change.scheduleId, ...d, updatedAt: new Date() })
        .onDuplicateKeyUpdate({
          set: {
            reservationsStarted: add(scheduleSales.reservationsStarted, d.reservationsStarted),
            reservationsConfirmed: add(scheduleSales.reservationsConfirmed, d.reservationsConfirmed),
            seatsHeld: add(scheduleSales.seatsHeld, d.seatsHeld),
            seatsSold: add(scheduleSales.seatsSold, d.seatsSold),
            revenue: add(scheduleSales.revenue, d.revenue),
            updatedAt: new Date(),
          },
        });
      return true;
    });
  }

  /** The schedule's figures (zeros before its first event); undefined when the schedule does not exist. */
  async forSchedule(scheduleId: number): Promise<ScheduleSales | undefined> {
    const [row] = await this.db
      .select({ id: schedules.id, sales: scheduleSales })
      .from(schedules)
      .leftJoin(scheduleSales, eq(scheduleSales.scheduleId, schedules.id))
      .where(eq(schedules.id, scheduleId))
      .limit(1);
    if (!row) return undefined;
    const s = row.sales;
    const started = s?.reservationsStarted ?? 0;
    const confirmed = s?.reservationsConfirmed ?? 0;
    return {
      scheduleId,
      reservationsStarted: started,
      reservationsConfirmed: confirmed,
      seatsHeld: s?.seatsHeld ?? 0,
      seatsSold: s?.seatsSold ?? 0,
      revenue: Number(s?.revenue ?? 0),
      conversionRate: conversionRate(started, confirmed),
      updatedAt: s?.updatedAt ? s.updatedAt.toISOString() : null,
    };
  }
}
