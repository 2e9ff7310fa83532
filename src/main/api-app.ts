import { swaggerUI } from '@hono/swagger-ui';
import type { Client } from '@temporalio/client';
import type { Admin } from 'kafkajs';
import { adminRoutes } from '../admin/routes.js';
import { bookingRoutes, type AdmissionGate } from '../booking/routes.js';
import { ReservationRepository } from '../booking/repository.js';
import { ReservationWorkflows } from '../booking/reservation-workflows.js';
import { RedisSeatLocks } from '../booking/seat-locks.js';
import { BookingService } from '../booking/service.js';
import { CatalogRepository } from '../catalog/repository.js';
import { catalogRoutes } from '../catalog/routes.js';
import { SeatMapCache } from '../catalog/seat-map-cache.js';
import type { Config } from '../config.js';
import { requireAuth } from '../identity/middleware.js';
import { PersonalDataCipher } from '../identity/personal-data.js';
import { identityRoutes } from '../identity/routes.js';
import { IdentityService } from '../identity/service.js';
import { AccessTokens } from '../identity/tokens.js';
import { walletRoutes } from '../payment/routes.js';
import { WalletRepository } from '../payment/wallet-repository.js';
import type { Db } from '../platform/db/client.js';
import { dependencyChecks, runChecks } from '../platform/health.js';
import { createHttpApp } from '../platform/http/app.js';
import { IdempotencyStore } from '../platform/http/idempotency.js';
import type { Logger } from '../platform/observability/logger.js';
import type { Metrics } from '../platform/observability/metrics.js';
import type { Redis } from '../platform/redis.js';

export interface ApiDeps {
  config: Config;
  db: Db;
  redis: Redis;
  temporal: Client;
  kafkaAdmin: Admin;
  log: Logger;
  metrics: Metrics;
  admission?: AdmissionGate;
}

/** Wires every capability's routes onto one Hono app (used by the API process and by tests). */
export function buildApiApp(deps: ApiDeps) {
  const { config, db, redis, log, metrics } = deps;
  const app = createHttpApp({ log, metrics, bodyLimitBytes: config.BODY_LIMIT_BYTES, corsOrigins: config.CORS_ORIGINS });

  const tokens = new AccessTokens(config.JWT_SECRET, config.JWT_TTL_SECONDS);
  const auth = requireAuth(tokens);
  const cipher = new PersonalDataCipher(config.DATA_ENCRYPTION_KEY);
  const identity = new IdentityService(db, cipher, tokens);
  const catalog = new CatalogRepository(db);
  const seatMaps = new SeatMapCache(redis, catalog, config.SEAT_MAP_CACHE_TTL_SECONDS, metrics);
  const reservations = new ReservationRepository(db);
  const wallets = new WalletRepository(db, { maxBalance: config.WALLET_MAX_BALANCE });
  const idempotency = new IdempotencyStore(db, config.IDEMPOTENCY_TTL_SECONDS);
  const booking = new BookingService(catalog, reservations, new ReservationWorkflows(deps.temporal, config.TEMPORAL_TASK_QUEUE), new RedisSeatLocks(redis), {
    holdTtlMs: config.HOLD_TTL_SECONDS * 1000,
    maxSeatsPerReservation: config.MAX_SEATS_PER_RESERVATION,
    cancellationCutoffHours: config.CANCELLATION_CUTOFF_HOURS,
  });
  const checks = dependencyChecks({ db, redis, temporal: deps.temporal, kafkaAdmin: deps.kafkaAdmin });

  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    const result = await runChecks(checks);
    return c.json({ status: result.ready ? 'ready' : 'not ready', checks: result.checks }, result.ready ? 200 : 503);
  });
  app.get('/metrics', async (c) => c.text(await metrics.registry.metrics(), 200, { 'content-type': metrics.registry.contentType }));

  const v1 = '/api/v1';
  app.route(v1, identityRoutes({ identity, tokens }));
  app.route(v1, catalogRoutes({ catalog, seatMaps }));
  app.route(v1, walletRoutes({ wallets, idempotency, auth, maxCharge: config.WALLET_MAX_CHARGE }));
  app.route(v1, bookingRoutes({ booking, reservations, idempotency, auth, admission: deps.admission }));
  app.route(v1, adminRoutes({ catalog, booking, auth }));

  app.openAPIRegistry.registerComponent('securitySchemes', 'bearerAuth', { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'Concert booking API',
      version: '1.0.0',
      description: 'Hold seats, pay from a wallet, cancel and refund. Errors are application/problem+json (RFC 9457) with a stable `code`.',
    },
    servers: [{ url: config.PUBLIC_URL ?? '/' }],
  });
  app.get('/docs', swaggerUI({ url: '/openapi.json' }));

  return { app, services: { identity, catalog, seatMaps, reservations, wallets, booking, tokens, cipher } };
}
