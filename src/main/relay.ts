import { loadConfig } from '../config.js';
import { CatalogRepository } from '../catalog/repository.js';
import { salesReadModelConsumer } from '../events/consumers/sales-read-model.js';
import { buildEmail } from './email-app.js';
import { recommendationsConsumer } from '../recommendations/consumer.js';
import { buildRecommendations } from '../recommendations/wiring.js';
import { KafkaEventPublisher } from '../events/kafka-publisher.js';
import { OutboxRelay } from '../events/relay.js';
import { createDatabase } from '../platform/db/client.js';
import { domainDatabaseUrl } from '../platform/db/domains.js';
import { createKafka } from '../platform/kafka.js';
import { createLogger } from '../platform/observability/logger.js';
import { Metrics } from '../platform/observability/metrics.js';
import { exitOnStartupError, onShutdown } from './shutdown.js';

/** Composition root of the outbox relay process (and of the read-model consumers that live beside it). */
async function main() {
  const config = loadConfig();
  const log = createLogger({ level: config.LOG_LEVEL, service: config.SERVICE_NAME, process: 'relay' });
  const metrics = new Metrics('relay');
  const metricsServer = await metrics.serve(config.RELAY_METRICS_PORT, config.METRICS_HOST);
  const database = createDatabase(config.MYSQL_URL, 6);
  // Payment's outbox lives in payment's database (its state changes commit with their events there).
  const paymentDatabase = createDatabase(domainDatabaseUrl(config, 'payment'), 3);
  // The waiting list's outbox, likewise in its own database.
  const waitlistDatabase = createDatabase(domainDatabaseUrl(config, 'waitlist'), 3);
  // Identity's outbox (sign-ups, security events, the admin actions identity records), in its own
  // database; the email's contacts read the accounts there too.
  const identityDatabase = createDatabase(domainDatabaseUrl(config, 'identity'), 3);
  const kafka = createKafka({ brokers: config.KAFKA_BROKERS, clientId: `${config.KAFKA_CLIENT_ID}-relay` });
  // Connects lazily and reconnects after errors: the relay starts and keeps its lease while Kafka is
  // down, counts the failures and the growing lag, and catches up once Kafka is back.
  // Requests to Kafka by API: a Produce per batch plus what kafkajs adds (Metadata, InitProducerId).
  const kafkaRequests = metrics.counter('relay_kafka_requests_total', 'Requests the relay sent to Kafka, by Kafka API', ['api']);
  const publisher = new KafkaEventPublisher(kafka, (api) => kafkaRequests.inc({ api }));
  const relayOptions = { topicPrefix: config.KAFKA_TOPIC_PREFIX, batchSize: config.RELAY_BATCH_SIZE, pollMs: config.RELAY_POLL_MS };
  // One relay per domain outbox, each with its own leader lock (in its own database): per-aggregate
  // order holds, as every aggregate's events are in one outbox (an admin's actions too: `admin-<id>`
  // in booking's, `identity-admin-<id>` in identity's; src/identity/audit.ts).
  const relays = [
    new OutboxRelay(database.db, database.pool, publisher, log, metrics, { ...relayOptions, lockName: `${config.KAFKA_TOPIC_PREFIX}outbox-relay` }),
    new OutboxRelay(paymentDatabase.db, paymentDatabase.pool, publisher, log.child({ outbox: 'payment' }), metrics, { ...relayOptions, lockName: `${config.KAFKA_TOPIC_PREFIX}outbox-relay-payment`, outbox: 'payment' }),
    new OutboxRelay(waitlistDatabase.db, waitlistDatabase.pool, publisher, log.child({ outbox: 'waitlist' }), metrics, { ...relayOptions, lockName: `${config.KAFKA_TOPIC_PREFIX}outbox-relay-waitlist`, outbox: 'waitlist' }),
    new OutboxRelay(identityDatabase.db, identityDatabase.pool, publisher, log.child({ outbox: 'identity' }), metrics, { ...relayOptions, lockName: `${config.KAFKA_TOPIC_PREFIX}outbox-relay-identity`, outbox: 'identity' }),
  ];
  for (const relay of relays) relay.start();
  // The read models, each in its own database (its own user); catalog's answers through catalog's repository.
  const eventsDatabase = createDatabase(domainDatabaseUrl(config, 'events'), 3);
  const recommendationsDatabase = createDatabase(domainDatabaseUrl(config, 'recommendations'), 3);
  const salesReadModel = salesReadModelConsumer({ kafka, eventsDb: eventsDatabase.db, log, metrics, topicPrefix: config.KAFKA_TOPIC_PREFIX });
  if (config.SALES_READ_MODEL_ENABLED) salesReadModel.start();
  const { repo: recommendationRepo } = buildRecommendations(recommendationsDatabase.db, new CatalogRepository(database.db));
  const recommendations = recommendationsConsumer({ kafka, repo: recommendationRepo, log, metrics, topicPrefix: config.KAFKA_TOPIC_PREFIX });
  if (config.RECOMMENDATIONS_READ_MODEL_ENABLED) recommendations.start();
  // Email from the domain events, logged in notifications' own database (docs/tickets.md "Email").
  const notificationsDatabase = createDatabase(domainDatabaseUrl(config, 'notifications'), 3);
  const email = buildEmail({ config, db: database.db, identityDb: identityDatabase.db, notificationsDb: notificationsDatabase.db, kafka, log, metrics });
  if (config.EMAIL_ENABLED) email.start();
  log.info({ metricsPort: config.RELAY_METRICS_PORT }, 'relay started');

  onShutdown(log, config.SHUTDOWN_GRACE_MS, [
    ['relay', () => Promise.all(relays.map((r) => r.stop()))],
    ['sales-read-model', () => salesReadModel.stop()],
    ['recommendations-read-model', () => recommendations.stop()],
    ['email', () => email.stop()],
    ['kafka', () => publisher.close()],
    ['mysql', () => Promise.all([database.close(), paymentDatabase.close(), notificationsDatabase.close(), waitlistDatabase.close(), identityDatabase.close(), eventsDatabase.close(), recommendationsDatabase.close()])],
    ['metrics', () => new Promise<void>((r) => metricsServer.close(() => r()))],
  ]);
}

main().catch((err) => exitOnStartupError(undefined, err));
