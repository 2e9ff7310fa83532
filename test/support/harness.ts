import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import mysql from 'mysql2/promise';
import { pino } from 'pino';
import { inject } from 'vitest';
import type { BookingActivities } from '../../activities/index.js';
import { loadConfig, type Config } from '../../src/config.js';
import { buildApiApp } from '../../src/main/api-app.js';
import { createBookingWorker, createPaymentWorker } from '../../src/main/worker-app.js';
import { migrateAllDatabases } from '../../src/main/migrations.js';
import type { PaymentActivities } from '../../activities/payment.js';
import { createPaymentProvider } from '../../src/payment/provider-factory.js';
import type { PaymentProvider } from '../../src/payment/provider.js';
import { createDatabase, type Database } from '../../src/platform/db/client.js';
import { provisionDatabase } from '../../src/platform/db/migrate.js';
import { DATA_DOMAINS, domainDatabaseUrl, type DataDomain } from '../../src/platform/db/domains.js';
import { registerDomainPools } from './invariants.js';
import { createKafka } from '../../src/platform/kafka.js';
import { Metrics } from '../../src/platform/observability/metrics.js';
import { createRedis, redisEndpointOf, type Redis } from '../../src/platform/redis.js';
import { encryptedDataConverter } from '../../src/platform/temporal-codec.js';
import { users } from '../../src/identity/schema.js';
import { hashPassword } from '../../src/identity/passwords.js';

export const TEST_PASSWORD = 'correct-horse-battery';

let runtimeInstalled = false;
function quietRuntime() {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  Runtime.install({ logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: (m) => console.error(m) } });
}

export interface TestContextOptions {
  env?: Record<string, string>;
  worker?: boolean;
  overrideActivities?: (a: BookingActivities) => Partial<BookingActivities>;
  /** The same for the payment worker's activities (payment's task queue). */
  overridePaymentActivities?: (a: PaymentActivities) => Partial<PaymentActivities>;
  /** Wraps the API's payment provider (the API creates card payments itself). */
  wrapApiPaymentProvider?: (p: PaymentProvider) => PaymentProvider;
}

/** A MySQL URL on the run's server with another user and database. */
const mysqlUrl = (serverUrl: string, user: string, password: string, database: string) => {
  const u = new URL(serverUrl);
  u.username = user;
  u.password = password;
  u.pathname = `/${database}`;
  return u.toString();
};

/**
 * Each file's domain databases get their own users, granted on their own database only, as in
 * production. Where the run's MySQL account may not grant (an older stack without GRANT OPTION), the
 * file uses that account for every database instead, and `isolatedUsers` says so (the grants test
 * fails then; every other test still runs).
 */
async function domainDatabaseEnv(serverUrl: string, id: string): Promise<{ env: Record<string, string>; isolatedUsers: boolean }> {
  const password = randomBytes(12).toString('hex');
  const bookingUrl = mysqlUrl(serverUrl, `${id}_booking`, password, `${id}_booking`);
  try {
    await provisionDatabase(serverUrl, bookingUrl);
    return { env: { MYSQL_URL: bookingUrl, MYSQL_DATABASE_PREFIX: `${id}_`, MYSQL_DOMAIN_PASSWORD: password }, isolatedUsers: true };
  } catch (err) {
    if (!/denied/i.test(String((err as Error).message))) throw err;
    await dropUsers(serverUrl, id);
    const admin = new URL(serverUrl);
    const as = (db: string) => mysqlUrl(serverUrl, decodeURIComponent(admin.username), decodeURIComponent(admin.password), db);
    return { env: { MYSQL_URL: as(`${id}_booking`), MYSQL_URL_PAYMENT: as(`${id}_payment`), MYSQL_URL_NOTIFICATIONS: as(`${id}_notifications`), MYSQL_URL_WEBHOOKS: as(`${id}_webhooks`), MYSQL_URL_WAITLIST: as(`${id}_waitlist`), MYSQL_URL_IDENTITY: as(`${id}_identity`), MYSQL_URL_EVENTS: as(`${id}_events`), MYSQL_URL_RECOMMENDATIONS: as(`${id}_recommendations`) }, isolatedUsers: false };
  }
}

const DOMAIN_DATABASES = ['booking', 'payment', 'notifications', 'webhooks', 'waitlist', 'identity', 'events', 'recommendations'] as const;

async function dropUsers(serverUrl: string, id: string) {
  const admin = await mysql.createConnection({ uri: serverUrl });
  try {
    for (const d of DOMAIN_DATABASES) await admin.query(`DROP USER IF EXISTS ?@'%'`, [`${id}_${d}`]);
  } finally {
    await admin.end();
  }
}

export type TestContext = Awaited<ReturnType<typeof createTestContext>>;

/**
 * Everything one test file needs, isolated from the other files: its own MySQL database, Redis key
 * prefix, Temporal task queue and Kafka topic prefix, an in-process API app and (optionally) a
 * booking worker, all on the run's shared real services.
 */
export async function createTestContext(opts: TestContextOptions = {}) {
  const stack = inject('stack');
  const id = `t${randomBytes(4).toString('hex')}`;
  // Not `test_...`: MariaDB grants every user (PUBLIC) access to databases named test_%.
  const databases = await domainDatabaseEnv(stack.mysqlServerUrl, id);
  const config: Config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    ...databases.env,
    MYSQL_ADMIN_URL: stack.mysqlServerUrl,
    MYSQL_POOL_SIZE: '30',
    REDIS_URL: stack.redisUrl,
    REDIS_PREFIX: `${id}:`,
    ...(stack.redisClusterNodes ? { REDIS_CLUSTER_NODES: stack.redisClusterNodes } : {}),
    TEMPORAL_ADDRESS: stack.temporalAddress,
    TEMPORAL_TASK_QUEUE: `booking-${id}`,
    PAYMENT_TASK_QUEUE: `payments-${id}`,
    WEBHOOKS_TASK_QUEUE: `webhooks-${id}`,
    KAFKA_BROKERS: stack.kafkaBrokers,
    KAFKA_TOPIC_PREFIX: `${id}.`,
    CANCELLATION_WORKFLOW_ID_PREFIX: `${id}-`,
    // Booking tests need no waiting room; queue tests pass QUEUE_ENFORCED: 'true'.
    QUEUE_ENFORCED: 'false',
    // Card payments talk to the run's localstripe, each file with its own webhook secret (so another
    // file's events, which localstripe sends to every registered endpoint, fail its signature check).
    ...(stack.stripeUrl ? { STRIPE_API_BASE: stack.stripeUrl, STRIPE_WEBHOOK_SECRET: `whsec_${id}_test_only` } : { PAYMENT_PROVIDER: 'none' }),
    // Email goes to the run's Mailpit (test/support/mailpit.ts reads it back).
    ...(stack.smtpUrl ? { SMTP_URL: stack.smtpUrl } : {}),
    ...opts.env,
  });
  await migrateAllDatabases(config);
  const paymentUrl = domainDatabaseUrl(config, 'payment');
  const database: Database = createDatabase(config.MYSQL_URL, config.MYSQL_POOL_SIZE);
  const paymentDatabase: Database = createDatabase(paymentUrl, config.MYSQL_POOL_SIZE);
  const notificationsUrl = domainDatabaseUrl(config, 'notifications');
  const notificationsDatabase: Database = createDatabase(notificationsUrl, 5);
  const webhooksUrl = domainDatabaseUrl(config, 'webhooks');
  const webhooksDatabase: Database = createDatabase(webhooksUrl, 5);
  
  const waitlistUrl = domainDatabaseUrl(config, 'waitlist');
  const waitlistDatabase: Database = createDatabase(waitlistUrl, config.MYSQL_POOL_SIZE);
  const identityDatabase: Database = createDatabase(domainDatabaseUrl(config, 'identity'), config.MYSQL_POOL_SIZE);
  // The read models' databases: the sales read model (events) and recommendations'.
  const eventsDatabase: Database = createDatabase(domainDatabaseUrl(config, 'events'), 5);
  const recommendationsDatabase: Database = createDatabase(domainDatabaseUrl(config, 'recommendations'), 5);
  registerDomainPools(database.pool, { payment: paymentDatabase.pool, waitlist: waitlistDatabase.pool, identity: identityDatabase.pool });
  const redis: Redis = createRedis(redisEndpointOf(config), config.REDIS_PREFIX);
  const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
  const temporal = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE, dataConverter: encryptedDataConverter(config.DATA_ENCRYPTION_KEY, config.DATA_ENCRYPTION_KEY_PREVIOUS) });
  const kafka = createKafka({ brokers: config.KAFKA_BROKERS, clientId: `test-${id}` });
  const kafkaAdmin = kafka.admin();
  await kafkaAdmin.connect();
  const log = pino({ level: 'silent' });
  const metrics = new Metrics(`api-${id}`, false);
  const workerMetrics = new Metrics(`worker-${id}`, false);
  const apiProvider = opts.wrapApiPaymentProvider && createPaymentProvider(config);
  const providerOverride = apiProvider ? { paymentProvider: opts.wrapApiPaymentProvider!(apiProvider) } : {};
  const { app, services } = buildApiApp({ config, db: database.db, paymentDb: paymentDatabase.db, webhooksDb: webhooksDatabase.db, waitlistDb: waitlistDatabase.db, identityDb: identityDatabase.db, eventsDb: eventsDatabase.db, recommendationsDb: recommendationsDatabase.db, redis, temporal, kafkaAdmin, log, metrics, ...providerOverride });

  let worker: Worker | undefined;
  let paymentWorker: Worker | undefined;
  let workerRun: Promise<unknown> | undefined;
  let nativeConnection: NativeConnection | undefined;
  const startWorker = async (override = opts.overrideActivities, overridePayment = opts.overridePaymentActivities) => {
    quietRuntime();
    nativeConnection ??= await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
    const connection = nativeConnection;
    // Both at once: the payment worker (a second Worker on this file's payment queue, as in
    // development) is ready by the time the booking worker has loaded its workflow bundle.
    [worker, paymentWorker] = await Promise.all([
      createBookingWorker({
        config,
        db: database.db,
        paymentDb: paymentDatabase.db,
        waitlistDb: waitlistDatabase.db,
        redis,
        client: temporal,
        connection,
        metrics: workerMetrics,
        workflowBundle: { codePath: stack.workflowBundlePath },
        ...(override ? { overrideActivities: override } : {}),
      }),
      createPaymentWorker({ config, paymentDb: paymentDatabase.db, connection, client: temporal, metrics: workerMetrics, ...(overridePayment ? { overrideActivities: overridePayment } : {}) }),
    ]);
    workerRun = Promise.all([worker.run(), paymentWorker.run()]);
  };
  const stopWorker = async () => {
    if (!worker) return;
    if (worker.getState() === 'RUNNING') worker.shutdown();
    if (paymentWorker?.getState() === 'RUNNING') paymentWorker.shutdown();
    await workerRun;
    worker = undefined;
    paymentWorker = undefined;
  };
  if (opts.worker !== false) await startWorker();

  /** Calls the API in-process (no socket), JSON in and out. */
  const request = async (method: string, path: string, init: { token?: string; body?: unknown; headers?: Record<string, string> } = {}) => {
    const headers: Record<string, string> = { ...init.headers };
    if (init.token) headers.authorization = `Bearer ${init.token}`;
    if (init.body !== undefined) headers['content-type'] ??= 'application/json';
    const res = await app.request(path, { method, headers, body: init.body === undefined ? undefined : typeof init.body === 'string' ? init.body : JSON.stringify(init.body) });
    const text = await res.text();
    let body: any;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = text;
    }
    return { status: res.status, body, headers: res.headers };
  };

  let userSeq = 0;
  let passwordHash: string | undefined;
  /** A signed-up user with a funded wallet and an access token. */
  const createUser = async (opts: { balance?: number; role?: 'USER' | 'ADMIN' | 'STAFF' } = {}) => {
    userSeq += 1;
    const email = `u${userSeq}-${randomBytes(3).toString('hex')}@test.example`;
    // Sign-up hashes the password with scrypt (tens of ms); bulk users reuse one hash, inserted directly.
    passwordHash ??= await hashPassword(TEST_PASSWORD);
    const [res] = await identityDatabase.db.insert(users).values({
      emailCipher: services.cipher.encrypt(email),
      emailIndex: services.cipher.emailIndex(email),
      name: `User ${userSeq}`,
      passwordHash,
      role: opts.role ?? 'USER',
    });
    const id = Number(res.insertId);
    await services.wallets.openWallet(id);
    if (opts.balance) await services.wallets.charge(id, opts.balance, `charge:test-${id}`);
    const { accessToken } = await services.tokens.issue({ id, role: opts.role ?? 'USER', tokenVersion: 0 });
    return { id, email, token: accessToken };
  };

  /** A concert with one schedule on sale now, `rows x seatsPerRow` seats at `price` each. */
  const createSchedule = async (o: { rows?: number; seatsPerRow?: number; price?: number; startsInHours?: number; maxSeats?: number } = {}) => {
    const now = Date.now();
    const startsAt = new Date(now + (o.startsInHours ?? 24 * 14) * 3_600_000);
    const created = await services.catalog.createConcert(
      {
        title: `Test concert ${randomBytes(2).toString('hex')}`,
        artist: 'Test Artist',
        description: '',
        venue: 'Test Hall',
        schedules: [{ startsAt, saleOpensAt: new Date(now - 3_600_000), saleClosesAt: new Date(Math.min(startsAt.getTime(), now + 365 * 86_400_000)), maxSeatsPerReservation: o.maxSeats }],
        sections: [{ name: 'A', tier: 'R', price: o.price ?? 10_000, rows: o.rows ?? 2, seatsPerRow: o.seatsPerRow ?? 10 }],
      },
      null,
    );
    const scheduleId = created.scheduleIds[0]!;
    const seatIds = (await services.catalog.seatsOfSchedule(scheduleId)).map((s) => s.id);
    return { concertId: created.concertId, scheduleId, seatIds };
  };

  /** The Temporal connection the workers share (for a test that runs another Worker, e.g. webhooks'). */
  const workerConnection = async () => {
    quietRuntime();
    nativeConnection ??= await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
    return nativeConnection;
  };

  const close = async () => {
    await stopWorker();
    await nativeConnection?.close();
    await kafkaAdmin.disconnect();
    await connection.close();
    await redis.quit();
    await database.close();
    await paymentDatabase.close();
    await notificationsDatabase.close();
    await webhooksDatabase.close();
    await waitlistDatabase.close();
    await identityDatabase.close();
    await eventsDatabase.close();
    await recommendationsDatabase.close();
    const admin = await mysql.createConnection({ uri: stack.mysqlServerUrl });
    for (const d of DOMAIN_DATABASES) await admin.query(`DROP DATABASE IF EXISTS \`${id}_${d}\``);
    await admin.end();
    if (databases.isolatedUsers) await dropUsers(stack.mysqlServerUrl, id);
  };

  return {
    id,
    config,
    db: database.db,
    pool: database.pool,
    /** Payment's database (its own user): payment's tables and payment's outbox. */
    paymentDb: paymentDatabase.db,
    paymentPool: paymentDatabase.pool,
    /** Notifications' database (its own user): the sent-email log and the scheduled emails. */
    notificationsDb: notificationsDatabase.db,
    /** Webhooks' database (its own user): endpoints, deliveries, attempts. */
    webhooksDb: webhooksDatabase.db,
    webhooksPool: webhooksDatabase.pool,
    /** The waiting list's database (its own user): its tables and its outbox. */
    waitlistDb: waitlistDatabase.db,
    waitlistPool: waitlistDatabase.pool,
    /** Identity's database (its own user): the accounts and identity's outbox (security events, sign-ups, its admin actions). */
    identityDb: identityDatabase.db,
    identityPool: identityDatabase.pool,
    /** The events database (its own user): the sales read model (schedule_sales, its ledger) and processed_events. */
    eventsDb: eventsDatabase.db,
    eventsPool: eventsDatabase.pool,
    /** Recommendations' database (its own user): holdings, pair counts, its ledger. */
    recommendationsDb: recommendationsDatabase.db,
    recommendationsPool: recommendationsDatabase.pool,
    /** Every domain's database URL (booking's and each of DATA_DOMAINS), each with its own user. */
    databaseUrls: { booking: config.MYSQL_URL, ...Object.fromEntries(DATA_DOMAINS.map((d) => [d, domainDatabaseUrl(config, d)])) } as Record<'booking' | DataDomain, string>,
    isolatedUsers: databases.isolatedUsers,
    redis,
    temporal,
    kafka,
    app,
    services,
    metrics,
    workerMetrics,
    request,
    createUser,
    createSchedule,
    startWorker,
    stopWorker,
    workerConnection,
    workflowBundlePath: stack.workflowBundlePath,
    close,
  };
}

/** Polls `fn` until it returns a truthy value or the deadline passes. */
export async function eventually<T>(fn: () => Promise<T | undefined | false | null>, timeoutMs = 15_000, stepMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}
