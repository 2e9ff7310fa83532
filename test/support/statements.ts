import type mysql from 'mysql2/promise';

type CoreConnection = { query: (...a: unknown[]) => unknown; execute: (...a: unknown[]) => unknown; __counted?: boolean };
type CorePool = { getConnection: (cb: (err: unknown, conn: CoreConnection) => void) => void };
const listeners = new Map<mysql.Pool, Set<(sql: string) => void>>();

/**
 * Counts the SQL statements this process's pool sends (pool.query/execute and transactions alike),
 * unlike SHOW GLOBAL STATUS, which counts every client of the server. `matching` narrows it to
 * statements whose text matches. Call stop() for the count.
 */
export function countStatements(pool: mysql.Pool, matching: RegExp = /.*/s): { stop: () => number; texts: string[] } {
  const core = (pool as unknown as { pool: CorePool }).pool;
  if (!listeners.has(pool)) {
    listeners.set(pool, new Set());
    const original = core.getConnection.bind(core);
    core.getConnection = (cb) =>
      original((err, conn) => {
        if (conn && !conn.__counted) {
          conn.__counted = true;
          for (const method of ['query', 'execute'] as const) {
            const fn = conn[method].bind(conn);
            conn[method] = (...args: unknown[]) => {
              const sql = typeof args[0] === 'string' ? args[0] : String((args[0] as { sql?: string })?.sql ?? '');
              for (const l of listeners.get(pool)!) l(sql);
              return fn(...args);
            };
          }
        }
        cb(err, conn);
      });
  }
  const texts: string[] = [];
  const listener = (sql: string) => {
    if (matching.test(sql)) texts.push(sql);
  };
  listeners.get(pool)!.add(listener);
  return {
    texts,
    stop: () => {
      listeners.get(pool)!.delete(listener);
      return texts.length;
    },
  };
}
