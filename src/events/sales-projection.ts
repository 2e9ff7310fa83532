import type { EventEnvelope } from './catalog.js';

/** Changes one reservation event makes to its schedule's sales figures. */
export interface SalesDelta {
  reservationsStarted: number;
  reservationsConfirmed: number;
  seatsHeld: number;
  seatsSold: number;
  revenue: number;
}

const zero: SalesDelta = { reservationsStarted: 0, reservationsConfirmed: 0, seatsHeld: 0, seatsSold: 0, revenue: 0 };

/**
 * The sales read model as a pure fold step. Every figure is a sum of deltas, so events of
 * different reservations may apply in any order; only duplicates must be kept out (by event id).
 * "Confirmed" counts confirmations ever made; held/sold/revenue are what stands now (a refund
 * takes its seats and money back out).
 */
export function salesDeltaOf(event: EventEnvelope): { scheduleId: number; delta: SalesDelta } | undefined {
  const p = event.payload as { scheduleId?: number; seats?: unknown[]; seatIds?: number[]; amount?: number };
  if (event.aggregateType !== 'reservation' || typeof p.scheduleId !== 'number') return undefined;
  const seats = p.seats?.length ?? p.seatIds?.length ?? 0;
  const delta = (d: Partial<SalesDelta>) => ({ scheduleId: p.scheduleId!, delta: { ...zero, ...d } });
  switch (event.type) {
    case 'ReservationHeld':
      return delta({ reservationsStarted: 1, seatsHeld: seats });
    case 'ReservationConfirmed':
      return delta({ reservationsConfirmed: 1, seatsHeld: -seats, seatsSold: seats, revenue: p.amount ?? 0 });
    case 'ReservationExpired':
    case 'ReservationCancelled':
    case 'ReservationFailed':
      return delta({ seatsHeld: -seats });
    case 'ReservationRefunded':
      return delta({ seatsSold: -seats, revenue: -(p.amount ?? 0) });
    default:
      return undefined;
  }
}

/**
 * The schedules an event brings into the read model with zero figures (its own copy of which
 * schedules exist, from catalog's events: the model never reads catalog's tables): those of a new
 * concert and a schedule added later.
 */
export function schedulesIntroducedBy(event: EventEnvelope): number[] {
  if (event.type === 'ConcertCreated') return (event.payload as { scheduleIds: number[] }).scheduleIds;
  const p = event.payload as { scheduleId?: number; change?: string };
  if (event.type === 'ScheduleChanged' && p.change === 'ADDED' && typeof p.scheduleId === 'number') return [p.scheduleId];
  return [];
}

/** Aggregate types the sales read model reads: reservations for the figures, concerts for the schedules. */
export const salesAggregateTypes = ['reservation', 'concert'] as const;

/** Confirmed reservations per started one, 0 before the first. */
export const conversionRate = (started: number, confirmed: number) => (started === 0 ? 0 : Math.round((confirmed / started) * 10_000) / 10_000);
