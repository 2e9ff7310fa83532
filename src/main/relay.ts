import { loadConfig } from '../config.js';
import { OutboxRelay } from '../events/relay.js';
import { createDatabase } from '../platform/db/client.js';
import { createIdempotentProducer, createKafka } from '../platform/kafka.js';
import { createLogger } from '../platform/observability/logger.js';
import { Metrics } from '../platform/observability/metrics.js';
import { exitOnStartupError, onShutdown } from './shutdown.js';

/** Composition root of the outbox relay process. */
async function main() {
  const config = loadConfig();
  const log = createLogger({ level: config.LOG_LEVEL, service: config.SERVICE_NAME, process: 'relay' });
  const metrics = new Metrics('relay');
  const metricsServer = await metrics.serve(config.RELAY_METRICS_PORT);
  const database = createDatabase(config.MYSQL_URL, 4);
  const kafka = createKafka({ brokers: config.KAFKA_BROKERS, clientId: `${config.KAFKA_CLIENT_ID}-relay` });
  const producer = await createIdempotentProducer(kafka);
  const relay = new OutboxRelay(database.db, database.pool, producer, log, metrics, {
    topicPrefix: config.KAFKA_TOPIC_PREFIX,
    batchSize: config.RELAY_BATCH_SIZE,
    pollMs: config.RELAY_POLL_MS,
    lockName: `${config.KAFKA_TOPIC_PREFIX}outbox-relay`,
  });
  relay.start();
  log.info({ metricsPort: config.RELAY_METRICS_PORT }, 'relay started');

  onShutdown(log, config.SHUTDOWN_GRACE_MS, [
    ['relay', () => relay.stop()],
    ['kafka', () => producer.disconnect()],
    ['mysql', () => database.close()],
    ['metrics', () => new Promise<void>((r) => metricsServer.close(() => r()))],
  ]);
}

main().catch((err) => exitOnStartupError(undefined, err));
