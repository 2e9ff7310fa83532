import { Redis } from 'ioredis';

export type { Redis };

/**
 * One ioredis connection per purpose; keys are prefixed so tests (and tenants) do not collide.
 * Connection errors are reported through `onError` (ioredis reconnects by itself); without a
 * listener ioredis prints every failed reconnect as an unhandled error.
 */
export function createRedis(url: string, prefix: string, onError: (err: Error) => void = () => {}): Redis {
  const redis = new Redis(url, { keyPrefix: prefix, maxRetriesPerRequest: 2, enableAutoPipelining: true });
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
