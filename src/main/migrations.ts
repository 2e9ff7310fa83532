import type { Config } from '../config.js';
import { databaseName, DATA_DOMAINS, domainDatabaseUrl, type DomainConfig } from '../platform/db/domains.js';
import { domainMigrationsFolder, migrateDatabase, migrationsFolder } from '../platform/db/migrate.js';
import { moveLegacyIdentityRows } from '../identity/legacy-move.js';
import { moveLegacyEventsRows } from '../events/legacy-move.js';
import { moveLegacyRecommendationRows } from '../recommendations/legacy-move.js';
import { moveLegacyPaymentRows } from '../payment/legacy-move.js';
import { moveLegacyWaitlistRows } from '../waitlist/legacy-move.js';

/**
 * Every database's migrations, in the order the moves out of booking's database need: each domain's
 * database (created with its user, granted on it only), then the copy of the rows still in booking's
 * database (payment's, dropped there by 0009; the waiting list's, by 0012; identity's accounts, by
 * 0014; the events and recommendations read models, by 0015), then booking's main set.
 */
export async function migrateAllDatabases(config: DomainConfig & Pick<Config, 'MYSQL_ADMIN_URL'>) {
  const adminUrl = config.MYSQL_ADMIN_URL ?? config.MYSQL_URL;
  for (const domain of DATA_DOMAINS) await migrateDatabase(domainDatabaseUrl(config, domain), domainMigrationsFolder(domain), adminUrl);
  const bookingDb = databaseName(config.MYSQL_URL);
  const moved = {
    ...(await moveLegacyPaymentRows(adminUrl, bookingDb, databaseName(domainDatabaseUrl(config, 'payment')))),
    ...prefixed('waitlist.', await moveLegacyWaitlistRows(adminUrl, bookingDb, databaseName(domainDatabaseUrl(config, 'waitlist')))),
    ...prefixed('identity.', await moveLegacyIdentityRows(adminUrl, bookingDb, databaseName(domainDatabaseUrl(config, 'identity')))),
    ...prefixed('events.', await moveLegacyEventsRows(adminUrl, bookingDb, databaseName(domainDatabaseUrl(config, 'events')))),
    ...prefixed('recommendations.', await moveLegacyRecommendationRows(adminUrl, bookingDb, databaseName(domainDatabaseUrl(config, 'recommendations')))),
  };
  await migrateDatabase(config.MYSQL_URL, migrationsFolder, adminUrl);
  return { moved };
}

const prefixed = (prefix: string, counts: Record<string, number>) => Object.fromEntries(Object.entries(counts).map(([k, v]) => [prefix + k, v]));
