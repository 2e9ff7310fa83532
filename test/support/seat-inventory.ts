import { scanKeys, type Redis } from '../../src/platform/redis.js';

/**
 * Reads the Redis seat inventory (src/booking/seat-inventory-script.ts) the way tests need it: who
 * claims a seat (a reservation id, 'sold:<id>', or null when free), and each row's free map.
 */
export const inventoryKey = (scheduleId: number) => `seatinv:{s${scheduleId}}`;

export async function seatClaim(redis: Redis, scheduleId: number, seatId: number): Promise<string | null> {
  return redis.hget(`${inventoryKey(scheduleId)}:own`, String(seatId));
}

/** Every claim of a schedule: seat id -> owner. */
export async function seatClaims(redis: Redis, scheduleId: number): Promise<Record<string, string>> {
  return redis.hgetall(`${inventoryKey(scheduleId)}:own`);
}

/** Removes a schedule's whole inventory (what a Redis restart does to it). */
export async function dropInventory(redis: Redis, scheduleId: number): Promise<void> {
  const prefix = redis.options.keyPrefix ?? '';
  const keys = await scanKeys(redis, `${prefix}${inventoryKey(scheduleId)}*`);
  if (keys.length > 0) await redis.del(...keys.map((k) => k.slice(prefix.length)));
}
