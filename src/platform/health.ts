import type { Client } from '@temporalio/client';
import type { Admin } from 'kafkajs';
import { sql } from 'drizzle-orm';
import type { Db } from './db/client.js';
import { withinDependencyDeadline } from './dependency-errors.js';
import type { Redis } from './redis.js';

export type Check = () => Promise<void>;

/** Readiness probes per dependency: each answers within a deadline or counts as down. */
/** `domainDbs`: each other domain's own database (payment's), checked as `mysql_<domain>`. */
export const dependencyChecks = (deps: { db: Db; redis: Redis; temporal: Client; kafkaAdmin: Admin; domainDbs?: Record<string, Db> }): Record<string, Check> => ({
  mysql: async () => void (await deps.db.execute(sql`SELECT 1`)),
  ...Object.fromEntries(Object.entries(deps.domainDbs ?? {}).map(([domain, db]) => [`mysql_${domain}`, async () => void (await db.execute(sql`SELECT 1`))])),
  redis: async () => void (await deps.redis.ping()),
  temporal: async () => void (await deps.temporal.connection.workflowService.getSystemInfo({})),
  kafka: async () => void (await deps.kafkaAdmin.describeCluster()),
});

export async function runChecks(checks: Record<string, Check>, timeoutMs = 2000) {
  const entries = await Promise.all(
    Object.entries(checks).map(async ([name, check]) => {
      try {
        await withinDependencyDeadline(check(), timeoutMs, name);
        return [name, { status: 'up' }] as const;
      } catch (err) {
        return [name, { status: 'down', error: (err as Error).message.slice(0, 200) }] as const;
      }
    }),
  );
  const results = Object.fromEntries(entries);
  const ready = entries.every(([, r]) => r.status === 'up');
  return { ready, checks: results };
}
