import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CatalogRepository } from '../../src/catalog/repository.js';
import { createDatabase, type Database } from '../../src/platform/db/client.js';
import { migrateDatabase } from '../../src/platform/db/migrate.js';
import { createReplicaReads, type ReplicaReads } from '../../src/platform/db/replica.js';
import { eventually } from '../support/harness.js';

/**
 * Replica reads on a real MariaDB GTID replica (STACK_TOPOLOGY=cluster, docs/production.md "Replica
 * reads"): a lag-tolerant read is served by the replica (stale while its SQL thread is stopped, when
 * the primary path already sees the write), and goes to the primary when the replica is down.
 * Skipped on a stack without a replica. The outage part stops and restarts the replica through
 * scripts/stack.sh, so it runs only on the test's own native stack (never the shared one).
 */
const stack = inject('stack');
const replicaServer = stack.mysqlReplicaServerUrl;
const ownsStack = process.env.TEST_STACK !== 'external' || process.env.STACK_TOPOLOGY === 'cluster';
const stackScript = fileURLToPath(new URL('../../scripts/stack.sh', import.meta.url));

describe.skipIf(!replicaServer)('replica reads on a real replica', () => {
  const name = `rr_${randomBytes(4).toString('hex')}`;
  const url = (server: string) => `${server}/${name}`;
  let primary: Database;
  let reads: ReplicaReads;
  let replicaAdmin: mysql.Connection;
  let fallbacks = 0;
  const onPrimary = () => new CatalogRepository(primary.db);
  const onReplicaPath = () => new CatalogRepository(reads.db);

  const addConcert = async (title: string) => {
    const [r] = await primary.pool.query('INSERT INTO concerts (title, artist, description, venue, created_at) VALUES (?, ?, ?, ?, NOW(3))', [title, 'Replica Band', '', 'Hall']);
    return (r as mysql.ResultSetHeader).insertId;
  };

  beforeAll(async () => {
    await migrateDatabase(url(stack.mysqlServerUrl));
    primary = createDatabase(url(stack.mysqlServerUrl), 2);
    reads = createReplicaReads(primary, url(replicaServer!), { poolSize: 2, retryMs: 60_000, onFallback: () => void fallbacks++ });
    replicaAdmin = await mysql.createConnection({ uri: replicaServer! });
  }, 120_000);

  afterAll(async () => {
    await replicaAdmin?.query('START SLAVE SQL_THREAD').catch(() => {});
    await replicaAdmin?.end().catch(() => {});
    await reads?.close();
    await primary?.pool.query(`DROP DATABASE IF EXISTS \`${name}\``);
    await primary?.close();
  });

  it('a read on the replica path is served by the replica: stale while its SQL thread stops, fresh again after', async () => {
    const first = await addConcert('before the stop');
    // Replication works: the replica path sees the primary's write.
    expect((await eventually(() => onReplicaPath().findConcert(first)))?.title).toBe('before the stop');
    expect(reads.target()).toBe('replica');

    await replicaAdmin.query('STOP SLAVE SQL_THREAD');
    const second = await addConcert('during the stop');
    // The primary path reads its own write; the replica path does not have it: it was the replica that answered.
    expect((await onPrimary().findConcert(second))?.title).toBe('during the stop');
    expect(await onReplicaPath().findConcert(second)).toBeUndefined();
    expect(reads.target()).toBe('replica');

    await replicaAdmin.query('START SLAVE SQL_THREAD');
    expect((await eventually(() => onReplicaPath().findConcert(second)))?.title).toBe('during the stop');
    expect(fallbacks).toBe(0);
  });

  it.runIf(ownsStack)('with the replica down, the same read goes to the primary', async () => {
    await replicaAdmin.query('STOP SLAVE SQL_THREAD');
    const third = await addConcert('while the replica is down');
    execFileSync('bash', [stackScript, 'stop-one', 'mysql-replica'], { stdio: 'inherit', env: { ...process.env, STACK_PROFILE: 'test' } });
    try {
      // Had the replica answered, this read would be stale (its SQL thread was stopped before the write).
      expect((await onReplicaPath().findConcert(third))?.title).toBe('while the replica is down');
      expect(fallbacks).toBe(1);
      expect(reads.target()).toBe('primary');
      // While it rests, reads go straight to the primary without trying the replica again.
      expect((await onReplicaPath().findConcert(third))?.title).toBe('while the replica is down');
      expect(fallbacks).toBe(1);
    } finally {
      // A fresh clone of the primary, following it again (scripts/topology/cluster.sh).
      execFileSync('bash', [stackScript, 'restart-one', 'mysql_replica'], { stdio: 'inherit', env: { ...process.env, STACK_PROFILE: 'test', STACK_TOPOLOGY: 'cluster' } });
      await replicaAdmin.end().catch(() => {});
      replicaAdmin = await mysql.createConnection({ uri: replicaServer! });
    }
  }, 240_000);
});
