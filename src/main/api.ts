import { createAdaptorServer } from '@hono/node-server';
import type { Server } from 'node:http';
import { loadConfig } from '../config.js';
import { notificationsConsumer } from '../events/consumers/notifications.js';
import { NotificationHub } from '../events/notification-hub.js';
import { createDatabase } from '../platform/db/client.js';
import { domainDatabaseUrl } from '../platform/db/domains.js';
import { createReplicaReads } from '../platform/db/replica.js';
import { createKafka } from '../platform/kafka.js';
import { createLogger } from '../platform/observability/logger.js';
import { Metrics } from '../platform/observability/metrics.js';
import { createRedis, redisEndpointOf } from '../platform/redis.js';
import { createTemporalClient } from '../platform/temporal.js';
import { buildApiApp } from './api-app.js';
import { exitOnStartupError, onShutdown } from './shutdown.js';

/** Composition root of the API process. */
async function main() {
  const config = loadConfig();
  const log = createLogger({ level: config.LOG_LEVEL, service: config.SERVICE_NAME, process: 'api' });
  const metrics = new Metrics('api');
  const database = createDatabase(config.MYSQL_URL, config.MYSQL_POOL_SIZE);
  const paymentDatabase = createDatabase(domainDatabaseUrl(config, 'payment'), config.MYSQL_POOL_SIZE);
  const webhooksDatabase = createDatabase(domainDatabaseUrl(config, 'webhooks'), 5);
  const waitlistDatabase = createDatabase(domainDatabaseUrl(config, 'waitlist'), config.MYSQL_POOL_SIZE);
  // Identity's accounts (login, token versions on a cache miss, the audit events).
  const identityDatabase = createDatabase(domainDatabaseUrl(config, 'identity'), config.MYSQL_POOL_SIZE);
  // The read models: the sales figures (admin only) in the events database, recommendations in theirs.
  const eventsDatabase = createDatabase(domainDatabaseUrl(config, 'events'), 3);
  const recommendationsDatabase = createDatabase(domainDatabaseUrl(config, 'recommendations'), 10);
  const replicaReads = createReplicaReads(database, config.MYSQL_REPLICA_URL, {
    poolSize: config.MYSQL_POOL_SIZE,
    retryMs: config.MYSQL_REPLICA_RETRY_MS,
    onFallback: (err) => log.warn({ err: String(err) }, 'mysql replica unreachable; lag-tolerant reads go to the primary for now'),
  });
  const redis = createRedis(redisEndpointOf(config), config.REDIS_PREFIX, (err) => log.warn({ err: err.message }, 'redis connection error'));
  const temporal = await createTemporalClient({ address: config.TEMPORAL_ADDRESS, namespace: config.TEMPORAL_NAMESPACE, dataEncryptionKey: config.DATA_ENCRYPTION_KEY, previousDataEncryptionKey: config.DATA_ENCRYPTION_KEY_PREVIOUS });
  const kafka = createKafka({ brokers: config.KAFKA_BROKERS, clientId: `${config.KAFKA_CLIENT_ID}-api` });
  const kafkaAdmin = kafka.admin();
  kafkaAdmin.connect().catch((err) => log.warn({ err: String(err) }, 'kafka not reachable yet; /readyz will say so'));

  // SSE: this process's own consumer group feeds the streams of the users connected here. It
  // starts (and retries) in the background, so the API serves requests even while Kafka is down.
  const notifications = new NotificationHub(config.SSE_MAX_STREAMS_PER_USER);
  const notifier = notificationsConsumer({ kafka, hub: notifications, log, metrics, topicPrefix: config.KAFKA_TOPIC_PREFIX, dedupSize: config.NOTIFICATIONS_DEDUP_SIZE });
  if (config.NOTIFICATIONS_ENABLED) notifier.start();

  const { app, services } = buildApiApp({ config, db: database.db, replicaDb: replicaReads.db, paymentDb: paymentDatabase.db, webhooksDb: webhooksDatabase.db, waitlistDb: waitlistDatabase.db, identityDb: identityDatabase.db, eventsDb: eventsDatabase.db, recommendationsDb: recommendationsDatabase.db, redis, temporal, kafkaAdmin, log, metrics, notifications });
  const server = createAdaptorServer({ fetch: app.fetch }) as Server;
  // A rush opens thousands of connections at once: Node's default accept backlog (511) overflows,
  // and the kernel's dropped SYNs come back as 1-3 s client retries while the CPUs sit idle.
  server.listen({ host: config.API_HOST, port: config.API_PORT, backlog: config.API_LISTEN_BACKLOG });
  // Keep-alive sockets longer than a load balancer's idle timeout avoid spurious 502s.
  server.keepAliveTimeout = 65_000;
  log.info({ port: config.API_PORT }, `API listening on http://${config.API_HOST}:${config.API_PORT}`);

  onShutdown(log, config.SHUTDOWN_GRACE_MS, [
    ['notifications', () => notifier.stop()],
    // Open event streams would keep server.close() waiting: end them first (clients reconnect elsewhere).
    ['sse', async () => notifications.closeAll()],
    ['http', () => drainHttp(server, config.SHUTDOWN_GRACE_MS / 2)],
    // Other API processes keep admitting from the waiting room (docs/queue.md).
    ['queue', async () => services.queue.stop()],
    ['kafka', () => kafkaAdmin.disconnect()],
    ['temporal', () => temporal.connection.close()],
    ['redis', () => redis.quit()],
    ['mysql', () => Promise.all([database.close(), paymentDatabase.close(), webhooksDatabase.close(), waitlistDatabase.close(), identityDatabase.close(), eventsDatabase.close(), recommendationsDatabase.close(), replicaReads.close()])],
  ]);
}

/**
 * Stops accepting connections, lets in-flight requests finish, and closes idle keep-alive sockets
 * (clients reconnect to another process); whatever is still open after `drainMs` is cut.
 */
function drainHttp(server: Server, drainMs: number): Promise<void> {
  return new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
    const idle = setInterval(() => server.closeIdleConnections(), 100);
    const cut = setTimeout(() => server.closeAllConnections(), drainMs);
    server.once('close', () => {
      clearInterval(idle);
      clearTimeout(cut);
    });
  });
}

main().catch((err) => exitOnStartupError(undefined, err));
