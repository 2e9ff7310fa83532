import type { CatalogRepository } from './repository.js';

type Schedule = NonNullable<Awaited<ReturnType<CatalogRepository['findSchedule']>>>;

/**
 * Schedules change rarely and every hold attempt needs one (sale window, seat cap, concert id): a
 * short in-process cache keeps the rush's losers away from MySQL entirely (they are refused by the
 * Redis seat locks next). Concurrent misses share one query.
 */
export class ScheduleCache {
  private readonly entries = new Map<number, { at: number; value: Promise<Schedule | undefined> }>();

  constructor(
    private readonly catalog: Pick<CatalogRepository, 'findSchedule'>,
    private readonly ttlMs = 5_000,
    private readonly maxEntries = 10_000,
  ) {}

  /** Drops one schedule's entry (it changed): the next get reads MySQL. */
  forget(scheduleId: number): void {
    this.entries.delete(scheduleId);
  }

  get(scheduleId: number): Promise<Schedule | undefined> {
    const hit = this.entries.get(scheduleId);
    if (hit && Date.now() - hit.at < this.ttlMs) return hit.value;
    if (this.entries.size >= this.maxEntries) this.entries.clear();
    const value = this.catalog.findSchedule(scheduleId);
    this.entries.set(scheduleId, { at: Date.now(), value });
    value.catch(() => this.entries.delete(scheduleId));
    return value;
  }
}
