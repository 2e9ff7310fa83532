import { eq } from 'drizzle-orm';
import type { Config } from '../config.js';
import type { Db } from '../platform/db/client.js';
import { reservations } from '../platform/db/schema.js';
import type { Metrics } from '../platform/observability/metrics.js';
import type { Redis } from '../platform/redis.js';
import { QueueDriver } from './driver.js';
import { OutboxQueueEvents } from './events.js';
import { QueueMetrics } from './metrics.js';
import { RedisQueueStore } from './redis-store.js';
import { QueueService } from './service.js';
import { MysqlQueueSettings } from './settings.js';
import { QueueTokenSigner } from './tokens.js';

export interface QueueWiringDeps {
  config: Config;
  db: Db;
  redis: Redis;
  metrics: Metrics;
  onError?: (what: string, err: unknown) => void;
}

/** Builds the waiting room of one process from the shared infrastructure (composition helper). */
export function buildQueue(deps: QueueWiringDeps) {
  const { config } = deps;
  const store = new RedisQueueStore(deps.redis, { activeTtlMs: config.QUEUE_ACTIVE_TTL_SECONDS * 1000, graceMs: config.QUEUE_WAITER_GRACE_SECONDS * 1000 });
  const settings = new MysqlQueueSettings(deps.db, { maxActive: config.QUEUE_MAX_ACTIVE, admitRatePerSec: config.QUEUE_ADMIT_RATE_PER_SEC }, config.QUEUE_SETTINGS_CACHE_MS);
  const signer = config.QUEUE_TOKEN_SECRET ? new QueueTokenSigner(config.QUEUE_TOKEN_SECRET) : new QueueTokenSigner(config.JWT_SECRET, true);
  const service = new QueueService({
    store,
    settings,
    signer,
    events: new OutboxQueueEvents(deps.db),
    metrics: new QueueMetrics(deps.metrics),
    activeTtlSeconds: config.QUEUE_ACTIVE_TTL_SECONDS,
    ...(deps.onError ? { onError: deps.onError } : {}),
  });
  const driver = new QueueDriver(service, store, {
    intervalMs: config.QUEUE_TICK_MS,
    // A closed connection means the process is shutting down (or a test finished).
    isClosed: () => deps.redis.status === 'end',
    onError: (err) => deps.onError?.('queue tick', err),
  });
  return { service, store, settings, signer, driver };
}

export type Queue = ReturnType<typeof buildQueue>;

/**
 * The worker's hook after a reservation is confirmed or released: the buyer's ACTIVE token ends
 * (USED) and the next waiter is admitted at once, instead of after the active time runs out.
 */
export function queueSettledHook(deps: QueueWiringDeps) {
  const { service } = buildQueue(deps);
  return async (r: { reservationId: string; scheduleId: number; userId?: number }) => {
    let userId = r.userId;
    if (userId === undefined) {
      const [row] = await deps.db.select({ userId: reservations.userId }).from(reservations).where(eq(reservations.id, r.reservationId)).limit(1);
      userId = row?.userId;
    }
    if (userId !== undefined) await service.complete(userId, r.scheduleId);
  };
}
