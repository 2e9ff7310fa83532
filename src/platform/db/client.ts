import { drizzle, type MySql2Database } from 'drizzle-orm/mysql2';
import mysql from 'mysql2/promise';

// No relational-query schema: every capability queries its own tables (src/<capability>/schema.ts)
// with the core query builder, so the platform needs to know none of them.
export type Db = MySql2Database;
/** A drizzle transaction handle: repositories take `Db | Tx` so callers decide the transaction. */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
export type DbOrTx = Db | Tx;

export interface Database {
  db: Db;
  pool: mysql.Pool;
  close(): Promise<void>;
}

export function createDatabase(url: string, poolSize: number, opts: { connectTimeoutMs?: number } = {}): Database {
  const pool = mysql.createPool({
    uri: url,
    connectionLimit: poolSize,
    ...(opts.connectTimeoutMs !== undefined ? { connectTimeout: opts.connectTimeoutMs } : {}),
    waitForConnections: true,
    // UTC everywhere: datetime columns carry no zone, so the driver must not apply a local one.
    timezone: 'Z',
    dateStrings: false,
    supportBigNumbers: true,
    bigNumberStrings: false,
    enableKeepAlive: true,
  });
  pool.on('connection', (conn) => conn.query("SET time_zone = '+00:00'"));
  const db = drizzle(pool, { mode: 'default' });
  return { db, pool, close: () => pool.end() };
}

/** mysql2 error codes we react to; drizzle wraps them in DrizzleQueryError with the original in `cause`. */
export function mysqlErrorCode(err: unknown): string | undefined {
  let e: unknown = err;
  for (let depth = 0; e && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('ER_')) return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

export const isDuplicateKey = (err: unknown) => mysqlErrorCode(err) === 'ER_DUP_ENTRY';
export const isRetryableLockError = (err: unknown) => {
  const code = mysqlErrorCode(err);
  return code === 'ER_LOCK_DEADLOCK' || code === 'ER_LOCK_WAIT_TIMEOUT';
};

/**
 * Two transactions appending to one event aggregate at once can compute the same next sequence
 * (outbox.ts reads MAX without locking, to keep inserts of new aggregates free of gap locks); the
 * unique index refuses the second, which then simply runs again.
 */
export const isEventSequenceClash = (err: unknown) => isDuplicateKey(err) && /domain_events_aggregate_seq_uq/.test(errorText(err));

const errorText = (err: unknown): string => {
  const parts: string[] = [];
  for (let e: unknown = err, depth = 0; e && depth < 4; depth++, e = (e as { cause?: unknown }).cause) parts.push(String((e as Error).message ?? e));
  return parts.join(' | ');
};

/** Runs a transaction, running it again a few times on deadlock, lock wait timeout or an event-sequence clash. */
export async function withTransaction<T>(db: Db, fn: (tx: Tx) => Promise<T>, attempts = 4): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction(fn);
    } catch (err) {
      if (attempt >= attempts || !(isRetryableLockError(err) || isEventSequenceClash(err))) throw err;
      await new Promise((r) => setTimeout(r, 5 * attempt + Math.random() * 10));
    }
  }
}

/** Rows changed by an UPDATE/DELETE through drizzle's mysql2 driver (the optimistic-lock check). */
export function affectedRows(result: unknown): number {
  const header = Array.isArray(result) ? result[0] : result;
  return Number((header as { affectedRows?: number }).affectedRows ?? 0);
}
