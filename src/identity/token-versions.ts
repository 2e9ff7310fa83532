import { eq, sql } from 'drizzle-orm';
import type { DbOrTx, Db } from '../platform/db/client.js';
import { users } from './schema.js';
import type { Redis } from '../platform/redis.js';

/** A version that no token carries: what a disabled or deleted user's tokens are compared with. */
export const NO_VALID_VERSION = -1;

/**
 * The revocation check. Every token carries the user's `token_version`; bumping the column
 * (logout everywhere, role or status change, refresh-token reuse) invalidates all earlier tokens.
 *
 * Trade-off: checking MySQL on every request would put a primary-key read on the hottest path of
 * an on-sale. Instead the version is cached in Redis for TOKEN_VERSION_CACHE_SECONDS and the cache
 * entry is deleted right after a bump, so revocation normally takes effect on the next request and
 * at worst (a reader that read MySQL before the bump and wrote the cache after the delete) within
 * one cache TTL. With TOKEN_VERSION_CACHE_SECONDS=0 access tokens are not checked per request at
 * all, only on refresh: revocation then takes up to one access-token lifetime (JWT_TTL_SECONDS).
 */
export class TokenVersions {
  private readonly loading = new Map<number, Promise<number>>();

  constructor(
    private readonly db: Db,
    private readonly redis: Redis,
    private readonly cacheSeconds: number,
  ) {}

  get checksEveryRequest() {
    return this.cacheSeconds > 0;
  }

  /** The version a valid token must carry, or NO_VALID_VERSION for a disabled or unknown user. */
  async current(userId: number): Promise<number> {
    if (this.cacheSeconds === 0) return this.fromDb(this.db, userId);
    const key = cacheKey(userId);
    const cached = await this.redis.get(key).catch(() => null);
    if (cached !== null) return Number(cached);
    // Concurrent misses for one user (a buyer hammering "book" in a rush) share one MySQL read.
    let pending = this.loading.get(userId);
    if (!pending) {
      pending = this.fromDb(this.db, userId).then(async (version) => {
        await this.redis.set(key, String(version), 'EX', this.cacheSeconds).catch(() => undefined);
        return version;
      });
      this.loading.set(userId, pending);
      void pending.finally(() => this.loading.delete(userId)).catch(() => undefined);
    }
    return pending;
  }

  async fromDb(db: DbOrTx, userId: number): Promise<number> {
    const [row] = await db.select({ version: users.tokenVersion, status: users.status }).from(users).where(eq(users.id, userId)).limit(1);
    return row && row.status === 'ACTIVE' ? row.version : NO_VALID_VERSION;
  }

  /** Bumps the version inside the caller's transaction; call `forget` after it commits. */
  async bump(tx: DbOrTx, userId: number): Promise<void> {
    await tx.update(users).set({ tokenVersion: sql`${users.tokenVersion} + 1` }).where(eq(users.id, userId));
  }

  async forget(userId: number): Promise<void> {
    await this.redis.del(cacheKey(userId));
  }
}

const cacheKey = (userId: number) => `tokver:${userId}`;
