import Redlock from 'redlock';
import type { Metrics } from '../platform/observability/metrics.js';
import { isDependencyUnavailable } from '../platform/dependency-errors.js';
import type { Redis } from '../platform/redis.js';
import type { CatalogRepository, SeatLayoutRow, SeatRow } from './repository.js';
import type { SeatAvailabilityPort } from './seat-status-port.js';

// One hash tag per schedule keeps a schedule's keys in one Redis Cluster slot.
const layoutKey = (scheduleId: number) => `seatmap:{s${scheduleId}}:layout`;
const lockKey = (scheduleId: number) => `lock:seatmap:{s${scheduleId}}`;

/**
 * The seat map of a schedule: catalog's static layout (seat ids, sections, rows, numbers, tiers,
 * prices), cached in Redis, with each seat's status from booking's seat inventory (the one Redis
 * seat structure, SeatAvailabilityPort), read side by side. Catalog keeps no seat state: a hold, a
 * sale or a release changes the inventory and the next read shows it.
 *
 * On a layout miss one process rebuilds it under a redlock while the others poll the cache, so a
 * thousand concurrent misses cost one MySQL query (the inventory's own miss costs one more, in
 * booking's table, built the same single-flight way). A layout never changes after the schedule is
 * created, so its TTL only bounds the memory of schedules nobody looks at.
 */
export class SeatMapCache {
  private readonly redlock: Redlock;
  private readonly rebuilds;

  constructor(
    private readonly redis: Redis,
    private readonly catalog: CatalogRepository,
    private readonly availability: SeatAvailabilityPort,
    private readonly ttlSeconds: number,
    metrics: Metrics,
    /** How long a reader that lost the lock polls for the holder's result before it reads MySQL itself. */
    private readonly lockWaitMs = 3000,
  ) {
    // No retries: a process that loses the lock waits for the winner's result instead of queueing.
    this.redlock = new Redlock([redis], { retryCount: 0, automaticExtensionThreshold: 200 });
    this.rebuilds = metrics.counter('seat_map_cache_rebuilds_total', 'Seat-map layout cache rebuilds (one MySQL query each)');
  }

  async get(scheduleId: number): Promise<SeatRow[]> {
    try {
      const [layout, taken] = await Promise.all([this.layoutOf(scheduleId), this.availability.takenSeatsOf(scheduleId)]);
      return layout.map((s) => ({ ...s, status: taken.get(s.id) ?? this.availability.freeStatus }));
    } catch (err) {
      // Redis down or restarting: the layout is only cached there, MySQL still has the truth.
      if (isDependencyUnavailable(err)) return this.catalog.seatsOfSchedule(scheduleId);
      throw err;
    }
  }

  /** The schedule's layout, seat id order (booking's inventory builds on it too). */
  async layoutOf(scheduleId: number): Promise<SeatLayoutRow[]> {
    const cached = await this.read(scheduleId);
    if (cached) return cached;
    const deadline = Date.now() + this.lockWaitMs;
    while (Date.now() < deadline) {
      try {
        const lock = await this.redlock.acquire([lockKey(scheduleId)], 5000);
        try {
          return (await this.read(scheduleId)) ?? (await this.rebuild(scheduleId));
        } finally {
          await lock.release().catch(() => undefined);
        }
      } catch (err) {
        // Losing the race is an ExecutionError (not exported by redlock's ESM build): anything else is real.
        if ((err as Error).name !== 'ExecutionError') throw err;
      }
      await new Promise((r) => setTimeout(r, 15 + Math.random() * 15));
      const filled = await this.read(scheduleId);
      if (filled) return filled;
    }
    // The lock holder is stuck: answer from MySQL rather than make the client wait longer.
    return this.catalog.layoutOf(scheduleId);
  }

  async invalidate(scheduleId: number): Promise<void> {
    await this.redis.del(layoutKey(scheduleId));
  }

  private async read(scheduleId: number): Promise<SeatLayoutRow[] | undefined> {
    const json = await this.redis.get(layoutKey(scheduleId));
    return json ? (JSON.parse(json) as SeatLayoutRow[]) : undefined;
  }

  private async rebuild(scheduleId: number): Promise<SeatLayoutRow[]> {
    this.rebuilds.inc();
    const layout = await this.catalog.layoutOf(scheduleId);
    // An unknown schedule has no layout to keep: its 404 costs one query each time, as before.
    if (layout.length > 0) await this.redis.set(layoutKey(scheduleId), JSON.stringify(layout), 'EX', this.ttlSeconds * 20);
    return layout;
  }
}
