import { SeatStatusRepository } from '../booking/index.js';
import { CatalogRepository } from '../catalog/index.js';
import type { Config } from '../config.js';
import type { Db } from '../platform/db/client.js';
import type { Metrics } from '../platform/observability/metrics.js';
import type { Redis } from '../platform/redis.js';
import { AdmissionController } from './admission-controller.js';
import { hostCpuBusy } from '../platform/observability/host-cpu.js';
import { RedisAdmissionStore } from './admission-store.js';
import { isSoldOut, type QueueDefaults } from './domain.js';
import { QueueDriver } from './driver.js';
import { OutboxQueueEvents } from './events.js';
import { QueueLines } from './queue-lines.js';
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
  onDecision?: (scheduleId: number, line: Record<string, unknown>) => void;
}

export const queueDefaults = (config: Config): QueueDefaults => ({
  mode: config.QUEUE_ADMISSION_MODE,
  maxActive: config.QUEUE_MAX_ACTIVE,
  admitRatePerSec: config.QUEUE_ADMIT_RATE_PER_SEC,
  auto: {
    minAdmitRate: config.QUEUE_AUTO_MIN_RATE,
    maxAdmitRate: config.QUEUE_AUTO_MAX_RATE,
    startRate: config.QUEUE_AUTO_START_RATE,
    targetP99Ms: config.QUEUE_AUTO_TARGET_P99_MS,
  },
});

/** The waiting room's use cases on the shared infrastructure, without any periodic work. */
function buildQueueService(deps: QueueWiringDeps, withLines = false) {
  const { config } = deps;
  const store = new RedisQueueStore(deps.redis, { activeTtlMs: config.QUEUE_ACTIVE_TTL_SECONDS * 1000, graceMs: config.QUEUE_WAITER_GRACE_SECONDS * 1000, joinReplyDeadlineMs: config.QUEUE_JOIN_DEADLINE_MS });
  // API processes answer polls from their own snapshots of the lines; the worker only moves the queue.
  const lines = withLines
    ? new QueueLines(store, { refreshMs: config.QUEUE_SNAPSHOT_MS, isClosed: () => deps.redis.status === 'end', onError: (err) => deps.onError?.('queue snapshot', err) })
    : undefined;
  const settings = new MysqlQueueSettings(deps.db, new CatalogRepository(deps.db), queueDefaults(config), config.QUEUE_SETTINGS_CACHE_MS);
  const signer = config.QUEUE_TOKEN_SECRET ? new QueueTokenSigner(config.QUEUE_TOKEN_SECRET) : new QueueTokenSigner(config.JWT_SECRET, true);
  const events = new OutboxQueueEvents(deps.db);
  const metrics = new QueueMetrics(deps.metrics);
  const service = new QueueService({
    store,
    settings,
    signer,
    events,
    metrics,
    activeTtlSeconds: config.QUEUE_ACTIVE_TTL_SECONDS,
    pollDependencyDeadlineMs: config.REQUEST_DEADLINE_MS,
    ...(lines ? { lines } : {}),
    ...(deps.onError ? { onError: deps.onError } : {}),
  });
  return { service, store, settings, signer, events, metrics, lines };
}

/**
 * The waiting room of an API process (composition helper): the use cases plus this process's share
 * of the periodic work, moving the queue (driver) and steering admission (controller).
 */
export function buildQueue(deps: QueueWiringDeps) {
  const { config } = deps;
  const { service, store, settings, signer, events, metrics, lines } = buildQueueService(deps, true);
  // A closed connection means the process is shutting down (or a test finished).
  const isClosed = () => deps.redis.status === 'end';
  const driver = new QueueDriver(service, store, { intervalMs: config.QUEUE_TICK_MS, isClosed, onError: (err) => deps.onError?.('queue tick', err) });
  const admission = new RedisAdmissionStore(deps.redis);
  // Free seats as booking counts them (its seat_status): the one count.
  const seatStatus = new SeatStatusRepository(deps.db);
  const controller = new AdmissionController(
    { queue: service, store, admission, settings, inventory: { counts: (id) => seatStatus.counts(id) }, events, metrics, isClosed, cpuBusy: hostCpuBusy() },
    {
      intervalMs: config.QUEUE_CONTROL_INTERVAL_MS,
      windowSeconds: config.QUEUE_CONTROL_WINDOW_SECONDS,
      onError: (err) => deps.onError?.('admission control', err),
      ...(deps.onDecision ? { onDecision: deps.onDecision } : {}),
    },
  );
  return {
    service,
    store,
    settings,
    signer,
    driver,
    admission,
    controller,
    lines,
    /** Starts this process's share of moving the queue and steering admission, and its snapshots of the lines. */
    start() {
      driver.start();
      controller.start();
      lines?.start();
    },
    stop() {
      lines?.stop();
      driver.stop();
      controller.stop();
      admission.close();
    },
  };
}

export type Queue = ReturnType<typeof buildQueue>;

/**
 * The worker's hook after a reservation is confirmed or released: the buyer's ACTIVE token ends
 * (USED) and the next waiter is admitted at once, instead of after the active time runs out. The
 * confirmation of the last seat ends the sale for everyone waiting (SOLD_OUT) right away; a release
 * after a sell-out opens it again. While the buyer still holds other seats of the schedule
 * (`liveHolds`, read after this reservation left HELD) the token stays: they may still pay them.
 */
export function queueSettledHook(deps: QueueWiringDeps & { liveHolds?: (userId: number, scheduleId: number) => Promise<number> }) {
  const { service } = buildQueueService(deps);
  const seatStatus = new SeatStatusRepository(deps.db);
  return async (r: { scheduleId: number; userId: number; outcome: 'CONFIRMED' | 'RELEASED' }) => {
    // The sale ends before the buyer's place is freed, so nobody is admitted to an empty hall.
    if (r.outcome === 'CONFIRMED') {
      if (isSoldOut(await seatStatus.counts(r.scheduleId))) await service.endSale(r.scheduleId, 'SOLD_OUT');
    } else await service.reopen(r.scheduleId);
    if (deps.liveHolds && (await deps.liveHolds(r.userId, r.scheduleId)) > 0) return;
    await service.complete(r.userId, r.scheduleId);
  };
}

/** Ends a schedule's waiting room for everyone (reason CLOSED): the worker's step when a performance is cancelled. */
export function queueCloser(deps: QueueWiringDeps) {
  const { service, settings } = buildQueueService(deps);
  return async (scheduleId: number) => {
    settings.forget(scheduleId); // read the CANCELLING status now, not a cached SCHEDULED one
    await service.endSale(scheduleId, 'CLOSED');
  };
}

/**
 * The waiting room's routes' own request deadlines (createHttpApp's routeDeadlines; 0 = none).
 * - A join is cheap, idempotent and better answered late than refused: QUEUE_JOIN_DEADLINE_MS, and
 *   once its Redis step started it is answered however late. Only Redis's own reply is bounded, by
 *   QUEUE_JOIN_DEADLINE_MS again (the store's joinReplyDeadlineMs): a partition from Redis must not
 *   hang it until TCP gives up. A join the process could not start in time is shed at entry instead
 *   (join-shedding.ts).
 * - A poll or long poll has none: it is answered from this process's snapshot, which has nothing that
 *   could hang. REQUEST_DEADLINE_MS after a 25 s wait cut thousands of answers computed from memory
 *   when a spike's waiters came back together to a busy process. Each of its steps that does need a
 *   dependency is bounded on its own by REQUEST_DEADLINE_MS (the Redis read when the snapshot cannot
 *   answer, the settings' MySQL read, the rate limiter's Redis step, which fails open), so a Redis
 *   outage is still answered promptly.
 */
export const queueRouteDeadlines = (config: Pick<Config, 'QUEUE_JOIN_DEADLINE_MS'>) => [
  { method: 'POST', path: '/api/v1/queue/tokens', ms: config.QUEUE_JOIN_DEADLINE_MS },
  { method: 'GET', path: '/api/v1/queue/tokens/current', ms: 0 },
];
