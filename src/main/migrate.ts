import { loadConfig } from '../config.js';
import { migrateDatabase } from '../platform/db/migrate.js';
import { exitOnStartupError } from './shutdown.js';

/** Applies the checked-in migrations (drizzle/) to MYSQL_URL, creating the database if needed. */
async function main() {
  const config = loadConfig();
  const started = Date.now();
  await migrateDatabase(config.MYSQL_URL);
  console.log(`migrations applied to ${new URL(config.MYSQL_URL).pathname.slice(1)} in ${Date.now() - started} ms`);
}

main().catch((err) => exitOnStartupError(undefined, err));
