import { loadConfig } from '../config.js';
import { DATA_DOMAINS, databaseName, domainDatabaseUrl } from '../platform/db/domains.js';
import { exitOnStartupError } from './shutdown.js';
import { migrateAllDatabases } from './migrations.js';

/**
 * Applies the checked-in migrations: each domain's set (drizzle/<domain>/) to its own database, then
 * the main set (drizzle/) to MYSQL_URL, creating databases and domain users as needed (MYSQL_ADMIN_URL).
 */
async function main() {
  const config = loadConfig();
  const started = Date.now();
  const { moved } = await migrateAllDatabases(config);
  const names = [databaseName(config.MYSQL_URL), ...DATA_DOMAINS.map((d) => databaseName(domainDatabaseUrl(config, d)))];
  if (Object.keys(moved).length > 0) console.log(`rows moved out of ${names[0]}: ${JSON.stringify(moved)}`);
  console.log(`migrations applied to ${names.join(', ')} in ${Date.now() - started} ms`);
}

main().catch((err) => exitOnStartupError(undefined, err));
