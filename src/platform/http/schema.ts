import { char, index, mysqlTable, primaryKey, smallint, varchar } from 'drizzle-orm/mysql-core';
import { jsonText, ts, createdAt, id } from '../db/columns.js';

// The HTTP platform owns the stored answers for Idempotency-Key requests.
/** Stored answers for Idempotency-Key requests: same key and body -> same response. */
export const idempotencyKeys = mysqlTable(
  'idempotency_keys',
  {
    userId: id('user_id').notNull(),
    scope: varchar('scope', { length: 40 }).notNull(),
    key: varchar('idem_key', { length: 100 }).notNull(),
    requestHash: char('request_hash', { length: 64 }).notNull(),
    statusCode: smallint('status_code'),
    responseBody: jsonText('response_body'),
    createdAt: createdAt(),
    expiresAt: ts('expires_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.scope, t.key] }), index('idempotency_keys_expiry_idx').on(t.expiresAt)],
);
