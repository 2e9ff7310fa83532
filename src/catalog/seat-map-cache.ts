import Redlock from 'redlock';
import type { Metrics } from '../platform/observability/metrics.js';
import { isDependencyUnavailable } from '../platform/dependency-errors.js';
import type { Redis } from '../platform/redis.js';
import type { CatalogRepository, SeatRow } from './repository.js';

type Layout = Array<Omit<SeatRow, 'status'>>;

// One hash tag per schedule keeps a schedule's keys in one Redis Cluster slot.
const layoutKey = (scheduleId: number) => `seatmap:{s${scheduleId}}:layout`;
const statusKey = (scheduleId: number) => `seatmap:{s${scheduleId}}:status`;
const lockKey = (scheduleId: number) => `lock:seatmap:{s${scheduleId}}`;

// Updates statuses only when the cached map exists: a missing map is rebuilt from MySQL on the next read.
const UPDATE_IF_CACHED = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
for i = 2, #ARGV do redis.call('HSET', KEYS[1], ARGV[i], ARGV[1]) end
return 1`;

/**
 * The seat map of a schedule, served from Redis. On a miss one process rebuilds it under a redlock
 * while the others poll the cache, so a thousand concurrent misses cost one MySQL query. Seat
 * changes (hold, release, sell) patch the cached statuses after their transaction commits; a short
 * TTL bounds the staleness a lost patch could cause.
 */
export class SeatMapCache {
  private readonly redlock: Redlock;
  private readonly rebuilds;

  constructor(
    private readonly redis: Redis,
    private readonly catalog: CatalogRepository,
    private readonly ttlSeconds: number,
    metrics: Metrics,
    /** How long a reader that lost the lock polls for the holder's result before it reads MySQL itself. */
    private readonly lockWaitMs = 3000,
  ) {
    // No retries: a process that loses the lock waits for the winner's result instead of queueing.
    this.redlock = new Redlock([redis], { retryCount: 0, automaticExtensionThreshold: 200 });
    this.rebuilds = metrics.counter('seat_map_cache_rebuilds_total', 'Seat-map cache rebuilds (one MySQL query each)');
    redis.defineCommand('seatMapUpdate', { numberOfKeys: 1, lua: UPDATE_IF_CACHED });
  }

  async get(scheduleId: number): Promise<SeatRow[]> {
    try {
      return await this.cachedOrRebuilt(scheduleId);
    } catch (err) {
      // Redis down or restarting: the seat map is only cached there, MySQL still has the truth.
      if (isDependencyUnavailable(err)) return this.catalog.seatsOfSchedule(scheduleId);
      throw err;
    }
  }

  private async cachedOrRebuilt(scheduleId: number): Promise<SeatRow[]> {
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
    return this.catalog.seatsOfSchedule(scheduleId);
  }

  /** Patches the status of changed seats; call after the change committed. */
  async setStatus(scheduleId: number, seatIds: number[], status: string): Promise<void> {
    if (seatIds.length === 0) return;
    await (this.redis as unknown as { seatMapUpdate(key: string, ...args: string[]): Promise<number> }).seatMapUpdate(
      statusKey(scheduleId),
      status,
      ...seatIds.map(String),
    );
  }

  async invalidate(scheduleId: number): Promise<void> {
    await this.redis.del(layoutKey(scheduleId), statusKey(scheduleId));
  }

  private async read(scheduleId: number): Promise<SeatRow[] | undefined> {
    const [[, layoutJson], [, statuses]] = (await this.redis.multi().get(layoutKey(scheduleId)).hgetall(statusKey(scheduleId)).exec()) as [
      [unknown, string | null],
      [unknown, Record<string, string>],
    ];
    if (!layoutJson || !statuses || Object.keys(statuses).length === 0) return undefined;
    const layout = JSON.parse(layoutJson) as Layout;
    return layout.map((s) => ({ ...s, status: statuses[s.id] ?? 'AVAILABLE' }));
  }

  private async rebuild(scheduleId: number): Promise<SeatRow[]> {
    this.rebuilds.inc();
    const rows = await this.catalog.seatsOfSchedule(scheduleId);
    if (rows.length === 0) return rows;
    const layout: Layout = rows.map(({ status: _status, ...rest }) => rest);
    const statuses = Object.fromEntries(rows.map((r) => [String(r.id), r.status]));
    await this.redis
      .multi()
      .set(layoutKey(scheduleId), JSON.stringify(layout), 'EX', this.ttlSeconds * 20)
      .del(statusKey(scheduleId))
      .hset(statusKey(scheduleId), statuses)
      .expire(statusKey(scheduleId), this.ttlSeconds)
      .exec();
    return rows;
  }
}
