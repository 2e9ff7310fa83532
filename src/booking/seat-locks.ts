import type { Redis } from '../platform/redis.js';

/**
 * The fast front door of a hold: one Redis key per seat, taken all-or-nothing by one Lua script,
 * owned by the reservation id. Losers of a hot seat are turned away here, before Temporal or MySQL.
 * MySQL stays the truth: a lock only ever says "someone else is on it".
 */
export interface SeatLocks {
  /** Takes every seat or none; returns the seat ids held by another owner. Re-entrant for the same owner. */
  acquire(scheduleId: number, seatIds: number[], owner: string, ttlMs: number): Promise<{ ok: true } | { ok: false; takenSeatIds: number[] }>;
  /** Drops the locks still owned by `owner`. */
  release(scheduleId: number, seatIds: number[], owner: string): Promise<void>;
  /** Keeps sold seats locked without expiry so later buyers are refused in Redis too. */
  markSold(scheduleId: number, seatIds: number[], owner: string): Promise<void>;
  /**
   * Moves the locks of `from` (held or sold) to `to` in one step, never free in between: seats the
   * waiting list takes from a released reservation (src/waitlist). A lock already gone is taken too
   * (MySQL already gave the seat to `to`); a lock of a third owner is left alone.
   */
  handOver(scheduleId: number, seatIds: number[], from: string, to: string, ttlMs: number): Promise<void>;
}

const ACQUIRE = `
local taken = {}
for i, key in ipairs(KEYS) do
  local holder = redis.call('GET', key)
  if holder and holder ~= ARGV[1] and holder ~= ('sold:' .. ARGV[1]) then taken[#taken + 1] = i end
end
if #taken > 0 then return taken end
for _, key in ipairs(KEYS) do redis.call('SET', key, ARGV[1], 'PX', ARGV[2]) end
return taken`;

const RELEASE = `
local n = 0
for _, key in ipairs(KEYS) do
  local holder = redis.call('GET', key)
  if holder == ARGV[1] or holder == ('sold:' .. ARGV[1]) then redis.call('DEL', key); n = n + 1 end
end
return n`;

const MARK_SOLD = `
for _, key in ipairs(KEYS) do
  local holder = redis.call('GET', key)
  if holder == false or holder == ARGV[1] then redis.call('SET', key, 'sold:' .. ARGV[1]) end
end
return 1`;

const HAND_OVER = `
for _, key in ipairs(KEYS) do
  local holder = redis.call('GET', key)
  if holder == false or holder == ARGV[1] or holder == ('sold:' .. ARGV[1]) or holder == ARGV[2] then redis.call('SET', key, ARGV[2], 'PX', ARGV[3]) end
end
return 1`;

interface SeatLockCommands {
  seatLockAcquire(n: number, ...args: Array<string | number>): Promise<number[]>;
  seatLockRelease(n: number, ...args: string[]): Promise<number>;
  seatLockMarkSold(n: number, ...args: string[]): Promise<number>;
  seatLockHandOver(n: number, ...args: Array<string | number>): Promise<number>;
}

// A hash tag per schedule keeps one reservation's keys in a single Redis Cluster slot.
const seatKey = (scheduleId: number, seatId: number) => `seatlock:{s${scheduleId}}:${seatId}`;

export class RedisSeatLocks implements SeatLocks {
  private readonly cmd: SeatLockCommands;

  constructor(redis: Redis) {
    redis.defineCommand('seatLockAcquire', { lua: ACQUIRE });
    redis.defineCommand('seatLockRelease', { lua: RELEASE });
    redis.defineCommand('seatLockMarkSold', { lua: MARK_SOLD });
    redis.defineCommand('seatLockHandOver', { lua: HAND_OVER });
    this.cmd = redis as unknown as SeatLockCommands;
  }

  async acquire(scheduleId: number, seatIds: number[], owner: string, ttlMs: number) {
    const keys = seatIds.map((id) => seatKey(scheduleId, id));
    const taken = await this.cmd.seatLockAcquire(keys.length, ...keys, owner, ttlMs);
    if (taken.length === 0) return { ok: true } as const;
    return { ok: false, takenSeatIds: taken.map((i) => seatIds[i - 1]!) } as const;
  }

  async release(scheduleId: number, seatIds: number[], owner: string) {
    if (seatIds.length === 0) return;
    const keys = seatIds.map((id) => seatKey(scheduleId, id));
    await this.cmd.seatLockRelease(keys.length, ...keys, owner);
  }

  async markSold(scheduleId: number, seatIds: number[], owner: string) {
    if (seatIds.length === 0) return;
    const keys = seatIds.map((id) => seatKey(scheduleId, id));
    await this.cmd.seatLockMarkSold(keys.length, ...keys, owner);
  }

  async handOver(scheduleId: number, seatIds: number[], from: string, to: string, ttlMs: number) {
    if (seatIds.length === 0) return;
    const keys = seatIds.map((id) => seatKey(scheduleId, id));
    await this.cmd.seatLockHandOver(keys.length, ...keys, from, to, ttlMs);
  }
}

/** What a seat lock becomes once its reservation's fate is known. */
export type SeatLockFate = 'SOLD' | 'FREE';

/**
 * The one owner of "what happens to a seat lock after the fact": a sold seat stays locked without
 * expiry (later buyers are refused in Redis too); anything else frees the seat for the next buyer.
 * Best effort: MySQL is already the truth, so a Redis error is reported, never thrown.
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
