import type { CatalogRepository } from './repository.js';

type Span = { min: number; max: number; count: number };

/**
 * Which seat ids belong to a schedule, answered without MySQL on the hot path. A seat map is
 * generated once with the schedule and never changes, so its id span is cached per process; when
 * the span is gapless (the usual case: one bulk insert) a range check is exact, otherwise the
 * listed seats are looked up.
 */
export class ScheduleSeats {
  private readonly spans = new Map<number, Promise<Span>>();

  constructor(
    private readonly catalog: Pick<CatalogRepository, 'seatIdSpan' | 'seatIdsIn'>,
    private readonly maxEntries = 10_000,
  ) {}

  /** The seat ids (of those given) that are not seats of this schedule. */
  async foreign(scheduleId: number, seatIds: number[]): Promise<number[]> {
    const span = await this.span(scheduleId);
    if (span.max - span.min + 1 === span.count) return seatIds.filter((id) => id < span.min || id > span.max);
    const own = new Set(await this.catalog.seatIdsIn(scheduleId, seatIds));
    return seatIds.filter((id) => !own.has(id));
  }

  private span(scheduleId: number): Promise<Span> {
    const hit = this.spans.get(scheduleId);
    if (hit) return hit;
    if (this.spans.size >= this.maxEntries) this.spans.clear();
    const value = this.catalog.seatIdSpan(scheduleId);
    this.spans.set(scheduleId, value);
    value.catch(() => this.spans.delete(scheduleId));
    return value;
  }
}
