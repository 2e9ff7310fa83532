import { CatalogRepository } from '../catalog/repository.js';
import { SeatStatusRepository } from '../booking/seat-status-repository.js';
import { loadConfig } from '../config.js';
import { SecurityAudit } from '../identity/audit.js';
import { PersonalDataCipher } from '../identity/personal-data.js';
import { IdentityService } from '../identity/service.js';
import { TokenVersions } from '../identity/token-versions.js';
import { AccessTokens } from '../identity/tokens.js';
import { createPaymentModule } from '../payment/module.js';
import { domainDatabaseUrl } from '../platform/db/domains.js';
import { createDatabase } from '../platform/db/client.js';
import { createLogger } from '../platform/observability/logger.js';
import { createRedis, redisEndpointOf } from '../platform/redis.js';
import { DEMO_ADMIN, DEMO_PASSWORD, DEMO_STAFF, demoUsers, seedDemoData } from './demo-data.js';
import { exitOnStartupError } from './shutdown.js';

/** Loads demo data through the same code paths as the admin API and sign-up. */
async function main() {
  const config = loadConfig();
  const log = createLogger({ level: config.LOG_LEVEL, service: config.SERVICE_NAME, process: 'seed' });
  const database = createDatabase(config.MYSQL_URL, 4);
  const paymentDatabase = createDatabase(domainDatabaseUrl(config, 'payment'), 4);
  const identityDatabase = createDatabase(domainDatabaseUrl(config, 'identity'), 4);
  // IdentityService needs its audit, token versions and Redis (npm run up starts Redis before seeding).
  const redis = createRedis(redisEndpointOf(config), config.REDIS_PREFIX, (err) => log.warn({ err: err.message }, 'redis connection error'));
  try {
    const { wallets } = createPaymentModule(paymentDatabase.db, { maxBalance: config.WALLET_MAX_BALANCE });
    const identity = new IdentityService(identityDatabase.db, new PersonalDataCipher(config.DATA_ENCRYPTION_KEY), new AccessTokens(config.JWT_SECRET, config.JWT_TTL_SECONDS), {
      wallets,
      audit: new SecurityAudit(identityDatabase.db, log),
      versions: new TokenVersions(identityDatabase.db, redis, config.TOKEN_VERSION_CACHE_SECONDS),
      redis,
    });
    await seedDemoData(
      { identity, catalog: new CatalogRepository(database.db, new SeatStatusRepository(database.db)), wallets },
      (m) => console.log(m),
    );
    console.log(`demo admin: ${DEMO_ADMIN.email} / ${DEMO_ADMIN.password}`);
    console.log(`demo door staff: ${DEMO_STAFF.email} / ${DEMO_STAFF.password}`);
    console.log(`demo users: ${demoUsers.map((u) => u.email).join(', ')} / ${DEMO_PASSWORD} (1,000,000 KRW each)`);
  } finally {
    redis.disconnect();
    await Promise.all([database.close(), paymentDatabase.close(), identityDatabase.close()]);
  }
}

main().catch((err) => exitOnStartupError(undefined, err));
