import { Redis } from 'ioredis';

export type { Redis };

/** One ioredis connection per purpose; keys are prefixed so tests (and tenants) do not collide. */
export function createRedis(url: string, prefix: string): Redis {
  return new Redis(url, { keyPrefix: prefix, maxRetriesPerRequest: 2, enableAutoPipelining: true, lazyConnect: false });
}
