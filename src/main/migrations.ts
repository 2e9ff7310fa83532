import type { Config } from '../config.js';
import { databaseName, DATA_DOMAINS, domainDatabaseUrl } from '../platform/db/domains.js';
import { domainMigrationsFolder, migrateDatabase, migrationsFolder } from '../platform/db/migrate.js';
import { moveLegacyPaymentRows } from '../payment/legacy-move.js';

/**
 * Every database's migrations, in the order the move of payment's tables needs: each domain's
 * database (created with its user, granted on it only), then the copy of payment's rows still in
 * booking's database, then booking's main set (whose 0009 drops them there).
 */
export async function migrateAllDatabases(config: Pick<Config, 'MYSQL_URL' | 'MYSQL_ADMIN_URL' | 'MYSQL_DATABASE_PREFIX' | 'MYSQL_DOMAIN_PASSWORD' | 'MYSQL_URL_PAYMENT' | 'MYSQL_URL_NOTIFICATIONS' | 'MYSQL_URL_WEBHOOKS'>) {
  const adminUrl = config.MYSQL_ADMIN_URL ?? config.MYSQL_URL;
  for (const domain of DATA_DOMAINS) await migrateDatabase(domainDatabaseUrl(config, domain), domainMigrationsFolder(domain), adminUrl);
  const moved = await moveLegacyPaymentRows(adminUrl, databaseName(config.MYSQL_URL), databaseName(domainDatabaseUrl(config, 'payment')));
  await migrateDatabase(config.MYSQL_URL, migrationsFolder, adminUrl);
  return { moved };
}
