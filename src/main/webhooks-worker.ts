import { NativeConnection, Runtime, makeTelemetryFilterString } from '@temporalio/worker';
import { CatalogRepository } from '../catalog/index.js';
import { loadConfig } from '../config.js';
import { createDatabase } from '../platform/db/client.js';
import { domainDatabaseUrl } from '../platform/db/domains.js';
import { createKafka } from '../platform/kafka.js';
import { createLogger } from '../platform/observability/logger.js';
import { Metrics } from '../platform/observability/metrics.js';
import { createTemporalClient } from '../platform/temporal.js';
import { exitOnStartupError, onShutdown } from './shutdown.js';
import { createWebhooksWorker } from './webhooks-wiring.js';

/**
 * Composition root of the webhooks worker (`npm run worker:webhooks`): the delivery workflows on
 * WEBHOOKS_TASK_QUEUE, on webhooks' database, and the Kafka consumer that starts them. Run it beside
 * booking's workers started with WORKER_SERVES_WEBHOOKS=false (docs/webhooks.md). Booking's database
 * is read only through catalog's repository, to learn which concert a schedule belongs to.
 */
async function main() {
  const config = loadConfig();
  const log = createLogger({ level: config.LOG_LEVEL, service: config.SERVICE_NAME, process: 'webhooks-worker' });
  Runtime.install({
    logger: { log: () => {}, trace: () => {}, debug: () => {}, info: () => {}, warn: (m, a) => log.warn(a ?? {}, m), error: (m, a) => log.error(a ?? {}, m) },
    telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'WARN' }), forward: {} } },
  });
  const webhooksDatabase = createDatabase(domainDatabaseUrl(config, 'webhooks'), 5);
  const catalogDatabase = createDatabase(config.MYSQL_URL, 2);
  const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  const client = await createTemporalClient({ address: config.TEMPORAL_ADDRESS, namespace: config.TEMPORAL_NAMESPACE, dataEncryptionKey: config.DATA_ENCRYPTION_KEY, previousDataEncryptionKey: config.DATA_ENCRYPTION_KEY_PREVIOUS });
  const kafka = createKafka({ brokers: config.KAFKA_BROKERS, clientId: `${config.KAFKA_CLIENT_ID}-webhooks` });
  const metrics = new Metrics('webhooks-worker');
  const { worker, consumer } = await createWebhooksWorker({ config, webhooksDb: webhooksDatabase.db, catalog: new CatalogRepository(catalogDatabase.db), client, connection, kafka, log, metrics });
  consumer.start();
  log.info({ taskQueue: config.WEBHOOKS_TASK_QUEUE }, 'webhooks worker started');

  onShutdown(log, config.SHUTDOWN_GRACE_MS, [
    ['webhook-dispatcher', () => consumer.stop()],
    ['worker', async () => { worker.shutdown(); await running; }],
    ['temporal', async () => { await client.connection.close(); await connection.close(); }],
    ['mysql', () => Promise.all([webhooksDatabase.close(), catalogDatabase.close()])],
  ]);
  const running = worker.run();
  await running;
}

main().catch((err) => exitOnStartupError(undefined, err));
