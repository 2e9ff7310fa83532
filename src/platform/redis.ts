import { Redis } from 'ioredis';

export type { Redis };

/**
 * One ioredis connection per purpose; keys are prefixed so tests (and tenants) do not collide.
 * Connection errors are reported through `onError` (ioredis reconnects by itself); without a
 * listener ioredis prints every failed reconnect as an unhandled error.
 */
export function createRedis(url: string, prefix: string, onError: (err: Error) => void = () => {}): Redis {
  // While Redis is down, commands wait in ioredis's offline queue and fail together every
  // (maxRetriesPerRequest + 1) reconnect attempts. ioredis's default backoff grows to 2 s per attempt,
  // so a command could wait 6 s and a request that only uses Redis as a cache hit the request
  // deadline. A short, flat backoff (a refused connect costs nothing) fails them within a few
  // hundred ms, and the callers that only cache in Redis fall back to MySQL.
  const redis = new Redis(url, { keyPrefix: prefix, maxRetriesPerRequest: 2, enableAutoPipelining: true, retryStrategy: (times) => Math.min(times * 20, 100) });
  let last = 0;
  redis.on('error', (err: Error) => {
    // At most one report per 10 s while Redis is down.
    if (Date.now() - last > 10_000) {
      last = Date.now();
      onError(err);
    }
  });
  return redis;
}
