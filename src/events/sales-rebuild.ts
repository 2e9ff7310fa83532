import type { EventEnvelope } from './catalog.js';
import type { RebuildableReadModel } from './read-model-rebuild.js';
import { salesAggregateTypes, salesDeltaOf, schedulesIntroducedBy, type SalesDelta } from './sales-projection.js';
import type { SalesRepository } from './sales-repository.js';

/** The sales read model as `npm run events -- rebuild sales` folds it: the same deltas as the consumer, summed in memory. */
export function salesReadModel(sales: SalesRepository): RebuildableReadModel {
  return {
    name: 'sales',
    tables: ['schedule_sales', 'schedule_sales_applied'],
    ledger: 'schedule_sales_applied',
    aggregateTypes: salesAggregateTypes,
    applyLive: (event) => sales.apply(event),
    fold: () => {
      const totals = new Map<number, SalesDelta>();
      const updated = new Map<number, Date>();
      const totalsOf = (scheduleId: number) => totals.get(scheduleId) ?? { reservationsStarted: 0, reservationsConfirmed: 0, seatsHeld: 0, seatsSold: 0, revenue: 0 };
      return {
        apply(event: EventEnvelope) {
          for (const scheduleId of schedulesIntroducedBy(event)) {
            if (!totals.has(scheduleId)) updated.set(scheduleId, new Date(event.occurredAt));
            totals.set(scheduleId, totalsOf(scheduleId));
          }
          const change = salesDeltaOf(event);
          if (!change) return;
          const t = totalsOf(change.scheduleId);
          for (const k of Object.keys(t) as Array<keyof SalesDelta>) t[k] += change.delta[k];
          totals.set(change.scheduleId, t);
          updated.delete(change.scheduleId);
        },
        rows: () => ({
          schedule_sales: [...totals].map(([scheduleId, t]) => ({
            schedule_id: scheduleId,
            reservations_started: t.reservationsStarted,
            reservations_confirmed: t.reservationsConfirmed,
            seats_held: t.seatsHeld,
            seats_sold: t.seatsSold,
            revenue: t.revenue,
            updated_at: updated.get(scheduleId) ?? new Date(),
          })),
        }),
      };
    },
  };
}
