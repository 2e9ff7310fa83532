import { perKeyScript, type Redis } from '../platform/redis.js';

/**
 * Login failure counters and locks in Redis (issue 10). Three scopes, so that guessing is bounded
 * without handing an attacker a way to lock people out:
 * - **pair** (email, IP): the first lock. Failures of one email from one address lock only that
 *   pair, so an attacker cannot lock the owner out from elsewhere.
 * - **account** (email, any IP): a higher threshold against guessing spread over many addresses.
 *   Accounts keep it in MySQL (`users.locked_until`, visible to admins); unknown emails here, so a
 *   423 means the same thing for both.
 * - **ip** (any email): a failure budget per address; past it every login from the address gets 429
 *   before any lookup or password work, whatever the email.
 * Keys use the email's blind index, never the email itself.
 */
export interface FailureCounts {
  pair: number;
  /** Failures of an unknown email from any IP (accounts count theirs in MySQL). */
  unknownAccount: number;
  ip: number;
}

export interface ThrottleLimits {
  lockoutMs: number;
  ipWindowMs: number;
}

// One round trip per failure: increments the counters and starts each one's window on its first hit.
const RECORD_FAILURE = `
local out = {}
for i, key in ipairs(KEYS) do
  local n = redis.call('INCR', key)
  if n == 1 then redis.call('PEXPIRE', key, ARGV[i]) end
  out[i] = n
end
return out`;

type RedisWithThrottle = Redis & { loginRecordFailure(numKeys: number, ...args: Array<string | number>): Promise<number[]> };

// Hash tags (Redis Cluster): an email's keys share its blind index's slot, so the MULTIs over its
// pair, account and unlock keys stay in one slot; the IP's and the device's counters are their own.
const ipKey = (ip: string) => `login:{ip:${ip}}:fail`;
const pairKey = (index: string, ip: string) => `login:{${index}}:fail:pair:${ip}`;
const unknownKey = (index: string) => `login:{${index}}:fail:acct`;
const pairLockKey = (index: string, ip: string) => `login:{${index}}:lock:pair:${ip}`;
const unknownLockKey = (index: string) => `login:{${index}}:lock:acct`;
// A trusted device's own failures and lock (issue 25, defect 6), by the device token's id.
const deviceKey = (jti: string) => `login:{dev:${jti}}:fail`;
const deviceLockKey = (jti: string) => `login:{dev:${jti}}:lock`;
// When an admin last cleared the email's locks: pair locks set before it no longer count.
const unlockedKey = (index: string) => `login:{${index}}:unlocked`;

export class LoginThrottle {
  private readonly redis: RedisWithThrottle;

  constructor(
    redis: Redis,
    private readonly limits: ThrottleLimits,
  ) {
    if (!('loginRecordFailure' in redis)) redis.defineCommand('loginRecordFailure', { lua: RECORD_FAILURE });
    this.redis = redis as RedisWithThrottle;
  }

  /** Milliseconds until the address may try again, or 0 when its failure budget is not spent. */
  async ipRetryAfterMs(ip: string, budget: number): Promise<number> {
    const [[, count], [, ttl]] = (await this.redis.multi().get(ipKey(ip)).pttl(ipKey(ip)).exec()) as [[unknown, string | null], [unknown, number]];
    if (Number(count ?? 0) < budget) return 0;
    return ttl > 0 ? ttl : this.limits.ipWindowMs;
  }

  /** Milliseconds left on the pair's lock and (for an unknown email) the account's lock; 0 = none. */
  async lockedMs(index: string, ip: string, unknownEmail: boolean): Promise<number> {
    const m = this.redis.multi().get(pairLockKey(index, ip)).pttl(pairLockKey(index, ip)).get(unlockedKey(index));
    if (unknownEmail) m.pttl(unknownLockKey(index));
    const [[, lockedAt], [, pairTtl], [, unlockedAt], unknown] = (await m.exec()) as [[unknown, string | null], [unknown, number], [unknown, string | null], [unknown, number]?];
    const pairLocked = lockedAt !== null && !(unlockedAt !== null && Number(lockedAt) <= Number(unlockedAt));
    return Math.max(0, pairLocked ? pairTtl : 0, unknown?.[1] ?? 0);
  }

  /** Counts a failed password (or, with `ipOnly`, an attempt refused by a lock) against each scope. */
  async recordFailure(index: string, ip: string, unknownEmail: boolean, ipOnly = false): Promise<FailureCounts> {
    const keys = [ipKey(ip), ...(ipOnly ? [] : [pairKey(index, ip), ...(unknownEmail ? [unknownKey(index)] : [])])];
    const windows = [this.limits.ipWindowMs, this.limits.lockoutMs, this.limits.lockoutMs];
    const [ipCount, pair, unknown] = await this.countFailures(keys, windows);
    return { ip: ipCount!, pair: pair ?? 0, unknownAccount: unknown ?? 0 };
  }

  /** One round trip on one node; one per key on a Redis Cluster (the scopes live in different slots). */
  private countFailures(keys: string[], windows: number[]): Promise<number[]> {
    return perKeyScript(this.redis, keys.length, (at) => this.redis.loginRecordFailure(at.length, ...at.map((i) => keys[i]!), ...at.map((i) => windows[i]!)));
  }

  /** Milliseconds left on a trusted device's own lock; 0 = none. */
  async deviceLockedMs(jti: string): Promise<number> {
    return Math.max(0, await this.redis.pttl(deviceLockKey(jti)));
  }

  /** A wrong password from a trusted device: counted against the device and the IP, not the email. */
  async recordDeviceFailure(jti: string, ip: string): Promise<{ ip: number; device: number }> {
    const [ipCount, device] = await this.countFailures([ipKey(ip), deviceKey(jti)], [this.limits.ipWindowMs, this.limits.lockoutMs]);
    return { ip: ipCount!, device: device! };
  }

  async lockDevice(jti: string): Promise<void> {
    await this.redis.multi().set(deviceLockKey(jti), '1', 'PX', this.limits.lockoutMs).del(deviceKey(jti)).exec();
  }

  /** Locks the pair (and, for an unknown email, the account); the pair's counter starts over. */
  async lock(index: string, ip: string, scope: 'pair' | 'account'): Promise<void> {
    const m = this.redis.multi().set(pairLockKey(index, ip), String(Date.now()), 'PX', this.limits.lockoutMs).del(pairKey(index, ip));
    if (scope === 'account') m.set(unknownLockKey(index), '1', 'PX', this.limits.lockoutMs).del(unknownKey(index));
    await m.exec();
  }

  /** An admin unlock: every pair lock of the email set so far stops counting (they are keyed per IP). */
  async clearLocks(index: string): Promise<void> {
    await this.redis.multi().set(unlockedKey(index), String(Date.now()), 'PX', this.limits.lockoutMs).del(unknownLockKey(index)).exec();
  }

  /** After a successful login: this pair's failures are forgiven (the IP budget is not). */
  async succeeded(index: string, ip: string): Promise<void> {
    await this.redis.del(pairKey(index, ip));
  }
}
