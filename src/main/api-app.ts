import { timingSafeEqual, createHash } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { Admin } from 'kafkajs';
import { adminRoutes } from '../admin/routes.js';
import { backOfficeRoutes } from '../admin/back-office-routes.js';
import { performanceReportRoutes } from '../admin/performance-report-routes.js';
import { ticketHolderRoutes } from '../admin/ticket-holder-routes.js';
import { SalesReport } from '../booking/sales-report.js';
import { ReservationSearch } from '../booking/reservation-search.js';
import { AuditLog } from '../events/audit-log.js';
import { ticketCodeSigner } from '../ticketing/codes-public.js';
import { TicketRepository } from '../ticketing/repository.js';
import { ticketRoutes } from '../ticketing/routes.js';
import { OfflineScans } from '../ticketing/scan-offline.js';
import { recipientTicketLimit } from '../../activities/index.js';
import { TransferRepository } from '../ticketing/transfer-repository.js';
import { transferSettingsOf } from '../ticketing/transfer-domain.js';
import { transferRoutes } from '../ticketing/transfer-routes.js';
import { TransferService } from '../ticketing/transfer-service.js';
import { TransferWorkflows } from '../ticketing/transfer-workflows.js';
import { TicketingService } from '../ticketing/service.js';
import { availabilityRoutes } from '../booking/availability-routes.js';
import { bookingRoutes, type AdmissionGate } from '../booking/routes.js';
import { ReservationRepository } from '../booking/repository.js';
import { ReservationWorkflows } from '../booking/reservation-workflows.js';
import { RedisSeatLocks } from '../booking/seat-locks.js';
import { SeatStatusRepository } from '../booking/seat-status-repository.js';
import { BookingService } from '../booking/service.js';
import { CatalogRepository } from '../catalog/repository.js';
import { catalogAdminRoutes, newConcertRoutes } from '../catalog/admin-routes.js';
import { ScheduleLifecycle } from '../catalog/lifecycle.js';
import { catalogRoutes } from '../catalog/routes.js';
import { ScheduleCancellations } from '../catalog/schedule-cancellations.js';
import { SeatMapCache } from '../catalog/seat-map-cache.js';
import type { Config } from '../config.js';
import { eventAdminRoutes } from '../events/admin-routes.js';
import { asyncApiRoutes } from '../events/asyncapi-routes.js';
import { NotificationHub } from '../events/notification-hub.js';
import { eventRoutes } from '../events/routes.js';
import { UserEventLog } from '../events/event-log.js';
import { SalesRepository } from '../events/sales-repository.js';
import { identityAdminRoutes } from '../identity/admin-routes.js';
import { SecurityAudit } from '../identity/audit.js';
import { codecRoutes } from '../admin/codec-routes.js';
import { auditForbidden, requireAuth, requireRole } from '../identity/middleware.js';
import { TokenVersions } from '../identity/token-versions.js';
import { PersonalDataCipher } from '../identity/personal-data.js';
import { identityRoutes } from '../identity/routes.js';
import { IdentityService } from '../identity/service.js';
import { AccessTokens } from '../identity/tokens.js';
import { walletRoutes } from '../payment/routes.js';
import { CardOutcomeDelivery } from '../payment/card-outcome-delivery.js';
import type { PaymentProvider } from '../payment/provider.js';
import { createPaymentProvider } from '../payment/provider-factory.js';
import { webhookRoutes } from '../payment/webhook-routes.js';
import { recommendationRoutes } from '../recommendations/routes.js';
import { buildRecommendations } from '../recommendations/wiring.js';
import { queueAdminRoutes } from '../queue/admin-routes.js';
import { queueRoutes } from '../queue/routes.js';
import { buildQueue, queueRouteDeadlines } from '../queue/wiring.js';
import { createPaymentModule } from '../payment/module.js';
import type { Db } from '../platform/db/client.js';
import { dependencyChecks, runChecks } from '../platform/health.js';
import { createHttpApp } from '../platform/http/app.js';
import { swaggerUiRoutes } from '../platform/http/docs.js';
import { IdempotencyStore } from '../platform/http/idempotency.js';
import { clientIpResolver, rateLimit, RateLimiter } from '../platform/http/rate-limit.js';
import { BrowserSessions, isLocalOrigin } from '../web/session.js';
import { webRoutes } from '../web/routes.js';
import { scannerPageRoutes } from '../web/scanner-page.js';
import { emulatorCheckoutRoutes } from '../payment/emulator-checkout.js';
import { WaitlistRepository } from '../waitlist/repository.js';
import { waitlistRoutes } from '../waitlist/routes.js';
import { WaitlistService } from '../waitlist/service.js';
import { AesGcmPayloadCodec } from '../platform/temporal-codec.js';
import type { Logger } from '../platform/observability/logger.js';
import type { Metrics } from '../platform/observability/metrics.js';
import type { Redis } from '../platform/redis.js';
import { DomainError } from '../shared/errors.js';
import { createWebhooksModule, organiserWebhookRoutes } from '../webhooks/index.js';
import { concertDirectory } from './webhooks-wiring.js';

export interface ApiDeps {
  config: Config;
  db: Db;
  /** Reads that tolerate replication lag (docs/production.md "Replica reads"); default `db`. */
  replicaDb?: Db;
  /** Payment's own database (its own user); only payment's module is given it. */
  paymentDb: Db;
  /** Webhooks' own database (its own user): organisers' endpoints and the delivery log. */
  webhooksDb: Db;
  /** The waiting list's own database (its own user); only the waiting list's repository is given it. */
  waitlistDb: Db;
  /** Identity's own database (its own user): the accounts and identity's outbox; only identity's code is given it. */
  identityDb: Db;
  /** The events database (its own user): the sales read model; only SalesRepository is given it. */
  eventsDb: Db;
  /** Recommendations' own database (its own user): its read model; only its repository is given it. */
  recommendationsDb: Db;
  redis: Redis;
  temporal: Client;
  kafkaAdmin: Admin;
  log: Logger;
  metrics: Metrics;
  admission?: AdmissionGate;
  /** SSE streams of this process; the API process feeds it from Kafka (events/consumers/notifications). */
  notifications?: NotificationHub;
  /** The card payment provider; by default the configured one (PAYMENT_PROVIDER). */
  paymentProvider?: PaymentProvider | undefined;
}

/** Wires every capability's routes onto one Hono app (used by the API process and by tests). */
export function buildApiApp(deps: ApiDeps) {
  const { config, db, redis, log, metrics } = deps;
  const app = createHttpApp({ log, metrics, bodyLimitBytes: config.BODY_LIMIT_BYTES, corsOrigins: config.CORS_ORIGINS, requestDeadlineMs: config.REQUEST_DEADLINE_MS, adminRequestDeadlineMs: config.ADMIN_REQUEST_DEADLINE_MS, routeDeadlines: queueRouteDeadlines(config), webConnectOrigins: config.PAYMENT_PROVIDER === 'stripe' ? [new URL(config.STRIPE_API_BASE).origin] : [] });

  const tokens = new AccessTokens(config.JWT_SECRET, config.JWT_TTL_SECONDS, config.REFRESH_TTL_SECONDS, config.JWT_SECRET_PREVIOUS);
  // Identity's accounts, token versions and audit events live in identity's own database.
  const identityDb = deps.identityDb;
  const versions = new TokenVersions(identityDb, redis, config.TOKEN_VERSION_CACHE_SECONDS);
  const auth = requireAuth(tokens, versions);
  const cipher = new PersonalDataCipher(config.DATA_ENCRYPTION_KEY, config.DATA_ENCRYPTION_KEY_PREVIOUS);
  const audit = new SecurityAudit(identityDb, log);
  const paymentProvider = 'paymentProvider' in deps ? deps.paymentProvider : createPaymentProvider(config);
  const payment = createPaymentModule(deps.paymentDb, { maxBalance: config.WALLET_MAX_BALANCE }, paymentProvider);
  const wallets = payment.wallets;
  const identity = new IdentityService(identityDb, cipher, tokens, {
    audit,
    wallets,
    versions,
    redis,
    metrics,
    policy: {
      maxFailures: config.LOGIN_MAX_FAILURES,
      accountMaxFailures: Math.max(config.LOGIN_ACCOUNT_MAX_FAILURES, config.LOGIN_MAX_FAILURES),
      ipMaxFailures: config.LOGIN_IP_MAX_FAILURES,
      ipWindowMs: config.LOGIN_IP_WINDOW_SECONDS * 1000,
      lockoutMs: config.LOGIN_LOCKOUT_SECONDS * 1000,
      failureDelayMs: config.LOGIN_FAILURE_DELAY_MS,
    },
  });
  const clientIp = clientIpResolver(config.TRUST_PROXY_HOPS);
  // Catalog reads each seat's status through booking's port (booking owns seat_status). Booking's
  // Redis inventory rebuilds on the layout the seat map caches: a cold schedule costs one layout query.
  const seatStatus: SeatStatusRepository = new SeatStatusRepository(db, { layoutOf: (scheduleId) => seatMaps.layoutOf(scheduleId) });
  const catalog = new CatalogRepository(db, seatStatus);
  // The public catalog's lists and details (availability included), served from the replica when there is one.
  const catalogReads = deps.replicaDb ? new CatalogRepository(deps.replicaDb, new SeatStatusRepository(deps.replicaDb)) : catalog;
  // The one Redis seat structure: the hold's fast path, best available and the seat map's statuses.
  const seatInventory = new RedisSeatLocks(redis, seatStatus, metrics);
  const seatMaps = new SeatMapCache(redis, catalog, seatInventory, config.SEAT_MAP_CACHE_TTL_SECONDS, metrics);
  const waitlistRepo = new WaitlistRepository(deps.waitlistDb, { offerTtlMs: config.WAITLIST_OFFER_TTL_SECONDS * 1000 }, catalog);
  const reservations = new ReservationRepository(db, waitlistRepo);
  const waitlist = new WaitlistService(catalog, waitlistRepo, reservations);
  // A scan refuses once booking marked the reservation's refund started (ticketing reads it under the reservation's lock).
  const ticketRepo = new TicketRepository(db, reservations, catalog);
  const idempotency = new IdempotencyStore(db, config.IDEMPOTENCY_TTL_SECONDS);
  const transferRepo = new TransferRepository(db, reservations, catalog, recipientTicketLimit(reservations), transferSettingsOf(config));
  const booking = new BookingService(catalog, reservations, new ReservationWorkflows(deps.temporal, config.TEMPORAL_TASK_QUEUE, config.PAYMENT_TASK_QUEUE), seatInventory, {
    holdTtlMs: config.HOLD_TTL_SECONDS * 1000,
    maxSeatsPerReservation: config.MAX_SEATS_PER_RESERVATION,
    cancellationCutoffHours: config.CANCELLATION_CUTOFF_HOURS,
  }, transferRepo, payment.cards);
  const notifications = deps.notifications ?? new NotificationHub(config.SSE_MAX_STREAMS_PER_USER);
  // Waiting room: every API process also drives admission (no single ticker to lose).
  const queue = buildQueue({
    config,
    db,
    redis,
    metrics,
    onError: (what, err) => log.warn({ err: String(err) }, `${what} failed`),
    onDecision: (scheduleId, decision) => log.info({ scheduleId, ...decision }, 'admission changed'),
  });
  queue.start();
  const gate: AdmissionGate = {
    check: (token, userId, scheduleId) => queue.service.check(token, userId, scheduleId),
    observe: (scheduleId, call, ms, overload) => queue.admission.record(scheduleId, call, ms, overload),
  };
  const admission = deps.admission ?? (config.QUEUE_ENFORCED ? gate : undefined);
  const cardOutcomes = new CardOutcomeDelivery(deps.temporal, config.TEMPORAL_TASK_QUEUE, config.PAYMENT_TASK_QUEUE);
  const checks = dependencyChecks({ db, redis, temporal: deps.temporal, kafkaAdmin: deps.kafkaAdmin, domainDbs: { payment: deps.paymentDb, webhooks: deps.webhooksDb, waitlist: deps.waitlistDb, identity: identityDb, events: deps.eventsDb, recommendations: deps.recommendationsDb } });

  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    const result = await runChecks(checks);
    return c.json({ status: result.ready ? 'ready' : 'not ready', checks: result.checks }, result.ready ? 200 : 503);
  });
  // /metrics shares the public port, so it needs the scraper's token (docs/monitoring/README.md).
  const metricsToken = sha256(config.METRICS_TOKEN);
  app.get('/metrics', async (c) => {
    const token = /^Bearer (\S{1,512})$/i.exec(c.req.header('authorization') ?? '')?.[1];
    if (!token || !timingSafeEqual(sha256(token), metricsToken)) {
      throw new DomainError('UNAUTHENTICATED', 'Metrics need Authorization: Bearer <METRICS_TOKEN>');
    }
    return c.text(await metrics.registry.metrics(), 200, { 'content-type': metrics.registry.contentType, 'cache-control': 'no-store' });
  });

  const v1 = '/api/v1';
  // Browser cookie sessions become Bearer headers before anything reads Authorization (src/web).
  const sessions = new BrowserSessions(config.JWT_SECRET, !isLocalOrigin(config.PUBLIC_URL));
  app.use('/api/*', sessions.middleware());
  // Abuse limits and the 403 audit are built here and declared by each router beside the routes
  // they protect (the limits' names label rate_limit_decisions_total{rule}).
  const limits = config.RATE_LIMIT_ENABLED ? abuseLimits(config, new RateLimiter(redis), { tokens, clientIp, log, metrics }) : undefined;
  const forbidden = auditForbidden(audit, clientIp);
  app.route(v1, identityRoutes({ identity, tokens, versions, clientIp, idempotency, rateLimit: limits?.auth, signupRateLimit: limits?.signup }));
  app.route(v1, identityAdminRoutes({ identity, auth, idempotency, auditForbidden: forbidden }));
  app.route(
    '/',
    codecRoutes({
      codec: new AesGcmPayloadCodec(config.DATA_ENCRYPTION_KEY, config.DATA_ENCRYPTION_KEY_PREVIOUS),
      tokens,
      namespace: config.TEMPORAL_NAMESPACE,
      uiOrigins: temporalUiOrigins(config.TEMPORAL_UI_URL),
      sharedSecret: config.CODEC_SHARED_SECRET,
      auditForbidden: forbidden,
    }),
  );
  app.route(v1, catalogRoutes({ catalog: catalogReads, seatMaps, seatStatuses: seatStatus.statuses }));
  app.route(v1, availabilityRoutes({ booking }));
  app.route(v1, walletRoutes({ wallets, idempotency, auth, maxCharge: config.WALLET_MAX_CHARGE, rateLimit: limits?.booking }));
  app.route(
    v1,
    bookingRoutes({
      booking,
      reservations,
      idempotency,
      auth,
      admission,
      isWaitlistOffer: (id) => waitlistRepo.isOffer(id),
      payments: payment.status,
      maxSeatsPerReservation: config.MAX_SEATS_PER_RESERVATION,
      rateLimit: limits?.booking,
    }),
  );
  // Provider webhooks live outside /api: no session, no Bearer token; the signature authenticates.
  // The card form's test-card step on the emulator (what Stripe.js does against Stripe): never in production.
  const emulated = paymentProvider && config.NODE_ENV !== 'production' && new URL(config.STRIPE_API_BASE).hostname !== 'api.stripe.com';
  if (emulated) app.route('/', emulatorCheckoutRoutes({ apiBase: config.STRIPE_API_BASE, secretKey: config.STRIPE_SECRET_KEY }));
  app.route('/', webhookRoutes({ webhook: payment.webhook(cardOutcomes) }));
  app.route(v1, waitlistRoutes({ waitlist, idempotency, auth, rateLimit: limits?.booking }));
  app.route(v1, newConcertRoutes({ catalog, auth, requireAdmin: requireRole('ADMIN'), auditForbidden: forbidden, idempotency }));
  app.route(v1, adminRoutes({ booking, audit, auth, idempotency, auditForbidden: forbidden }));
  app.route(
    v1,
    catalogAdminRoutes({
      catalog,
      lifecycle: new ScheduleLifecycle(db, seatStatus),
      cancellations: new ScheduleCancellations(deps.temporal, config.TEMPORAL_TASK_QUEUE, {
        batchSize: config.CANCELLATION_BATCH_SIZE,
        batchesPerRun: config.CANCELLATION_BATCHES_PER_RUN,
        workflowIdPrefix: config.CANCELLATION_WORKFLOW_ID_PREFIX,
      }),
      onScheduleChanged: (scheduleId) => {
        booking.scheduleChanged(scheduleId);
        queue.settings.forget(scheduleId);
      },
      audit,
      auth,
      requireAdmin: requireRole('ADMIN'),
      auditForbidden: forbidden,
      idempotency,
    }),
  );
  app.route(
    v1,
    backOfficeRoutes({ search: new ReservationSearch(deps.replicaDb ?? db), refunds: payment.refunds, auditLog: new AuditLog([db, identityDb]), wallets, audit, identity, auth, requireAdmin: requireRole('ADMIN'), auditForbidden: forbidden, idempotency }),
  );
  const salesReport = new SalesReport(db);
  app.route(
    v1,
    performanceReportRoutes({
      db,
      timeline: salesReport,
      ledger: payment.salesLedger,
      attendeeSources: { catalog, reservationStatuses: (ids) => salesReport.statusesOf(ids), holderNames: (ids) => identity.namesOf(ids) },
      audit,
      scheduleExists: async (id) => Boolean(await catalog.findSchedule(id)),
      auth,
      requireAdmin: requireRole('ADMIN'),
      auditForbidden: forbidden,
    }),
  );
  const ticketScans = metrics.counter('ticket_scans_total', 'Ticket scans at the door by outcome (NOT_FOUND: forged or unknown codes)', ['result']);
  const tickets = new TicketingService(
    ticketRepo,
    ticketCodeSigner(config),
    catalog,
    {
      onForged: (staffId, code) => audit.record({ kind: 'TICKET_FORGED', userId: staffId, ip: null, detail: `code ${code.slice(0, 80)}` }),
      onScan: (result) => ticketScans.inc({ result }),
    },
    { gatesOpenMinutes: config.TICKET_GATES_OPEN_MINUTES, now: () => new Date() },
  );
  const doorClock = tickets.clock;
  const offlineScans = new OfflineScans(db, ticketCodeSigner(config), reservations, { catalog, reservationStatuses: (ids) => salesReport.statusesOf(ids), holderNames: async () => new Map() /* the door list names no one */ }, catalog, (startsAt) => tickets.gatesOpenAt(startsAt), () => doorClock.now());
  const transfers = new TransferService(db, transferRepo, new TransferWorkflows(deps.temporal, config.TEMPORAL_TASK_QUEUE), {
    accountIdByEmail: (email) => identity.accountIdByEmail(email),
    emailIndex: (email) => cipher.emailIndex(email),
    emailIndexesOf: (userId) => identity.emailIndexesOf(userId),
    seal: (email) => cipher.encrypt(email),
    open: (sealed) => cipher.decrypt(sealed),
  });
  app.route(v1, transferRoutes({ transfers, auth, idempotency }));
  app.route(v1, ticketHolderRoutes({ transfers: transferRepo, holderNames: (ids) => identity.namesOf(ids), auth, requireAdmin: requireRole('ADMIN'), auditForbidden: forbidden }));
  app.route(v1, ticketRoutes({ tickets, reservationStatuses: (ids) => salesReport.statusesOf(ids), offline: offlineScans, ownReservation: (userId, id) => booking.own(userId, id), auth, requireDoorStaff: requireRole('STAFF', 'ADMIN'), auditForbidden: forbidden, idempotency }));
  // The waiting room checks the access token's signature only, not its revocation (a MySQL or Redis
  // read per request): a waiting-room token grants nothing by itself, and holding and paying, which
  // need it, check revocation as every booking route does.
  app.route(v1, queueRoutes({ queue: queue.service, auth: requireAuth(tokens), sseIntervalMs: config.QUEUE_SSE_INTERVAL_MS, idempotency, rateLimit: limits?.queue, joinMaxInFlight: config.QUEUE_JOIN_MAX_IN_FLIGHT, joinDeadlineMs: config.QUEUE_JOIN_DEADLINE_MS, joinRateFloor: config.QUEUE_JOIN_RATE_FLOOR }));
  app.route(v1, queueAdminRoutes({ settings: queue.settings, service: queue.service, admission: queue.admission, auth, requireAdmin: requireRole('ADMIN'), auditForbidden: forbidden, idempotency }));
  app.route(v1, eventRoutes({ hub: notifications, history: new UserEventLog(db), auth, keepAliveMs: config.SSE_KEEPALIVE_MS }));
  // The read models in their own databases; what they need of the catalog through catalog's repository.
  app.route(v1, recommendationRoutes({ recommendations: buildRecommendations(deps.recommendationsDb, catalog).service, auth }));
  app.route(v1, eventAdminRoutes({ sales: new SalesRepository(deps.eventsDb, { scheduleExists: async (id) => (await catalog.findSchedule(id)) !== undefined }), auth, requireAdmin: requireRole('ADMIN'), auditForbidden: forbidden }));
  const webhooks = createWebhooksModule({ config, webhooksDb: deps.webhooksDb, client: deps.temporal, concerts: concertDirectory(catalog) });
  app.route(v1, organiserWebhookRoutes({ webhooks, auth, requireAdmin: requireRole('ADMIN'), auditForbidden: forbidden, idempotency }));

  app.openAPIRegistry.registerComponent('securitySchemes', 'bearerAuth', { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'Concert booking API',
      version: '1.0.0',
      description:
        'Hold seats, pay from a wallet, cancel and refund. Errors are application/problem+json (RFC 9457) with a stable `code`. ' +
        'Any request may answer 503 SERVICE_UNAVAILABLE with Retry-After while a service it needs is down, or when it is not answered within REQUEST_DEADLINE_MS (default 4 s; 60 s for /admin routes, ADMIN_REQUEST_DEADLINE_MS): retry it (with the same Idempotency-Key).',
    },
    servers: [{ url: config.PUBLIC_URL ?? '/' }],
  });
  app.route('/', swaggerUiRoutes('/openapi.json'));
  app.route('/', asyncApiRoutes({ topicPrefix: config.KAFKA_TOPIC_PREFIX, brokers: config.KAFKA_BROKERS }));
  app.route('/', scannerPageRoutes({ sessions, tokens }));
  app.route('/', webRoutes({ sessions, tokens, identity, seatMaps, catalog, maxSeatsPerReservation: config.MAX_SEATS_PER_RESERVATION, clientIp, seatStreamIntervalMs: config.WEB_SEAT_STREAM_INTERVAL_MS, cardPayments: paymentProvider ? { providerOrigin: new URL(config.STRIPE_API_BASE).origin, publishableKey: config.STRIPE_PUBLISHABLE_KEY, emulator: Boolean(emulated) } : undefined }));

  return { app, services: { transfers, transferRepo, paymentProvider, cardOutcomes, versions, audit, identity, catalog, seatMaps, seatInventory, reservations, wallets, booking, tokens, cipher, notifications, queue, tickets, waitlist, waitlistRepo, webhooks } };
}

const sha256 = (s: string) => createHash('sha256').update(s).digest();

/**
 * The abuse limits (docs/security.md): 'auth' and 'signup' per IP; 'queue' and 'booking' per IP and per
 * user. One 'booking' middleware serves /reservations and /wallet, so they share one budget.
 */
function abuseLimits(config: Config, limiter: RateLimiter, deps: { tokens: AccessTokens; clientIp: ReturnType<typeof clientIpResolver>; log: Logger; metrics: Metrics }) {
  const windowMs = config.RATE_LIMIT_WINDOW_SECONDS * 1000;
  const identify = async (c: { req: { header(n: string): string | undefined } }) => {
    const token = /^Bearer (\S{10,2048})$/i.exec(c.req.header('authorization') ?? '')?.[1];
    return token ? deps.tokens.verify(token).then((claims) => Number(claims.sub), () => null) : null;
  };
  const limit = (name: string, perIp: number, perUser?: number) =>
    rateLimit({ limiter, rule: { name, perIp, ...(perUser ? { perUser } : {}) }, windowMs, clientIp: deps.clientIp, identify, log: deps.log, metrics: deps.metrics, stepDeadlineMs: config.REQUEST_DEADLINE_MS });
  return {
    auth: limit('auth', config.RATE_LIMIT_AUTH_PER_IP),
    // Its own, much smaller budget over a longer window, on top of 'auth'.
    signup: rateLimit({ limiter, rule: { name: 'signup', perIp: config.RATE_LIMIT_SIGNUP_PER_IP }, windowMs: config.RATE_LIMIT_SIGNUP_WINDOW_SECONDS * 1000, clientIp: deps.clientIp, identify, log: deps.log, metrics: deps.metrics }),
    queue: limit('queue', config.RATE_LIMIT_QUEUE_PER_IP, config.RATE_LIMIT_QUEUE_PER_USER),
    booking: limit('booking', config.RATE_LIMIT_BOOKING_PER_IP, config.RATE_LIMIT_BOOKING_PER_USER),
  };
}

/** The Temporal UI is reached as localhost or 127.0.0.1 interchangeably: allow both spellings. */
function temporalUiOrigins(url: string): string[] {
  const origin = new URL(url).origin;
  const alt = origin.replace('//127.0.0.1', '//localhost') === origin ? origin.replace('//localhost', '//127.0.0.1') : origin.replace('//127.0.0.1', '//localhost');
  return [...new Set([origin, alt])];
}
