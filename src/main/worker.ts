import { NativeConnection, Runtime, makeTelemetryFilterString, type Worker } from '@temporalio/worker';
import { loadConfig } from '../config.js';
import { createDatabase } from '../platform/db/client.js';
import { createLogger } from '../platform/observability/logger.js';
import { Metrics } from '../platform/observability/metrics.js';
import { createRedis, redisEndpointOf } from '../platform/redis.js';
import { createTemporalClient } from '../platform/temporal.js';
import { exitOnStartupError, onShutdown } from './shutdown.js';
import { createBookingWorker, createPaymentWorker, ensureReconciliationSchedule, ensureSweeperSchedule } from './worker-app.js';
import { domainDatabaseUrl } from '../platform/db/domains.js';
import { CatalogRepository } from '../catalog/index.js';
import { createKafka } from '../platform/kafka.js';
import { createWebhooksWorker } from './webhooks-wiring.js';

/**
 * Composition root of the Temporal worker process: booking's task queue, and in development payment's
 * too (a second Worker in the same process, on payment's database) unless WORKER_SERVES_PAYMENTS=false
 * because `npm run worker:payments` (src/main/payment-worker.ts) serves it as its own process; and
 * webhooks' queue with its Kafka consumer unless WORKER_SERVES_WEBHOOKS=false (`npm run worker:webhooks`).
 */
async function main() {
  const config = loadConfig();
  const log = createLogger({ level: config.LOG_LEVEL, service: config.SERVICE_NAME, process: 'worker' });
  // Temporal's own worker metrics (task latencies, slots, polls) on a port next to ours.
  Runtime.install({
    logger: { log: () => {}, trace: () => {}, debug: () => {}, info: () => {}, warn: (m, a) => log.warn(a ?? {}, m), error: (m, a) => log.error(a ?? {}, m) },
    telemetryOptions: {
      logging: { filter: makeTelemetryFilterString({ core: 'WARN' }), forward: {} },
      metrics: { prometheus: { bindAddress: `${hostForAddress(config.METRICS_HOST)}:${config.WORKER_SDK_METRICS_PORT}` } },
    },
  });
  const metrics = new Metrics('worker');
  const metricsServer = await metrics.serve(config.WORKER_METRICS_PORT, config.METRICS_HOST);
  const database = createDatabase(config.MYSQL_URL, config.MYSQL_POOL_SIZE);
  // Payment's database only when this process serves payment's queue too (development); booking's
  // activities then also serve workflows started before payment's steps moved there (docs/production.md).
  const paymentDatabase = config.WORKER_SERVES_PAYMENTS ? createDatabase(domainDatabaseUrl(config, 'payment'), config.MYSQL_POOL_SIZE) : undefined;
  // The waiting list's database: a release asks it for offers, a confirmation tells it (docs/waitlist.md).
  const waitlistDatabase = createDatabase(domainDatabaseUrl(config, 'waitlist'), config.MYSQL_POOL_SIZE);
  const redis = createRedis(redisEndpointOf(config), config.REDIS_PREFIX, (err) => log.warn({ err: err.message }, 'redis connection error'));
  const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  const client = await createTemporalClient({ address: config.TEMPORAL_ADDRESS, namespace: config.TEMPORAL_NAMESPACE, dataEncryptionKey: config.DATA_ENCRYPTION_KEY, previousDataEncryptionKey: config.DATA_ENCRYPTION_KEY_PREVIOUS });

  const worker = await createBookingWorker({ config, db: database.db, paymentDb: paymentDatabase?.db, waitlistDb: waitlistDatabase.db, redis, client, connection, metrics });
  const paymentWorker = paymentDatabase ? await createPaymentWorker({ config, paymentDb: paymentDatabase.db, connection, client, metrics }) : undefined;
  // Webhooks' database, queue and Kafka consumer when this process serves them too (development).
  const webhooksDatabase = config.WORKER_SERVES_WEBHOOKS ? createDatabase(domainDatabaseUrl(config, 'webhooks'), 5) : undefined;
  const kafka = createKafka({ brokers: config.KAFKA_BROKERS, clientId: `${config.KAFKA_CLIENT_ID}-worker` });
  const webhooks = webhooksDatabase
    ? await createWebhooksWorker({ config, webhooksDb: webhooksDatabase.db, catalog: new CatalogRepository(database.db), client, connection, kafka, log, metrics })
    : undefined;
  webhooks?.consumer.start();
  if (config.SWEEPER_ENABLED) await ensureSweeperSchedule(client, config.TEMPORAL_TASK_QUEUE);
  if (config.RECONCILIATION_ENABLED && config.PAYMENT_PROVIDER !== 'none') await ensureReconciliationSchedule(client, config.TEMPORAL_TASK_QUEUE, config.PAYMENT_TASK_QUEUE);
  log.info({ taskQueue: config.TEMPORAL_TASK_QUEUE, paymentTaskQueue: paymentWorker ? config.PAYMENT_TASK_QUEUE : null, webhooksTaskQueue: webhooks ? config.WEBHOOKS_TASK_QUEUE : null, metricsPort: config.WORKER_METRICS_PORT, sdkMetricsPort: config.WORKER_SDK_METRICS_PORT }, 'worker started');

  onShutdown(log, config.SHUTDOWN_GRACE_MS, [
    ['webhook-dispatcher', async () => webhooks?.consumer.stop()],
    ['worker', async () => { for (const w of [worker, paymentWorker, webhooks?.worker]) shutdownIfRunning(w); await running; }],
    ['temporal', async () => { await client.connection.close(); await connection.close(); }],
    ['redis', () => redis.quit()],
    ['mysql', () => Promise.all([database.close(), paymentDatabase?.close(), webhooksDatabase?.close(), waitlistDatabase.close()])],
    ['metrics', () => new Promise<void>((r) => metricsServer.close(() => r()))],
  ]);
  // run() resolves once shutdown() has drained in-flight activities and workflow tasks.
  const running = Promise.all([worker.run(), paymentWorker?.run(), webhooks?.worker.run()]);
  await running;
}

main().catch((err) => exitOnStartupError(undefined, err));

/**
 * The SDK's runtime also shuts its workers down on SIGTERM/SIGINT, so by this step one may already
 * be stopping or stopped, and shutdown() on it throws IllegalStateError.
 */
function shutdownIfRunning(worker: Worker | undefined): void {
  if (worker?.getState() === 'RUNNING') worker.shutdown();
}

/** An IPv6 literal needs brackets before a port (the SDK's exporter parses `host:port`). */
function hostForAddress(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}
