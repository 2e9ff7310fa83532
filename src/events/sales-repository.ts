import { eq, sql, type AnyColumn } from 'drizzle-orm';
import { affectedRows, withTransaction, type Db } from '../platform/db/client.js';
import { scheduleSales, scheduleSalesApplied } from './schema.js';
import type { EventEnvelope } from './catalog.js';
import { conversionRate, salesDeltaOf, schedulesIntroducedBy } from './sales-projection.js';

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
/** Catalog's port, for a schedule the read model has not heard of yet (wired by the composition root). */
export interface ScheduleDirectory {
  scheduleExists(scheduleId: number): Promise<boolean>;
}

export class SalesRepository {
  constructor(
    private readonly db: Db,
    private readonly schedules?: ScheduleDirectory,
  ) {}

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
      const introduced = schedulesIntroducedBy(event);
      if (introduced.length > 0) {
        // Zero figures, stamped with the event's time; a row a reservation event made first stays.
        const at = new Date(event.occurredAt);
        await tx.insert(scheduleSales).ignore().values(introduced.map((scheduleId) => ({ scheduleId, updatedAt: at })));
        return true;
      }
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

  /**
   * The schedule's figures. The model's own copy of the schedules comes from ConcertCreated and
   * ScheduleChanged ADDED (never catalog's tables). A schedule created a moment ago, whose event the
   * consumer has not read yet, is asked of catalog's port: zeros (updatedAt null) rather than a 404
   * that waits on Kafka's lag. Undefined when neither knows the schedule.
   */
  async forSchedule(scheduleId: number): Promise<ScheduleSales | undefined> {
    const [row] = await this.db.select({ sales: scheduleSales }).from(scheduleSales).where(eq(scheduleSales.scheduleId, scheduleId)).limit(1);
    if (!row) return (await this.schedules?.scheduleExists(scheduleId)) ? noSalesYet(scheduleId) : undefined;
    const s = row.sales;
    const started = s.reservationsStarted;
    const confirmed = s.reservationsConfirmed;
    return {
      scheduleId,
      reservationsStarted: started,
      reservationsConfirmed: confirmed,
      seatsHeld: s.seatsHeld,
      seatsSold: s.seatsSold,
      revenue: Number(s.revenue),
      conversionRate: conversionRate(started, confirmed),
      updatedAt: s.updatedAt.toISOString(),
    };
  }
}

const noSalesYet = (scheduleId: number): ScheduleSales => ({
  scheduleId,
  reservationsStarted: 0,
  reservationsConfirmed: 0,
  seatsHeld: 0,
  seatsSold: 0,
  revenue: 0,
  conversionRate: 0,
  updatedAt: null,
});
