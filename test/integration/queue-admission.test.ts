import { eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Metrics } from '../../src/platform/observability/metrics.js';
import { CatalogRepository } from '../../src/catalog/index.js';
import { schedules } from '../../src/catalog/schema.js';
import { users } from '../../src/identity/schema.js';
import { createRedis, redisEndpointOf } from '../../src/platform/redis.js';
import { QueueDriver } from '../../src/queue/driver.js';
import { OutboxQueueEvents } from '../../src/queue/events.js';
import { QueueMetrics } from '../../src/queue/metrics.js';
import { RedisQueueStore } from '../../src/queue/redis-store.js';
import { QueueService } from '../../src/queue/service.js';
import { queueSettings } from '../../src/queue/schema.js';
import { MysqlQueueSettings } from '../../src/queue/settings.js';
import { QueueTokenSigner } from '../../src/queue/tokens.js';
import { queueDefaults } from '../../src/queue/wiring.js';
import { createTestContext, eventually, type TestContext } from '../support/harness.js';
import { checkInvariants } from '../support/invariants.js';
import { kill9, startQueueProcess } from '../support/worker-process.js';

/**
 * Admission rules on real Redis and MySQL. Each "process" is a queue service with its own Redis
 * connection and periodic driver, as every API process has; short times keep the file quick.
 */
describe('waiting room admission', () => {
  let ctx: TestContext;
  const processes: Array<{ close(): Promise<void> }> = [];

  beforeAll(async () => {
    // Joiners here never poll: on a busy machine a rush can take longer than the usual grace, and
    // every join's script run would drop the silent early ones.
    ctx = await createTestContext({ worker: false, env: { QUEUE_ENFORCED: 'true', QUEUE_WAITER_GRACE_SECONDS: '3600' } });
    // The in-process API's own driver uses the default (long) times: this file drives the queue itself.
    ctx.services.queue.stop();
  });
  // Every process of one deployment shares the same times: close each test's processes after it.
  afterEach(async () => {
    for (const p of processes.splice(0)) await p.close();
  });
  afterAll(async () => {
    await ctx?.close();
  });

  const signer = () => new QueueTokenSigner(ctx.config.JWT_SECRET, true);
  const startProcess = (o: { activeTtlMs?: number; graceMs?: number; tickMs?: number } = {}) => {
    const redis = createRedis(redisEndpointOf(ctx.config), ctx.config.REDIS_PREFIX);
    const store = new RedisQueueStore(redis, { activeTtlMs: o.activeTtlMs ?? 60_000, graceMs: o.graceMs ?? 60_000 });
    const service = new QueueService({
      store,
      // Pinned values: this file tests the waiting room's mechanics, not the controller.
      settings: new MysqlQueueSettings(ctx.db, new CatalogRepository(ctx.db), { ...queueDefaults(ctx.config), mode: 'manual', maxActive: 500, admitRatePerSec: 50 }, 0),
      signer: signer(),
      events: new OutboxQueueEvents(ctx.db),
      metrics: new QueueMetrics(new Metrics('queue-test', false)),
      activeTtlSeconds: Math.max(1, (o.activeTtlMs ?? 60_000) / 1000),
    });
    const driver = new QueueDriver(service, store, { intervalMs: o.tickMs ?? 100, isClosed: () => redis.status === 'end' });
    if (o.tickMs !== 0) driver.start();
    let closed = false;
    const p = {
      redis,
      store,
      service,
      /** Stops the process in order (driver, event writes, connection); the kill test SIGKILLs a child instead. */
      async close() {
        if (closed) return;
        closed = true;
        driver.stop();
        await service.flush();
        const ended = new Promise((r) => redis.once('end', r));
        redis.disconnect();
        await ended;
      },
    };
    processes.push(p);
    return p;
  };
  const scheduleWith = async (maxActive: number, admitRate: number, opensInMs?: number) => {
    const { scheduleId } = await ctx.createSchedule({ rows: 1, seatsPerRow: 2 });
    await ctx.db.insert(queueSettings).values({ scheduleId, mode: 'manual', maxActive, admitRatePerSec: admitRate });
    if (opensInMs !== undefined) await ctx.db.update(schedules).set({ saleOpensAt: new Date(Date.now() + opensInMs) }).where(eq(schedules.id, scheduleId));
    return scheduleId;
  };
  const zcard = (scheduleId: number, name: string) => ctx.redis.zcard(`q:{${scheduleId}}:${name}`);
  const admittedEvents = async (scheduleId: number) =>
    ((await ctx.pool.query(`SELECT user_id, occurred_at FROM domain_events WHERE type = 'QueueTokenAdmitted' AND JSON_VALUE(payload, '$.scheduleId') = ? ORDER BY occurred_at, position`, [scheduleId]))[0] as Array<{ user_id: number; occurred_at: Date }>);

  it('is first come, first served after opening', async () => {
    const p = startProcess({ tickMs: 0 });
    const sid = await scheduleWith(1, 1000);
    const views: Awaited<ReturnType<QueueService['join']>>[] = [];
    for (let u = 1; u <= 25; u++) views.push(await p.service.join(u, sid));
    expect(views[0]!.status).toBe('ACTIVE');
    expect(views.slice(1).map((v) => v.position)).toEqual(Array.from({ length: 24 }, (_, i) => i + 1));
    // Each completion admits exactly the next joiner.
    for (let u = 1; u < 25; u++) {
      await p.service.complete(u, sid);
      expect((await p.service.status(u + 1, views[u]!.token)).status).toBe('ACTIVE');
      if (u + 2 <= 25) expect((await p.service.status(u + 2, views[u + 1]!.token)).position).toBe(1);
    }
  });

  it('respects the cap under 2,000 concurrent joiners, and frees exactly the completed places', async () => {
    const p = startProcess({ tickMs: 50, graceMs: 3_600_000 });
    const sid = await scheduleWith(50, 100_000);
    // 2,000 real user rows in one insert (signing up each would spend the run hashing passwords).
    const ids = Array.from({ length: 2000 }, (_, i) => 100_000 + i);
    await ctx.identityDb.insert(users).values(ids.map((id) => ({ id, emailCipher: 'x', emailIndex: `bulk-${id}`.padEnd(64, '0'), name: `Joiner ${id}`, passwordHash: 'x' })));
    const tokens = await Promise.all(ids.map((id) => ctx.services.tokens.issue({ id, role: 'USER', tokenVersion: 0 })));
    let maxSeen = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        maxSeen = Math.max(maxSeen, await zcard(sid, 'active'));
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    // Each joiner is a client that honours Retry-After: a busy machine may answer a join 503 at the
    // request deadline (the join may still have gone through) or shed it before any work; either way
    // the retry must find the joiner's one place. The first answers are all decided at once.
    const refused: Array<{ status: number; retryAfter: string | null }> = [];
    const join = async (accessToken: string) => {
      for (let attempt = 1; ; attempt++) {
        const a = await ctx.request('POST', '/api/v1/queue/tokens', { token: accessToken, body: { scheduleId: sid } });
        // Bounded: a join that never gets through fails the test (as its body) instead of hanging it.
        if (a.status !== 503 || attempt === 12) return a;
        refused.push({ status: a.status, retryAfter: a.headers.get('retry-after') });
        // Retry-After, backing off and spread as real clients do: 2,000 clients retrying in step
        // would be a new spike every few seconds, on the very CPU the joins under way need.
        const backoff = Math.min(2 ** (attempt - 1), 16) * (1 + Math.random());
        await new Promise((r) => setTimeout(r, 1000 * Number(a.headers.get('retry-after')) * backoff));
      }
    };
    const answers = await Promise.all(tokens.map((t) => join(t.accessToken)));
    sampling = false;
    await sampler;
    if (refused.length > 0) console.log(`[2,000 joiners] ${refused.length} answers 503 before the retry that joined`);
    expect(refused.filter((r) => !/^[1-9]\d*$/.test(r.retryAfter ?? ''))).toEqual([]);
    expect(answers.filter((a) => a.status !== 200).map((a) => a.body)).toEqual([]);
    // One place each, whatever the retries: 2,000 distinct tokens, 2,000 entries in Redis.
    expect(new Set(answers.map((a) => a.body.token)).size).toBe(2000);
    expect((await zcard(sid, 'active')) + (await zcard(sid, 'wait'))).toBe(2000);
    expect(answers.filter((a) => a.body.status === 'ACTIVE')).toHaveLength(50);
    const positions = answers.filter((a) => a.body.status === 'WAITING').map((a) => a.body.position as number);
    expect(positions.sort((a, b) => a - b)).toEqual(Array.from({ length: 1950 }, (_, i) => i + 1));
    expect(maxSeen).toBeLessThanOrEqual(50);
    expect(await zcard(sid, 'active')).toBe(50);

    const active = answers.map((a, i) => ({ a, id: 100_000 + i })).filter((x) => x.a.body.status === 'ACTIVE');
    for (const x of active.slice(0, 10)) await p.service.complete(x.id, sid);
    const firstTen = answers.map((a, i) => ({ a, id: 100_000 + i })).filter((x) => x.a.body.position !== null && x.a.body.position <= 10);
    for (const x of firstTen) expect((await p.service.status(x.id, x.a.body.token)).status).toBe('ACTIVE');
    expect(await zcard(sid, 'active')).toBe(50);
    expect(await zcard(sid, 'wait')).toBe(1940);
  });

  it('respects the admission rate under 2,000 concurrent joiners (any sliding second)', async () => {
    const p = startProcess({ tickMs: 20 });
    const rate = 20;
    const sid = await scheduleWith(100_000, rate);
    const started = Date.now();
    const views = await Promise.all(Array.from({ length: 2000 }, (_, i) => p.service.join(200_000 + i, sid)));
    expect(views.filter((v) => v.status === 'ACTIVE').length).toBeLessThanOrEqual(rate);
    // However slowly the machine runs the driver, wait for three seconds' worth of admissions.
    await eventually(async () => (await zcard(sid, 'active')) >= 3 * rate, 60_000, 50);
    await p.close();
    const elapsedS = (Date.now() - started) / 1000;
    const times = (await admittedEvents(sid)).map((e) => e.occurred_at.getTime());
    expect(times.length).toBeGreaterThanOrEqual(3 * rate);
    expect(times.length).toBeLessThanOrEqual(Math.ceil(elapsedS + 1) * rate);
    let worst = 0;
    for (let i = 0, j = 0; i < times.length; i++) {
      while (times[i]! - times[j]! >= 1000) j++;
      worst = Math.max(worst, i - j + 1);
    }
    expect(worst).toBeLessThanOrEqual(rate);
    expect(await checkInvariants(ctx.pool, { atLeast: { events: 1 } })).toEqual([]);
  });

  it('shuffles the pre-queue at opening, then serves later joiners after it', async () => {
    const p = startProcess({ tickMs: 50 });
    // The sale opens when the test says so, not 1.5 s after a clock it does not control: on a busy
    // machine (or a Redis Cluster) 40 joins can take longer than any fixed lead time.
    const sid = await scheduleWith(1, 1000, 3_600_000);
    const users = Array.from({ length: 40 }, (_, i) => 300_000 + i);
    const views: Awaited<ReturnType<QueueService['join']>>[] = [];
    for (const u of users) views.push(await p.service.join(u, sid));
    expect(views.every((v) => v.status === 'WAITING' && v.position === null && v.opensAt !== null)).toBe(true);
    // Open it now (the settings are read uncached here, so the next tick sees the new time).
    await ctx.db.update(schedules).set({ saleOpensAt: new Date(Date.now() - 1000) }).where(eq(schedules.id, sid));
    await eventually(async () => (await zcard(sid, 'pre')) === 0, 5000, 50);
    const late = await p.service.join(399_999, sid);
    const after = await Promise.all(users.map((u, i) => p.service.status(u, views[i]!.token)));
    const active = after.filter((v) => v.status === 'ACTIVE');
    expect(active).toHaveLength(1);
    const order = after.map((v) => (v.status === 'ACTIVE' ? 0 : v.position!));
    // A permutation of the places 0 (admitted) .. 39 ...
    expect([...order].sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    // ... that is not the join order (probability 1/40! that a fair draw gives it).
    expect(order).not.toEqual(Array.from({ length: 40 }, (_, i) => i));
    expect(late.position).toBe(40);
  });

  it('expired active tokens free their places for the next waiters', async () => {
    startProcess({ activeTtlMs: 500, tickMs: 50 });
    const p = startProcess({ activeTtlMs: 500, tickMs: 0 });
    const sid = await scheduleWith(2, 1000);
    const views: Awaited<ReturnType<QueueService['join']>>[] = [];
    for (let u = 1; u <= 4; u++) views.push(await p.service.join(400_000 + u, sid));
    expect(views.map((v) => v.status)).toEqual(['ACTIVE', 'ACTIVE', 'WAITING', 'WAITING']);
    // The two places expire on their own clocks (the joins were apart), so the driver may admit the
    // two waiters in different ticks: wait for each, not for one and then read the other at once.
    await eventually(async () => (await p.service.status(400_003, views[2]!.token)).status === 'ACTIVE', 10_000, 50);
    await eventually(async () => (await p.service.status(400_004, views[3]!.token)).status === 'ACTIVE', 10_000, 50);
    const first = await p.service.status(400_001, views[0]!.token);
    expect([first.status, first.reason]).toEqual(['EXPIRED', 'EXPIRED']);
    await expect(p.service.check(views[0]!.token, 400_001, sid)).rejects.toMatchObject({ code: 'QUEUE_NOT_ACTIVE' });
  });

  it('drops waiters who stop polling, so the others move up', async () => {
    // No driver: every script run (the polls of c and d here) also drops the silent waiters, by
    // Redis's clock. The grace is 30 times the polling pace, so only b's silence can outlast it.
    const p = startProcess({ graceMs: 3000, tickMs: 0 });
    const sid = await scheduleWith(1, 1000);
    const [, b, c, d] = [await p.service.join(500_001, sid), await p.service.join(500_002, sid), await p.service.join(500_003, sid), await p.service.join(500_004, sid)];
    expect([b.position, c.position, d.position]).toEqual([1, 2, 3]);
    // c and d keep polling; b goes silent, until the room has dropped b (read in Redis, not by polling b).
    await eventually(async () => {
      await p.service.status(500_003, c.token);
      await p.service.status(500_004, d.token);
      return (await ctx.redis.zscore(`q:{${sid}}:wait`, '500002')) === null;
    }, 60_000, 100);
    const gone = await p.service.status(500_002, b.token);
    expect([gone.status, gone.reason]).toEqual(['EXPIRED', 'DROPPED']);
    expect((await p.service.status(500_003, c.token)).position).toBe(1);
    expect((await p.service.status(500_004, d.token)).position).toBe(2);
    // The dropped user may join again, at the back.
    const back = await p.service.join(500_002, sid);
    expect([back.position, back.token === b.token]).toEqual([3, false]);
  });

  it('keeps admitting after one of two processes is SIGKILLed', async () => {
    // One process is a real child process (its driver ticking every 100 ms), killed with SIGKILL:
    // no drain, no flush. The survivor, in this process, must move the queue on its own.
    const child = await startQueueProcess(ctx.config, { QUEUE_TICK_MS: '100', QUEUE_ACTIVE_TTL_SECONDS: '1', QUEUE_ADMISSION_MODE: 'manual' });
    const p2 = startProcess({ activeTtlMs: 1000, tickMs: 0 });
    const sid = await scheduleWith(2, 1000);
    const views: Awaited<ReturnType<QueueService['join']>>[] = [];
    for (let u = 1; u <= 10; u++) views.push(await p2.service.join(600_000 + u, sid));
    // The child is really at work on this schedule before it dies: it admitted past the first two.
    await eventually(async () => (await admittedEvents(sid)).length > 2 || (await zcard(sid, 'wait')) < 8, 60_000, 50);
    await kill9(child.child);
    expect(child.child.signalCode).toBe('SIGKILL');
    const waitingAtKill = await zcard(sid, 'wait');
    expect(waitingAtKill).toBeGreaterThan(0);
    // Nobody polls: only the survivor's driver (started now) moves the queue.
    const driver = new QueueDriver(p2.service, p2.store, { intervalMs: 100, isClosed: () => p2.redis.status === 'end' });
    driver.start();
    try {
      await eventually(async () => (await zcard(sid, 'wait')) === 0 && (await zcard(sid, 'active')) === 0, 60_000, 100);
    } finally {
      driver.stop();
    }
    await p2.service.flush();
    // Every one of the ten was admitted and then ran out its active time, as Redis decided. (An event
    // of the child's last tick may die with it: it is written after the Redis step.)
    const ends = await Promise.all(views.map((v, i) => p2.service.status(600_001 + i, v.token)));
    expect(ends.map((v) => `${v.status}/${v.reason}`)).toEqual(Array(10).fill('EXPIRED/EXPIRED'));
    const admitted = new Set((await admittedEvents(sid)).map((e) => Number(e.user_id)));
    expect(admitted.size).toBeGreaterThanOrEqual(waitingAtKill);
    expect(await checkInvariants(ctx.pool, { atLeast: { events: 1 } })).toEqual([]);
  });
});
