import { fileURLToPath } from 'node:url';
import { migrate } from 'drizzle-orm/mysql2/migrator';
import mysql from 'mysql2/promise';
import { createDatabase } from './client.js';
import { databaseName, type DataDomain } from './domains.js';

/** The main set (booking's database, drizzle/) and each domain's own set (drizzle/<domain>/). */
export const migrationsFolder = fileURLToPath(new URL('../../../drizzle', import.meta.url));
export const domainMigrationsFolder = (domain: DataDomain) => fileURLToPath(new URL(`../../../drizzle/${domain}`, import.meta.url));

/** The server part of a URL (no database), for statements that are not about one database. */
const serverUrl = (url: string) => {
  const u = new URL(url);
  u.pathname = '/';
  return u.toString();
};

/**
 * Creates `url`'s database if missing and, when `url` names another user than the admin's, that user
 * with ALL on this one database and nothing else (CREATE USER IF NOT EXISTS keeps an existing user's
 * password; a changed password is the operator's ALTER USER). The admin needs CREATE USER and
 * GRANT OPTION (scripts/stack.sh and docker/mysql-init.sql give them to the development account).
 */
export async function provisionDatabase(adminUrl: string, url: string): Promise<void> {
  const name = databaseName(url);
  const u = new URL(url);
  const user = decodeURIComponent(u.username);
  const admin = await mysql.createConnection({ uri: serverUrl(adminUrl) });
  try {
    await admin.query(`CREATE DATABASE IF NOT EXISTS \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    if (user && user !== decodeURIComponent(new URL(adminUrl).username)) {
      await admin.query(`CREATE USER IF NOT EXISTS ?@'%' IDENTIFIED BY ?`, [user, decodeURIComponent(u.password)]);
      await admin.query(`GRANT ALL PRIVILEGES ON \`${name}\`.* TO ?@'%'`, [user]);
    }
  } finally {
    await admin.end();
  }
}

/** Applies the checked-in drizzle-kit migrations of one set to `url`'s database. */
export async function migrateDatabase(url: string, folder = migrationsFolder, adminUrl = url): Promise<void> {
  await provisionDatabase(adminUrl, url);
  const database = createDatabase(url, 2);
  try {
    await migrate(database.db, { migrationsFolder: folder });
  } finally {
    await database.close();
  }
}
