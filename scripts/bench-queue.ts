/**
 * Waiting-room benchmark (not a test): joins/s and status polls/s through the queue service (the
 * Lua script on Redis plus token signing), with p50/p99, beside Redis's own ZADD/ZRANK rate
 * measured in the same run, on the same kind of connection, at the same concurrency.
 *
 *   npm run bench:queue                       # local dev stack (config defaults)
 *   BENCH_JOINS=20000 BENCH_POLLS=20000 BENCH_CONCURRENCY=200 npm run bench:queue
 *
 * It creates one throwaway concert/schedule in MySQL (needed for the settings) and uses its own
 * Redis key prefix, deleted at the end. Users are synthetic ids: the service layer trusts the
 * caller's authenticated id, so no accounts are needed.
 */
import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import { CatalogRepository } from '../src/catalog/repository.js';
import { loadConfig } from '../src/config.js';
import { createDatabase } from '../src/platform/db/client.js';
import { migrateDatabase } from '../src/platform/db/migrate.js';
import { Metrics } from '../src/platform/observability/metrics.js';
import { createRedis } from '../src/platform/redis.js';
import { buildQueue } from '../src/queue/wiring.js';

const num = (name: string, def: number) => Number(process.env[name] ?? def);
const JOINS = num('BENCH_JOINS', 20_000);
const POLLS = num('BENCH_POLLS', 20_000);
const CONCURRENCY = num('BENCH_CONCURRENCY', 200);
const BASELINE_OPS = num('BENCH_BASELINE_OPS', 50_000);

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

/** Runs `count` calls of `fn(i)` with `concurrency` in flight; returns ops/s and latency percentiles (ms). */
async function measure(count: number, concurrency: number, fn: (i: number) => Promise<unknown>) {
  const latencies = new Float64Array(count);
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < count; i = next++) {
        const t = performance.now();
        await fn(i);
        latencies[i] = performance.now() - t;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const sorted = Array.from(latencies).sort((a, b) => a - b);
  return { perSec: count / seconds, p50: pct(sorted, 50), p99: pct(sorted, 99) };
}

async function main() {
  const config = loadConfig({ ...process.env, LOG_LEVEL: 'silent' });
  await migrateDatabase(config.MYSQL_URL);
  const database = createDatabase(config.MYSQL_URL, 10);
  const prefix = `${config.REDIS_PREFIX}bench-${randomBytes(3).toString('hex')}:`;
  const redis = createRedis(config.REDIS_URL, prefix);
  const log = pino({ level: 'warn' });
  const queue = buildQueue({ config, db: database.db, redis, metrics: new Metrics('bench', false), onError: (what, err) => log.warn({ err: String(err) }, what) });

  // A schedule open since an hour; a small cap so most joiners wait (positions are the hot path).
  const now = Date.now();
  const { scheduleIds } = await new CatalogRepository(database.db).createConcert(
    {
      title: 'Queue benchmark',
      artist: 'Bench',
      description: '',
      venue: 'Nowhere',
      schedules: [{ startsAt: new Date(now + 30 * 86_400_000), saleOpensAt: new Date(now - 3_600_000), saleClosesAt: new Date(now + 29 * 86_400_000) }],
      sections: [{ name: 'A', tier: 'R', price: 1000, rows: 1, seatsPerRow: 1 }],
    },
    null,
  );
  const scheduleId = scheduleIds[0]!;
  await queue.settings.update(scheduleId, { maxActive: 100, admitRatePerSec: 100 }, 0); // recorded as admin 0: the benchmark itself
  const firstUser = 1_000_000_000 + Math.floor(Math.random() * 1_000_000_000);

  console.log(`queue benchmark: ${JOINS} joins, ${POLLS} polls, concurrency ${CONCURRENCY}, redis ${config.REDIS_URL}`);
  const tokens: string[] = new Array(JOINS);
  const joins = await measure(JOINS, CONCURRENCY, async (i) => {
    tokens[i] = (await queue.service.join(firstUser + i, scheduleId)).token;
  });
  const polls = await measure(POLLS, CONCURRENCY, async (i) => {
    const u = (i * 7919) % JOINS;
    await queue.service.status(firstUser + u, tokens[u]);
  });

  // Redis's own rate for the primitives the script is built on, same connection settings.
  const zadd = await measure(BASELINE_OPS, CONCURRENCY, (i) => redis.zadd('baseline', i, `m${i}`));
  const zrank = await measure(BASELINE_OPS, CONCURRENCY, (i) => redis.zrank('baseline', `m${i % BASELINE_OPS}`));

  const row = (name: string, r: { perSec: number; p50: number; p99: number }) =>
    console.log(`${name.padEnd(22)} ${r.perSec.toFixed(0).padStart(8)} ops/s   p50 ${r.p50.toFixed(2).padStart(7)} ms   p99 ${r.p99.toFixed(2).padStart(7)} ms`);
  row('queue join', joins);
  row('queue status poll', polls);
  row('redis ZADD (baseline)', zadd);
  row('redis ZRANK (baseline)', zrank);
  console.log(`join / ZADD = ${((joins.perSec / zadd.perSec) * 100).toFixed(0)}%, poll / ZRANK = ${((polls.perSec / zrank.perSec) * 100).toFixed(0)}%`);

  await queue.service.flush();
  let cursor = '0';
  do {
    const [nextCursor, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = nextCursor;
    // Keys from SCAN carry the prefix; ioredis adds it again on DEL, so strip it.
    if (keys.length) await redis.del(...keys.map((k) => k.slice(prefix.length)));
  } while (cursor !== '0');
  redis.disconnect();
  await database.close();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
