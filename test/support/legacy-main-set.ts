import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { loadConfig } from '../../src/config.js';
import { DATA_DOMAINS } from '../../src/platform/db/domains.js';
import { migrateDatabase, migrationsFolder } from '../../src/platform/db/migrate.js';

/**
 * A booking database as an earlier release left it, for the tests of a move out of it (a domain
 * taking its tables into its own database): its own databases and users, named `<id>_<domain>`, a
 * config whose domain URLs point at them, and the main set migrated only up to a given migration.
 */
export function legacyMainSet(mysqlServerUrl: string) {
  const id = `m${randomBytes(4).toString('hex')}`;
  const password = randomBytes(12).toString('hex');
  const url = new URL(mysqlServerUrl);
  url.username = `${id}_booking`;
  url.password = password;
  url.pathname = `/${id}_booking`;
  const bookingUrl = url.toString();
  const config = loadConfig({ NODE_ENV: 'test', MYSQL_URL: bookingUrl, MYSQL_DATABASE_PREFIX: `${id}_`, MYSQL_DOMAIN_PASSWORD: password, MYSQL_ADMIN_URL: mysqlServerUrl });
  const folder = mkdtempSync(join(tmpdir(), 'main-set-'));
  return {
    bookingUrl,
    /** Booking's database name. */
    bookingDb: `${id}_booking`,
    config,
    /**
     * Migrates booking's database with the main set up to migration `upTo` (its journal index), as
     * the release before shipped it; `next` must be the migration after it (checks the cut is where
     * the test means it).
     */
    async migrateUpTo(upTo: number, next: string) {
      cpSync(migrationsFolder, folder, { recursive: true });
      const journal = JSON.parse(readFileSync(join(folder, 'meta/_journal.json'), 'utf8')) as { entries: Array<{ idx: number; tag: string }> };
      if (journal.entries.find((e) => e.idx === upTo + 1)?.tag !== next) throw new Error(`the main set's migration after ${upTo} is not ${next}`);
      journal.entries = journal.entries.filter((e) => e.idx <= upTo);
      writeFileSync(join(folder, 'meta/_journal.json'), JSON.stringify(journal));
      await migrateDatabase(bookingUrl, folder, mysqlServerUrl);
    },
    /** Drops every database and user it made. */
    async drop() {
      rmSync(folder, { recursive: true, force: true });
      const admin = await mysql.createConnection({ uri: mysqlServerUrl });
      try {
        for (const d of ['booking', ...DATA_DOMAINS]) {
          await admin.query(`DROP DATABASE IF EXISTS \`${id}_${d}\``);
          await admin.query(`DROP USER IF EXISTS ?@'%'`, [`${id}_${d}`]);
        }
      } finally {
        await admin.end();
      }
    },
  };
}
