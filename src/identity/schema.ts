import { char, int, mysqlEnum, mysqlTable, varchar } from 'drizzle-orm/mysql-core';
import { ts, createdAt, id } from '../platform/db/columns.js';

// Identity owns its accounts, in its own database (drizzle.identity.config.ts -> drizzle/identity/;
// main set 0014 dropped them from booking's). Only src/identity queries them.
export const users = mysqlTable('users', {
  id: id().autoincrement().primaryKey(),
  // Personal data is encrypted at rest; the blind index (HMAC of the normalised email) finds a user.
  emailCipher: varchar('email_cipher', { length: 512 }).notNull(),
  emailIndex: char('email_index', { length: 64 }).notNull().unique(),
  phoneCipher: varchar('phone_cipher', { length: 512 }),
  name: varchar('name', { length: 100 }).notNull(),
  passwordHash: varchar('password_hash', { length: 255 }).notNull(),
  role: mysqlEnum('role', ['USER', 'ADMIN', 'STAFF']).notNull().default('USER'),
  status: mysqlEnum('status', ['ACTIVE', 'DISABLED']).notNull().default('ACTIVE'),
  failedLogins: int('failed_logins').notNull().default(0),
  lockedUntil: ts('locked_until'),
  tokenVersion: int('token_version').notNull().default(0),
  // The language of every email to this user (docs/tickets.md "Email"): from the signup body or its
  // Accept-Language, Korean by default.
  locale: mysqlEnum('locale', ['ko', 'en']).notNull().default('ko'),
  createdAt: createdAt(),
});
