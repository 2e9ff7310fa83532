import Redlock from 'redlock';
import type { Metrics } from '../platform/observability/metrics.js';
import type { Redis } from '../platform/redis.js';
import { mysqlClaim, sectionLayouts, type InventorySeat } from './seat-inventory-layout.js';
import { ACQUIRE, ALLOCATE, BUILD_SECTION, COUNTS, HAND_OVER, MARK_SOLD, RELEASE, TAKEN } from './seat-inventory-script.js';
import { FREE_SEAT_STATUS, OWNERLESS_STATUSES, statusOfClaim, type SeatStatus } from './seat-status.js';

/**
 * The fast front door of a hold: the schedule's seat inventory in Redis (per-row free maps, free
 * counts, an owner per taken seat), changed only by atomic Lua scripts (src/booking/seat-inventory-script.ts).
 * Both ways of choosing seats use it: pick-your-seat takes named seats all-or-nothing (`acquire`),
 * best available lets the script pick (`allocate`); either way the seats are owned by the
 * reservation id in the same step, so the two can race on one schedule without double allocation.
 * MySQL stays the truth: a claim here only ever says "someone else is on it". It is the only seat
 * state in Redis: the seat map reads its statuses from it too (`takenSeatsOf`, catalog's
 * SeatAvailabilityPort), so a hold, a sale or a release shows on the map with no second write.
 */
export interface SeatLocks {
  /** Takes every seat or none; returns the seat ids held by another owner. Re-entrant for the same owner. */
  acquire(scheduleId: number, seatIds: number[], owner: string, ttlMs: number): Promise<{ ok: true } | { ok: false; takenSeatIds: number[] }>;
  /** Gives back the seats still owned by `owner`. */
  release(scheduleId: number, seatIds: number[], owner: string): Promise<void>;
  /** Keeps sold seats taken without expiry so later buyers are refused in Redis too. */
  markSold(scheduleId: number, seatIds: number[], owner: string): Promise<void>;
  /**
   * Moves the locks of `from` (held or sold) to `to` in one step, never free in between: seats the
   * waiting list takes from a released reservation (src/waitlist). A lock already gone is taken too
   * (MySQL already gave the seat to `to`); a lock of a third owner is left alone.
   */
  handOver(scheduleId: number, seatIds: number[], from: string, to: string, ttlMs: number): Promise<void>;
}

/** What a best-available request asks the allocator for. */
export interface AllocationRequest {
  quantity: number;
  /** Candidate sections in preference order (the tier's, or the buyer's choice). */
  sections: string[];
  together: boolean;
  /** Seats this call must not offer (the offer being declined). */
  excludeSeatIds?: number[];
  /** Stored with the claim so a decline can repeat the request (JSON, opaque to the script). */
  remember?: unknown;
}

export type Allocation =
  | { ok: true; seatIds: number[]; together: boolean; existing: boolean }
  | { ok: false; code: 'SOLD_OUT'; free: number }
  | { ok: false; code: 'NO_SEATS_TOGETHER'; free: number; largestRun: Array<{ section: string; seats: number }> };

export interface SectionCount {
  section: string;
  tier: string;
  free: number;
  total: number;
}

/** The allocator's view beyond the locks: what the booking service needs for best available. */
export interface SeatAllocator extends SeatLocks {
  allocate(scheduleId: number, req: AllocationRequest, owner: string, ttlMs: number): Promise<Allocation>;
  /** Rebuilds the sections holding these seats from MySQL (after drift), under the schedule's lock. */
  rebuild(scheduleId: number, seatIds: number[]): Promise<void>;
  /** Free and total seats per section, in layout order. */
  counts(scheduleId: number): Promise<SectionCount[]>;
  /** The best-available request an owner's seats were allocated for (undefined: none, or no longer held). */
  rememberedRequest(scheduleId: number, owner: string): Promise<unknown>;
}

/**
 * The seat map's statuses, read from the same inventory (catalog's SeatAvailabilityPort): every
 * seat not listed is free. Built from MySQL on a miss, the same way a hold builds it.
 */
export interface SeatAvailability {
  readonly freeStatus: SeatStatus;
  takenSeatsOf(scheduleId: number): Promise<Map<number, SeatStatus>>;
}

/** Where the inventory is rebuilt from: MySQL's seats of a schedule (the catalog repository). */
export interface InventorySource {
  seatInventory(scheduleId: number): Promise<InventorySeat[]>;
}

interface InventoryCommands {
  seatInvAllocate(key: string, ...args: Array<string | number>): Promise<Array<string | number>>;
  seatInvAcquire(key: string, ...args: Array<string | number>): Promise<Array<string | number>>;
  seatInvRelease(key: string, ...args: Array<string | number>): Promise<number>;
  seatInvMarkSold(key: string, ...args: Array<string | number>): Promise<number>;
  seatInvHandOver(key: string, ...args: Array<string | number>): Promise<number>;
  seatInvBuild(key: string, ...args: Array<string | number>): Promise<number>;
  seatInvCounts(key: string, ...args: Array<string | number>): Promise<Array<string | number>>;
  seatInvTaken(key: string, ...args: Array<string | number>): Promise<string[]>;
}

// One hash tag per schedule: every key of a schedule's inventory lives in one Redis Cluster slot.
const baseKey = (scheduleId: number) => `seatinv:{s${scheduleId}}`;
const lockKey = (scheduleId: number) => `lock:seatinv:{s${scheduleId}}`;
/** A claim outlives its MySQL hold by this much, so Redis never frees a seat before MySQL does. */
export const CLAIM_GRACE_MS = 30_000;

export class RedisSeatLocks implements SeatAllocator, SeatAvailability {
  readonly freeStatus = FREE_SEAT_STATUS;
  private readonly cmd: InventoryCommands;
  private readonly redlock: Redlock;
  private readonly allocatorSeconds;
  private readonly allocatorCallSeconds;
  private readonly drift;
  private readonly builds;
  private readonly building = new Map<number, Promise<void>>();

  /** `source` is needed only where seats are taken (the API); the worker only gives back and sells. */
  constructor(
    private readonly redis: Redis,
    private readonly source?: InventorySource,
    metrics?: Metrics,
  ) {
    redis.defineCommand('seatInvAllocate', { numberOfKeys: 1, lua: ALLOCATE });
    redis.defineCommand('seatInvAcquire', { numberOfKeys: 1, lua: ACQUIRE });
    redis.defineCommand('seatInvRelease', { numberOfKeys: 1, lua: RELEASE });
    redis.defineCommand('seatInvMarkSold', { numberOfKeys: 1, lua: MARK_SOLD });
    redis.defineCommand('seatInvHandOver', { numberOfKeys: 1, lua: HAND_OVER });
    redis.defineCommand('seatInvBuild', { numberOfKeys: 1, lua: BUILD_SECTION });
    redis.defineCommand('seatInvCounts', { numberOfKeys: 1, lua: COUNTS });
    redis.defineCommand('seatInvTaken', { numberOfKeys: 1, lua: TAKEN });
    this.cmd = redis as unknown as InventoryCommands;
    // Waits for a build elsewhere rather than failing: builds are short, and the waiter needs the result.
    this.redlock = new Redlock([redis], { retryCount: 400, retryDelay: 50, retryJitter: 25 });
    const buckets = [0.00002, 0.00005, 0.0001, 0.0002, 0.0003, 0.0005, 0.00075, 0.001, 0.002, 0.003, 0.005, 0.01, 0.025, 0.05];
    this.allocatorSeconds = metrics?.histogram('seat_allocator_redis_seconds', 'Time a seat-claiming script spent inside Redis (its own TIME calls): mode best (allocate) or pick (named seats)', ['mode'], buckets);
    this.allocatorCallSeconds = metrics?.histogram('seat_allocator_call_seconds', 'Seat-claiming EVALSHA round trip from the API, by mode (best, pick)', ['mode'], buckets);
    this.drift = metrics?.counter('seat_inventory_drift_total', 'Holds MySQL refused on seats Redis had given out (Redis and MySQL drifted); each rebuilds the sections', ['mode']);
    this.builds = metrics?.counter('seat_inventory_builds_total', 'Section rebuilds of the Redis seat inventory from MySQL', ['reason']);
  }

  async acquire(scheduleId: number, seatIds: number[], owner: string, ttlMs: number) {
    for (let attempt = 0; ; attempt++) {
      const now = Date.now();
      const started = performance.now();
      const reply = await this.cmd.seatInvAcquire(baseKey(scheduleId), owner, now, now + ttlMs + CLAIM_GRACE_MS, ...seatIds);
      if (reply[0] !== 'BUILD') {
        this.allocatorCallSeconds?.observe({ mode: 'pick' }, (performance.now() - started) / 1000);
        this.allocatorSeconds?.observe({ mode: 'pick' }, Number(reply[1]) / 1e6);
      }
      if (reply[0] === 'OK') return { ok: true } as const;
      if (reply[0] === 'TAKEN') return { ok: false, takenSeatIds: reply.slice(2).map((i) => seatIds[Number(i) - 1]!) } as const;
      if (attempt > 0) throw new Error(`seat inventory of schedule ${scheduleId} could not be built`);
      await this.buildMissing(scheduleId);
    }
  }

  async allocate(scheduleId: number, req: AllocationRequest, owner: string, ttlMs: number): Promise<Allocation> {
    const exclude = req.excludeSeatIds ?? [];
    const remember = req.remember === undefined ? '' : JSON.stringify(req.remember);
    for (let attempt = 0; ; attempt++) {
      const now = Date.now();
      const started = performance.now();
      const reply = await this.cmd.seatInvAllocate(baseKey(scheduleId), owner, req.quantity, req.together ? 1 : 0, now, now + ttlMs + CLAIM_GRACE_MS, remember, exclude.length, ...exclude, ...req.sections);
      const kind = reply[0];
      if (kind === 'BUILD') {
        if (attempt > 0) throw new Error(`seat inventory of schedule ${scheduleId} could not be built`);
        await this.buildMissing(scheduleId);
        continue;
      }
      this.allocatorCallSeconds?.observe({ mode: 'best' }, (performance.now() - started) / 1000);
      if (kind === 'MINE') {
        this.allocatorSeconds?.observe({ mode: 'best' }, Number(reply[1]) / 1e6);
        return { ok: true, seatIds: reply.slice(2).map(Number), together: true, existing: true };
      }
      this.allocatorSeconds?.observe({ mode: 'best' }, Number(reply[2]) / 1e6);
      if (kind === 'OK') return { ok: true, seatIds: reply.slice(3).map(Number), together: reply[1] === 1, existing: false };
      if (kind === 'SOLD_OUT') return { ok: false, code: 'SOLD_OUT', free: Number(reply[2]) };
      const largestRun: Array<{ section: string; seats: number }> = [];
      for (let i = 3; i + 1 < reply.length; i += 2) largestRun.push({ section: String(reply[i]), seats: Number(reply[i + 1]) });
      return { ok: false, code: 'NO_SEATS_TOGETHER', free: Number(reply[2]), largestRun };
    }
  }

  async release(scheduleId: number, seatIds: number[], owner: string) {
    await this.cmd.seatInvRelease(baseKey(scheduleId), owner, ...seatIds);
  }

  async markSold(scheduleId: number, seatIds: number[], owner: string) {
    if (seatIds.length === 0) return;
    await this.cmd.seatInvMarkSold(baseKey(scheduleId), owner, ...seatIds);
  }

  /** `ttlMs` is the whole claim (the offer's payment window plus its margin), not grown by CLAIM_GRACE_MS. */
  async handOver(scheduleId: number, seatIds: number[], from: string, to: string, ttlMs: number) {
    if (seatIds.length === 0) return;
    await this.cmd.seatInvHandOver(baseKey(scheduleId), from, to, Date.now() + ttlMs, ...seatIds);
  }

  async counts(scheduleId: number): Promise<SectionCount[]> {
    for (let attempt = 0; ; attempt++) {
      const reply = await this.cmd.seatInvCounts(baseKey(scheduleId), Date.now());
      if (reply[0] !== 'BUILD') {
        const out: SectionCount[] = [];
        for (let i = 0; i + 3 < reply.length; i += 4) out.push({ section: String(reply[i]), tier: String(reply[i + 1]), free: Number(reply[i + 2]), total: Number(reply[i + 3]) });
        return out;
      }
      if (attempt > 0) return [];
      await this.buildMissing(scheduleId);
    }
  }

  async takenSeatsOf(scheduleId: number): Promise<Map<number, SeatStatus>> {
    for (let attempt = 0; ; attempt++) {
      const reply = await this.cmd.seatInvTaken(baseKey(scheduleId), Date.now(), ...OWNERLESS_STATUSES);
      if (reply[0] === 'OK') {
        const taken = new Map<number, SeatStatus>();
        const held = statusOfClaim('UNTIL_EXPIRY');
        const forGood = statusOfClaim('FOR_GOOD');
        for (const id of reply[1]!.split(',')) if (id) taken.set(Number(id), held);
        for (const id of reply[2]!.split(',')) if (id) taken.set(Number(id), forGood);
        for (const pair of reply[3]!.split(',')) {
          const [id, status] = pair.split('=');
          if (id && status) taken.set(Number(id), status as SeatStatus);
        }
        return taken;
      }
      // A schedule without seats builds nothing: it has no taken seats either.
      if (attempt > 0) return new Map();
      await this.buildMissing(scheduleId);
    }
  }

  async rememberedRequest(scheduleId: number, owner: string): Promise<unknown> {
    const json = await this.redis.hget(`${baseKey(scheduleId)}:req`, owner);
    return json ? JSON.parse(json) : undefined;
  }

  async rebuild(scheduleId: number, seatIds: number[]): Promise<void> {
    this.drift?.inc({ mode: 'rebuild' });
    await this.build(scheduleId, 'drift', new Set(seatIds));
  }

  /** Counts a drift without rebuilding (the caller rebuilds once for several). */
  countDrift(mode: string) {
    this.drift?.inc({ mode });
  }

  /** One lazy build per schedule per process at a time: a rush of misses shares it (and the lock). */
  private buildMissing(scheduleId: number): Promise<void> {
    const running = this.building.get(scheduleId);
    if (running) return running;
    const build = this.build(scheduleId, 'missing').finally(() => this.building.delete(scheduleId));
    this.building.set(scheduleId, build);
    return build;
  }

  /**
   * Builds the sections from MySQL under the schedule's redlock, so concurrent misses cost one
   * query. `only` limits a drift rebuild to the sections holding those seats; a lazy build (Redis
   * lost its state) builds the sections still missing once the lock is ours.
   */
  private async build(scheduleId: number, reason: 'missing' | 'drift', only?: Set<number>): Promise<void> {
    if (!this.source) throw new Error('the seat inventory needs an InventorySource to build from MySQL');
    const lock = await this.redlock.acquire([lockKey(scheduleId)], 10_000);
    try {
      const seats = await this.source.seatInventory(scheduleId);
      const layouts = sectionLayouts(seats);
      const built = await this.redis.hgetall(`${baseKey(scheduleId)}:meta`);
      const byId = new Map(seats.map((s) => [s.id, s]));
      for (const [idx, layout] of layouts.entries()) {
        const wanted = only ? layout.rows.some((r) => r.ids.some((id) => only.has(id))) : !built[`built:${layout.section}`];
        if (!wanted) continue;
        const rowArgs = layout.rows.flatMap((r) => [r.ids.join(','), r.scores.join(',')]);
        const claims = layout.rows.flatMap((r) =>
          r.ids.flatMap((id) => {
            const claim = mysqlClaim(byId.get(id)!, CLAIM_GRACE_MS);
            return claim ? [id, claim.owner, claim.expiresAtMs] : [];
          }),
        );
        await this.cmd.seatInvBuild(baseKey(scheduleId), layout.section, layout.tier, Date.now(), idx, layouts.length, layout.rows.length, ...rowArgs, ...claims);
        this.builds?.inc({ reason });
      }
    } finally {
      await lock.release().catch(() => undefined);
    }
  }
}

/** What a seat lock becomes once its reservation's fate is known. */
export type SeatLockFate = 'SOLD' | 'FREE';

/**
 * The one owner of "what happens to a seat lock after the fact": a sold seat stays taken without
 * expiry (later buyers are refused in Redis too); anything else gives the seat back to the
 * inventory for the next buyer (either way of choosing). Best effort: MySQL is already the truth,
 * so a Redis error is reported, never thrown.
 */
export async function settleSeatLocks(
  locks: SeatLocks,
  seats: { scheduleId: number; seatIds: number[]; owner: string },
  fate: SeatLockFate,
  onError: (err: unknown) => void = () => undefined,
): Promise<void> {
  try {
    if (fate === 'SOLD') await locks.markSold(seats.scheduleId, seats.seatIds, seats.owner);
    else await locks.release(seats.scheduleId, seats.seatIds, seats.owner);
  } catch (err) {
    onError(err);
  }
}
