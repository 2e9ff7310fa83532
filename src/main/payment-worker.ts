import { NativeConnection, Runtime, makeTelemetryFilterString } from '@temporalio/worker';
import { loadConfig } from '../config.js';
import { createDatabase } from '../platform/db/client.js';
import { domainDatabaseUrl } from '../platform/db/domains.js';
import { createLogger } from '../platform/observability/logger.js';
import { Metrics } from '../platform/observability/metrics.js';
import { createTemporalClient } from '../platform/temporal.js';
import { exitOnStartupError, onShutdown } from './shutdown.js';
import { createPaymentWorker } from './worker-app.js';

/**
 * Composition root of the payment worker process (`npm run worker:payments`): payment's activities on
 * PAYMENT_TASK_QUEUE, connected to payment's database only (its own user). Run it beside booking's
 * workers started with WORKER_SERVES_PAYMENTS=false; scale it on its own (docs/production.md).
 */
async function main() {
  const config = loadConfig();
  const log = createLogger({ level: config.LOG_LEVEL, service: config.SERVICE_NAME, process: 'payment-worker' });
  Runtime.install({
    logger: { log: () => {}, trace: () => {}, debug: () => {}, info: () => {}, warn: (m, a) => log.warn(a ?? {}, m), error: (m, a) => log.error(a ?? {}, m) },
    telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'WARN' }), forward: {} } },
  });
  const database = createDatabase(domainDatabaseUrl(config, 'payment'), config.MYSQL_POOL_SIZE);
  const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  const client = await createTemporalClient({ address: config.TEMPORAL_ADDRESS, namespace: config.TEMPORAL_NAMESPACE, dataEncryptionKey: config.DATA_ENCRYPTION_KEY, previousDataEncryptionKey: config.DATA_ENCRYPTION_KEY_PREVIOUS });
  // The reconciliation's mismatch counter; scraped when the process serves metrics (not yet: docs/production.md).
  const metrics = new Metrics('payment-worker');
  const worker = await createPaymentWorker({ config, paymentDb: database.db, connection, client, metrics });
  log.info({ taskQueue: config.PAYMENT_TASK_QUEUE }, 'payment worker started');

  onShutdown(log, config.SHUTDOWN_GRACE_MS, [
    ['worker', async () => { worker.shutdown(); await running; }],
    ['temporal', async () => { await client.connection.close(); await connection.close(); }],
    ['mysql', () => database.close()],
  ]);
  const running = worker.run();
  await running;
}

main().catch((err) => exitOnStartupError(undefined, err));
