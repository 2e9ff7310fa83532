import { drizzle } from 'drizzle-orm/mysql2';
import type mysql from 'mysql2/promise';
import { createDatabase, type Database, type Db } from './client.js';

/**
 * Reads that tolerate replication lag (docs/production.md "Replica reads") go through this
 * connection: to MYSQL_REPLICA_URL when it is set and answers, else to the primary. A query whose
 * replica connection fails (refused, lost, timed out) runs again on the primary at once, and the
 * replica is left alone for `retryMs` before it is tried again, so a dead replica costs one failed
 * connection attempt per `retryMs`, not one per request. Only reads: nothing here may write.
 */
export interface ReplicaReads {
  db: Db;
  /** Where the next read goes: 'replica', or 'primary' (no replica configured, or it is resting after a failure). */
  target(): 'replica' | 'primary';
  close(): Promise<void>;
}

/** mysql2's codes for a server that cannot be reached or went away (not a query's own error). */
const CONNECTION_FAILURES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'EPIPE', 'PROTOCOL_CONNECTION_LOST', 'ER_SERVER_SHUTDOWN', 'ER_CON_COUNT_ERROR', 'POOL_CLOSED']);

export function isConnectionFailure(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 4; depth++, e = (e as { cause?: unknown }).cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && CONNECTION_FAILURES.has(code)) return true;
  }
  return false;
}

export function createReplicaReads(primary: Database, replicaUrl: string | undefined, opts: { poolSize: number; retryMs: number; onFallback?: (err: unknown) => void; now?: () => number }): ReplicaReads {
  if (!replicaUrl) return { db: primary.db, target: () => 'primary', close: async () => {} };
  const replica = createDatabase(replicaUrl, opts.poolSize, { connectTimeoutMs: 2_000 });
  const now = opts.now ?? Date.now;
  let restingUntil = 0;

  async function route<T>(run: (pool: mysql.Pool) => Promise<T>): Promise<T> {
    if (now() < restingUntil) return run(primary.pool);
    try {
      return await run(replica.pool);
    } catch (err) {
      if (!isConnectionFailure(err)) throw err;
      restingUntil = now() + opts.retryMs;
      opts.onFallback?.(err);
      return run(primary.pool);
    }
  }

  // The pool drizzle talks to: each call goes to the replica's pool or the primary's. drizzle's mysql2
  // session uses query, execute and (for transactions, which reads never open) getConnection.
  const client = {
    query: (...args: unknown[]) => route((pool) => (pool.query as (...a: unknown[]) => Promise<unknown>)(...args)),
    execute: (...args: unknown[]) => route((pool) => (pool.execute as (...a: unknown[]) => Promise<unknown>)(...args)),
    getConnection: () => route((pool) => pool.getConnection()),
  };
  const db = drizzle(client as unknown as mysql.Pool, { mode: 'default' });
  return { db, target: () => (now() < restingUntil ? 'primary' : 'replica'), close: () => replica.close() };
}
