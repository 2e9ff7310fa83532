import { z } from 'zod';
import { loginPolicyDefaults } from './identity/login-policy.js';
import { BOOKING_TASK_QUEUE } from '../workflows/booking/reservation-contract.js';
import { DEFAULT_SEATS_PER_RESERVATION } from './catalog/schedule-rules.js';

/**
 * The one place that reads the environment. Every process validates its config at start and fails
 * with a message naming the variable, instead of failing later in some adapter.
 */
const DEV_JWT_SECRET = 'dev-only-jwt-secret-change-me-0123456789abcdef';
const DEV_DATA_KEY = Buffer.alloc(32, 7).toString('base64');
// The development stack's Temporal UI decodes through /codec/ui/<this> (scripts/stack.sh, compose).
export const DEV_CODEC_SECRET = 'dev-only-codec-secret-change-me-0123456789';
// Also in docs/monitoring/metrics-token.dev, which the compose Prometheus presents.
const DEV_METRICS_TOKEN = 'dev-only-metrics-token-change-me-0123456789';
const DEV_TICKET_CODE_SEED = 'dev-only-ticket-code-seed-change-me-0123456789';
// localstripe accepts any sk_ key and signs with the secret it is given (scripts/stack.sh registers it).
export const DEV_STRIPE_WEBHOOK_SECRET = 'whsec_dev_only_localstripe_change_me';

const int = (def: number, min = 0, max = Number.MAX_SAFE_INTEGER) => z.coerce.number().int().min(min).max(max).default(def);
const bool = (def: boolean) =>
  z
    .enum(['true', 'false', '1', '0'])
    .default(def ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1');
const csv = (def: string) =>
  z
    .string()
    .default(def)
    .transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean));

const schema = z
  .object({
    NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    SERVICE_NAME: z.string().default('concert-booking'),

    API_HOST: z.string().default('0.0.0.0'),
    API_PORT: int(3000, 0, 65535),
    // Pending-connection queue of the listening socket (the kernel caps it at net.core.somaxconn).
    API_LISTEN_BACKLOG: int(4096, 1, 65535),
    PUBLIC_URL: z.string().url().optional(),
    BODY_LIMIT_BYTES: int(64 * 1024, 1024),
    CORS_ORIGINS: csv('http://localhost:3000,http://127.0.0.1:3000'),
    SHUTDOWN_GRACE_MS: int(15_000, 0),
    // An /api request unanswered after this long gets 503 + Retry-After (a dependency hangs); 0 = off.
    REQUEST_DEADLINE_MS: int(4_000, 0, 600_000),
    ADMIN_REQUEST_DEADLINE_MS: int(60_000, 0, 600_000),

    MYSQL_URL: z.string().url().default('mysql://booking:booking@127.0.0.1:3306/booking'),
    MYSQL_POOL_SIZE: int(20, 1, 500),
    // A database per domain (docs/production.md "Databases"): MYSQL_URL is booking's (the main
    // migration set). Each other domain's database and user default to <prefix><domain> on
    // MYSQL_URL's server, with MYSQL_DOMAIN_PASSWORD (default: MYSQL_URL's password); a
    // MYSQL_URL_<DOMAIN> replaces the whole URL (src/platform/db/domains.ts).
    MYSQL_DATABASE_PREFIX: z.string().regex(/^[A-Za-z0-9_]{0,40}$/, 'letters, digits and _ only').default(''),
    MYSQL_DOMAIN_PASSWORD: z.string().min(1).optional(),
    MYSQL_URL_PAYMENT: z.string().url().optional(),
    MYSQL_URL_NOTIFICATIONS: z.string().url().optional(),
    MYSQL_URL_WEBHOOKS: z.string().url().optional(),
    MYSQL_URL_WAITLIST: z.string().url().optional(),
    MYSQL_URL_IDENTITY: z.string().url().optional(),
    MYSQL_URL_EVENTS: z.string().url().optional(),
    MYSQL_URL_RECOMMENDATIONS: z.string().url().optional(),
    // Migrations and provisioning (creating the domain databases and users, granting each its own
    // database only) connect with this account; default MYSQL_URL. Only `npm run migrate` uses it.
    MYSQL_ADMIN_URL: z.string().url().optional(),
    // A read replica of MYSQL_URL's server (STACK_TOPOLOGY=cluster): reads that tolerate lag go there
    // (docs/production.md "Replica reads"); unset or unreachable, they stay on the primary, and a
    // failed replica is retried after MYSQL_REPLICA_RETRY_MS (src/platform/db/replica.ts).
    MYSQL_REPLICA_URL: z.string().url().optional(),
    MYSQL_REPLICA_RETRY_MS: int(5_000, 100, 600_000),

    REDIS_URL: z.string().url().default('redis://127.0.0.1:6379'),
    REDIS_PREFIX: z.string().default('cb:'),
    // Redis Cluster: a comma list of host:port seed nodes. Set, every Redis client is an ioredis
    // Cluster (docs/production.md "Redis Cluster") and REDIS_URL is ignored; unset, one node.
    REDIS_CLUSTER_NODES: z
      .string()
      .regex(/^\s*[^,:\s]+:\d+(\s*,\s*[^,:\s]+:\d+)*\s*$/, 'a comma list of host:port')
      .transform((v) => v.split(',').map((s) => s.trim()))
      .optional(),

    TEMPORAL_ADDRESS: z.string().default('127.0.0.1:7233'),
    TEMPORAL_NAMESPACE: z.string().default('default'),
    TEMPORAL_TASK_QUEUE: z.string().default(BOOKING_TASK_QUEUE),
    // Payment's activities run on their own task queue, served by the payment worker
    // (src/main/payment-worker.ts, or beside the booking worker in src/main/worker.ts).
    PAYMENT_TASK_QUEUE: z.string().default('payments'),
    // Whether `npm run worker` also serves PAYMENT_TASK_QUEUE (development); false when
    // `npm run worker:payments` runs as its own process.
    WORKER_SERVES_PAYMENTS: bool(true),
    // Organisers' signed webhooks (docs/webhooks.md): their delivery workflows run on this queue,
    // served by `npm run worker` too unless WORKER_SERVES_WEBHOOKS=false (then `npm run worker:webhooks`,
    // which also runs the Kafka consumer that starts the deliveries).
    WEBHOOKS_TASK_QUEUE: z.string().default('webhooks'),
    WORKER_SERVES_WEBHOOKS: bool(true),
    // Endpoints must be https; plain http is accepted for a loopback host (localhost, 127.0.0.1, ::1)
    // while this is on, and never when NODE_ENV=production.
    WEBHOOK_ALLOW_HTTP_LOCALHOST: bool(true),
    WEBHOOK_TIMEOUT_MS: int(10_000, 100, 30_000),
    // Retries: exponential from the first delay, capped, given up once this many hours have passed.
    WEBHOOK_RETRY_INITIAL_MS: int(5_000, 10, 3_600_000),
    WEBHOOK_RETRY_MAX_MS: int(6 * 3_600_000, 10, 86_400_000),
    WEBHOOK_RETRY_FOR_MS: int(3 * 86_400_000, 1_000, 30 * 86_400_000),
    // How long a rotated-out secret keeps signing beside the new one.
    WEBHOOK_SECRET_OVERLAP_MS: int(86_400_000, 0, 7 * 86_400_000),
    // A prebuilt workflow bundle (npm run build writes dist/workflow-bundle.js, used by default from dist/).
    WORKFLOW_BUNDLE_PATH: z.string().min(1).optional(),
    TEMPORAL_UI_URL: z.string().url().default('http://127.0.0.1:8233'),
    // Metrics (docs/monitoring): the worker and relay ports listen on METRICS_HOST only (loopback by
    // default; 0.0.0.0 where Prometheus scrapes over a network), and the API's /metrics on its
    // public port needs `Authorization: Bearer <METRICS_TOKEN>`.
    METRICS_HOST: z.string().min(1).default('127.0.0.1'),
    METRICS_TOKEN: z.string().min(32, 'METRICS_TOKEN must be at least 32 characters').default(DEV_METRICS_TOKEN),
    WORKER_METRICS_PORT: int(9464, 0, 65535),
    WORKER_SDK_METRICS_PORT: int(9466, 0, 65535),
    WORKER_MAX_CONCURRENT_ACTIVITIES: int(200, 1),
    SWEEPER_ENABLED: bool(true),

    // Card payments (docs/payments.md): Stripe's API, or localstripe in dev and tests. The same code
    // runs against Stripe's test mode with only these three changed. 'none' turns card payments off.
    PAYMENT_PROVIDER: z.enum(['stripe', 'none']).default('stripe'),
    STRIPE_SECRET_KEY: z.string().startsWith('sk_', 'STRIPE_SECRET_KEY is a secret key (sk_...)').default('sk_test_localstripe'),
    STRIPE_PUBLISHABLE_KEY: z.string().startsWith('pk_').default('pk_test_localstripe'),
    STRIPE_API_BASE: z.string().url().default('http://127.0.0.1:8420'),
    STRIPE_WEBHOOK_SECRET: z.string().min(16).default(DEV_STRIPE_WEBHOOK_SECRET),
    STRIPE_WEBHOOK_TOLERANCE_SECONDS: int(300, 1, 3600),
    STRIPE_TIMEOUT_MS: int(5_000, 100, 80_000),
    /** How far back the hourly reconciliation looks (it overlaps the previous run on purpose). */
    RECONCILIATION_WINDOW_HOURS: int(3, 1, 24 * 31),
    RECONCILIATION_ENABLED: bool(true),

    KAFKA_BROKERS: csv('127.0.0.1:9092'),
    KAFKA_CLIENT_ID: z.string().default('concert-booking'),
    KAFKA_TOPIC_PREFIX: z.string().default('booking.'),
    RELAY_METRICS_PORT: int(9465, 0, 65535),
    RELAY_BATCH_SIZE: int(500, 1, 10_000),
    RELAY_POLL_MS: int(200, 10),
    // Event consumers (issue 6): SSE notifications in each API process, the sales read model in the relay.
    SSE_KEEPALIVE_MS: int(15_000, 100, 300_000),
    /** How often a web seat-map stream re-reads the cached seat map and sends what changed. */
    WEB_SEAT_STREAM_INTERVAL_MS: int(1000, 100, 60_000),
    SSE_MAX_STREAMS_PER_USER: int(5, 1, 100),
    NOTIFICATIONS_ENABLED: bool(true),
    NOTIFICATIONS_DEDUP_SIZE: int(10_000, 100, 1_000_000),
    SALES_READ_MODEL_ENABLED: bool(true),
    // The recommendations read model's consumer in the relay process (src/recommendations).
    RECOMMENDATIONS_READ_MODEL_ENABLED: bool(true),
    // Email (docs/tickets.md "Email"): the relay process sends it from the domain events, through
    // this SMTP server (development: the stack's Mailpit), idempotent by event id.
    EMAIL_ENABLED: bool(true),
    SMTP_URL: z.string().url().default('smtp://127.0.0.1:1025'),
    MAIL_FROM: z.string().min(3).default('Concert Tickets <tickets@concert-booking.local>'),
    // The "your hold expires soon" email goes this long before the hold ends; the sweeper that sends
    // it looks for due reminders this often.
    HOLD_REMINDER_BEFORE_SECONDS: int(120, 1, 3600),
    HOLD_REMINDER_POLL_MS: int(5_000, 100, 600_000),

    JWT_SECRET: z.string().min(32, 'JWT_SECRET must be at least 32 characters').default(DEV_JWT_SECRET),
    JWT_TTL_SECONDS: int(900, 60, 86_400),
    // Identity and abuse limits (issue 5). Rate limits are per window; defaults are generous so
    // benchmarks and tests are not throttled; production should lower them (docs/security.md).
    JWT_SECRET_PREVIOUS: z.string().min(32).optional(),
    REFRESH_TTL_SECONDS: int(7 * 86_400, 300, 90 * 86_400),
    TOKEN_VERSION_CACHE_SECONDS: int(30, 0, 3600),
    LOGIN_MAX_FAILURES: int(loginPolicyDefaults.maxFailures, 1, 100),
    LOGIN_LOCKOUT_SECONDS: int(loginPolicyDefaults.lockoutMs / 1000, 1, 86_400),
    LOGIN_FAILURE_DELAY_MS: int(loginPolicyDefaults.failureDelayMs, 0, 5000),
    // LOGIN_MAX_FAILURES locks one (email, IP) pair; these lock the whole account (failures from
    // any IPs) and refuse an IP (429) past its failure budget over any emails (docs/security.md).
    LOGIN_ACCOUNT_MAX_FAILURES: int(loginPolicyDefaults.accountMaxFailures, 1, 1000),
    LOGIN_IP_MAX_FAILURES: int(loginPolicyDefaults.ipMaxFailures, 1, 100_000),
    LOGIN_IP_WINDOW_SECONDS: int(loginPolicyDefaults.ipWindowMs / 1000, 1, 86_400),
    TRUST_PROXY_HOPS: int(0, 0, 10),
    RATE_LIMIT_ENABLED: bool(true),
    RATE_LIMIT_WINDOW_SECONDS: int(60, 1, 3600),
    RATE_LIMIT_AUTH_PER_IP: int(10_000, 1),
    // Sign-ups one address may make per RATE_LIMIT_SIGNUP_WINDOW_SECONDS (issue 25): an account costs
    // a scrypt hash and a row, and each answer says whether an email is registered.
    RATE_LIMIT_SIGNUP_PER_IP: int(20, 1),
    RATE_LIMIT_SIGNUP_WINDOW_SECONDS: int(3600, 1, 86_400),
    RATE_LIMIT_QUEUE_PER_IP: int(100_000, 1),
    RATE_LIMIT_QUEUE_PER_USER: int(1_200, 1),
    RATE_LIMIT_BOOKING_PER_IP: int(100_000, 1),
    RATE_LIMIT_BOOKING_PER_USER: int(1_200, 1),
    DATA_ENCRYPTION_KEY_PREVIOUS: z
      .string()
      .optional()
      .refine((v) => v === undefined || Buffer.from(v, 'base64').length === 32, 'DATA_ENCRYPTION_KEY_PREVIOUS must be 32 bytes, base64-encoded'),
    CODEC_SHARED_SECRET: z.string().min(32, 'CODEC_SHARED_SECRET must be at least 32 characters').optional(),
    DATA_ENCRYPTION_KEY: z
      .string()
      .default(DEV_DATA_KEY)
      .refine((v) => Buffer.from(v, 'base64').length === 32, 'DATA_ENCRYPTION_KEY must be 32 bytes, base64-encoded'),

    // Seed of the per-performance Ed25519 keys that sign ticket codes (docs/tickets.md "Rotating
    // codes"); it never leaves the server (scanners get public keys). _PREVIOUS still verifies after a rotation.
    TICKET_CODE_SEED: z.string().min(32, 'TICKET_CODE_SEED must be at least 32 characters').default(DEV_TICKET_CODE_SEED),
    TICKET_CODE_SEED_PREVIOUS: z.string().min(32, 'TICKET_CODE_SEED_PREVIOUS must be at least 32 characters').optional(),
    // The PDF's static code admits from this long before the performance starts ("gates open").
    TICKET_GATES_OPEN_MINUTES: int(120, 0, 24 * 60),

    HOLD_TTL_SECONDS: int(300, 1, 3600),
    // Ticket transfers (docs/tickets.md "Transfer"): how long a recipient has to accept an offer (capped
    // by the close below), and how long before the show transfers close.
    TRANSFER_OFFER_TTL_SECONDS: int(48 * 3600, 1, 30 * 86_400),
    TRANSFER_CLOSE_MINUTES_BEFORE_SHOW: int(120, 0, 30 * 24 * 60),
    // A waiting-list offer's payment window (docs/waitlist.md).
    WAITLIST_OFFER_TTL_SECONDS: int(600, 1, 86_400),
    MAX_SEATS_PER_RESERVATION: int(DEFAULT_SEATS_PER_RESERVATION, 1, 20),
    CANCELLATION_CUTOFF_HOURS: int(24, 0, 24 * 365),
    // Performance cancellation (docs/catalog-lifecycle.md): reservations per batch activity, and
    // batches per workflow run before it continues as new.
    CANCELLATION_BATCH_SIZE: int(100, 1, 1000),
    CANCELLATION_BATCHES_PER_RUN: int(50, 1, 1000),
    // Put before the cancellation's workflow id (`schedule-<id>-cancellation`) when several databases
    // share one Temporal namespace, so their schedule ids do not collide (the tests set it per file).
    CANCELLATION_WORKFLOW_ID_PREFIX: z.string().regex(/^[A-Za-z0-9_-]{0,40}$/).default(''),
    WALLET_MAX_CHARGE: int(10_000_000, 1),
    WALLET_MAX_BALANCE: int(100_000_000, 1),
    SEAT_MAP_CACHE_TTL_SECONDS: int(30, 1, 3600),
    IDEMPOTENCY_TTL_SECONDS: int(86_400, 60),

    // Waiting room (issue 4, docs/queue.md). Per-schedule maxActive / admitRate override the
    // first two from the admin API; the rest are global.
    QUEUE_ENFORCED: bool(true),
    QUEUE_MAX_ACTIVE: int(500, 1, 1_000_000),
    QUEUE_ADMIT_RATE_PER_SEC: int(50, 1, 100_000),
    QUEUE_ACTIVE_TTL_SECONDS: int(600, 1, 86_400),
    QUEUE_WAITER_GRACE_SECONDS: int(30, 1, 86_400),
    // HMAC key of queue tokens; unset = derived from JWT_SECRET (domain-separated).
    QUEUE_TOKEN_SECRET: z.string().min(32, 'QUEUE_TOKEN_SECRET must be at least 32 characters').optional(),
    QUEUE_TICK_MS: int(500, 20, 60_000),
    QUEUE_SSE_INTERVAL_MS: int(1000, 100, 60_000),
    QUEUE_SETTINGS_CACHE_MS: int(2000, 0, 60_000),
    // How often each API process reads its snapshot of every line it serves (polls are answered from it).
    QUEUE_SNAPSHOT_MS: int(250, 20, 10_000),
    // Joins under way per API process beyond which a join is answered 503 + Retry-After before any
    // work (src/queue/join-shedding.ts), whatever the measurements say. Below it, a join is shed at
    // entry when the process's measured completion rate says it would not start within
    // QUEUE_JOIN_DEADLINE_MS.
    QUEUE_JOIN_MAX_IN_FLIGHT: int(25_000, 1, 1_000_000),
    // A join's own request deadline: a join that has not reached its Redis step by then is answered
    // 503 (nothing was done); one that has is answered with its place however late (a place made is
    // never refused); only a Redis silent for a second deadline (a hang) still ends in 503.
    QUEUE_JOIN_DEADLINE_MS: int(30_000, 0, 600_000),
    // Joins a second a fresh API process assumes it completes until it has measured 5 s of its own
    // (a process warming up under a spike understates its rate). About a third of one core's idle
    // rate (3.6 ms of CPU per join, docs/capacity.md); 0 = trust the first measurements.
    QUEUE_JOIN_RATE_FLOOR: int(100, 0, 100_000),
    // Admission that follows capacity (docs/queue.md): `auto` moves the rate between the bounds
    // toward the latency target; `manual` pins QUEUE_ADMIT_RATE_PER_SEC / QUEUE_MAX_ACTIVE.
    // In auto mode QUEUE_MAX_ACTIVE is the ceiling of the active cap.
    QUEUE_ADMISSION_MODE: z.enum(['auto', 'manual']).default('auto'),
    QUEUE_AUTO_MIN_RATE: int(2, 1, 100_000),
    QUEUE_AUTO_MAX_RATE: int(500, 1, 100_000),
    QUEUE_AUTO_START_RATE: int(10, 1, 100_000),
    QUEUE_AUTO_TARGET_P99_MS: int(500, 10, 60_000),
    QUEUE_CONTROL_INTERVAL_MS: int(1000, 50, 60_000),
    QUEUE_CONTROL_WINDOW_SECONDS: int(5, 1, 120),
  })
  .superRefine((c, ctx) => {
    if (c.NODE_ENV === 'production') {
      if (c.JWT_SECRET === DEV_JWT_SECRET) ctx.addIssue({ code: 'custom', path: ['JWT_SECRET'], message: 'JWT_SECRET must be set in production' });
      if (c.DATA_ENCRYPTION_KEY === DEV_DATA_KEY)
        ctx.addIssue({ code: 'custom', path: ['DATA_ENCRYPTION_KEY'], message: 'DATA_ENCRYPTION_KEY must be set in production' });
      if (c.CODEC_SHARED_SECRET === DEV_CODEC_SECRET)
        ctx.addIssue({ code: 'custom', path: ['CODEC_SHARED_SECRET'], message: 'CODEC_SHARED_SECRET must not be the development value in production' });
      if (c.METRICS_TOKEN === DEV_METRICS_TOKEN) ctx.addIssue({ code: 'custom', path: ['METRICS_TOKEN'], message: 'METRICS_TOKEN must be set in production' });
      if (c.PAYMENT_PROVIDER === 'stripe' && c.STRIPE_WEBHOOK_SECRET === DEV_STRIPE_WEBHOOK_SECRET)
        ctx.addIssue({ code: 'custom', path: ['STRIPE_WEBHOOK_SECRET'], message: 'STRIPE_WEBHOOK_SECRET must be set in production' });
      if (c.TICKET_CODE_SEED === DEV_TICKET_CODE_SEED)
        ctx.addIssue({ code: 'custom', path: ['TICKET_CODE_SEED'], message: 'TICKET_CODE_SEED must be set in production' });
    }
  })
  // In development the Temporal UI of the dev stack decodes payloads out of the box (docs/security.md).
  .transform((c) => (c.NODE_ENV === 'development' && !c.CODEC_SHARED_SECRET ? { ...c, CODEC_SHARED_SECRET: DEV_CODEC_SECRET } : c));

export type Config = z.infer<typeof schema>;

export class ConfigError extends Error {}

/** Parses an environment (process.env by default); throws ConfigError naming every bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const result = schema.safeParse(env);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  return result.data;
}
