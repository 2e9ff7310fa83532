import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { users } from '../../src/identity/schema.js';
import { Metrics } from '../../src/platform/observability/metrics.js';
import { createRedis } from '../../src/platform/redis.js';
import { buildQueue, type Queue } from '../../src/queue/wiring.js';
import { createTestContext, eventually, type TestContext } from '../support/harness.js';
import { checkInvariants } from '../support/invariants.js';

/**
 * The admission controller on the real booking path. Buyers are admitted from the waiting room,
 * hold a seat through the API (Temporal, MySQL) and cancel it. The hold is slowed on purpose for a
 * while: the controller must cut admission to its minimum, then climb to its maximum once the path
 * is fast again, never leaving its bounds; two controller processes must never decide at once.
 * Latencies are far from the target on purpose (4 s slow vs a 2 s target) so a busy machine
 * cannot blur the two phases.
 */
describe('admission controller', () => {
  let ctx: TestContext;
  let slowMs = 0;
  const bounds = { minAdmitRate: 2, maxAdmitRate: 24, targetP99Ms: 2000 };

  beforeAll(async () => {
    ctx = await createTestContext({
      env: { QUEUE_ENFORCED: 'true', QUEUE_AUTO_START_RATE: '10', QUEUE_TICK_MS: '100' },
      overrideActivities: (a) => ({
        holdSeats: async (input) => {
          if (slowMs > 0) await sleep(slowMs);
          return a.holdSeats(input);
        },
      }),
    });
    // This file runs its own controller processes.
    ctx.services.queue.controller.stop();
  });
  afterAll(async () => {
    await ctx?.close();
  });

  /** Another API process's controller: own Redis connection, own lease owner id. */
  const controllerProcess = () => {
    const redis = createRedis(ctx.config.REDIS_URL, ctx.config.REDIS_PREFIX);
    const config = { ...ctx.config, QUEUE_CONTROL_INTERVAL_MS: 250, QUEUE_CONTROL_WINDOW_SECONDS: 3 };
    const queue: Queue = buildQueue({ config, db: ctx.db, redis, metrics: new Metrics('controller-test', false) });
    queue.controller.start();
    return {
      queue,
      async kill() {
        // Like a process dying between rounds: what it decided is in Redis and in the event log.
        await queue.controller.stopped();
        queue.stop();
        redis.disconnect();
      },
    };
  };

  it('cuts admission while the path is slow, climbs when it recovers, stays in bounds, one leader at a time', async () => {
    const admin = await ctx.createUser({ role: 'ADMIN' });
    const { scheduleId, seatIds } = await ctx.createSchedule({ rows: 10, seatsPerRow: 50 });
    const put = await ctx.request('PUT', `/api/v1/admin/schedules/${scheduleId}/queue`, { token: admin.token, body: { mode: 'auto', maxActive: 300, ...bounds } });
    expect(put.body).toMatchObject({ mode: 'auto', auto: { ...bounds, maxActiveCeiling: 300 } });

    // 600 buyers in the waiting room (rows written at once: hashing 600 passwords is not the point here).
    const ids = Array.from({ length: 600 }, (_, i) => 200_000 + i);
    await ctx.db.insert(users).values(ids.map((id) => ({ id, emailCipher: 'x', emailIndex: `ctl-${id}`.padEnd(64, '0'), name: `Buyer ${id}`, passwordHash: 'x' })));
    const buyers = new Map<number, { access: string; queue: string }>();
    for (const id of ids) {
      const access = (await ctx.services.tokens.issue({ id, role: 'USER', tokenVersion: 0 })).accessToken;
      const joined = await ctx.request('POST', '/api/v1/queue/tokens', { token: access, body: { scheduleId } });
      buyers.set(id, { access, queue: joined.body.token });
    }

    // Each admitted buyer holds one free seat and cancels it, through the API.
    let running = true;
    const started = new Set<number>();
    const freeSeats = [...seatIds];
    const outcomes = new Map<number, number>();
    const inFlight = new Set<Promise<void>>();
    const buy = async (id: number) => {
      const b = buyers.get(id)!;
      const seat = freeSeats.shift();
      if (seat === undefined) return;
      const hold = await ctx.request('POST', '/api/v1/reservations', { token: b.access, headers: { 'x-queue-token': b.queue }, body: { scheduleId, seatIds: [seat] } });
      outcomes.set(hold.status, (outcomes.get(hold.status) ?? 0) + 1);
      if (hold.status === 201) await ctx.request('DELETE', `/api/v1/reservations/${hold.body.id}`, { token: b.access });
      freeSeats.push(seat);
    };
    const shopper = (async () => {
      while (running) {
        for (const u of await ctx.redis.zrange(`q:{${scheduleId}}:active`, 0, -1)) {
          const id = Number(u);
          if (started.has(id)) continue;
          started.add(id);
          const p = buy(id).finally(() => inFlight.delete(p));
          inFlight.add(p);
        }
        await sleep(50);
      }
    })();

    const a = controllerProcess();
    const b = controllerProcess();
    // One read of the controller's state per check: the next decision may already have replaced it.
    const atRate = (rate: number) =>
      eventually(
        async () => {
          const state = await ctx.services.queue.admission.state(scheduleId);
          return state.admitRatePerSec === rate ? state : undefined;
        },
        90_000,
        200,
      );
    try {
      // Slow path: the rate falls to its minimum and no lower.
      slowMs = 4000;
      const cut = await atRate(bounds.minAdmitRate);
      const firstLeader = cut.leader;
      expect([a.queue.controller.owner, b.queue.controller.owner]).toContain(firstLeader);

      // Fast path again: it climbs to its maximum and no higher. The leader dies on the way up;
      // the other process takes over from the state in Redis.
      slowMs = 0;
      await eventually(async () => ((await ctx.services.queue.admission.state(scheduleId)).admitRatePerSec! >= bounds.minAdmitRate + 6 ? true : undefined), 90_000, 200);
      await (firstLeader === a.queue.controller.owner ? a : b).kill();
      const top = await atRate(bounds.maxAdmitRate);
      expect(top.leader).not.toBe(firstLeader);
    } finally {
      running = false;
      await shopper;
      await Promise.allSettled([...inFlight]);
      await a.kill();
      await b.kill();
    }

    // What the controller decided, in order: one chain, each change starting where the last ended
    // (two processes deciding at once would fork it), all within the bounds.
    await sleep(300);
    const [rows] = (await ctx.pool.query(`SELECT payload FROM domain_events WHERE type = 'QueueAdmissionAdjusted' AND aggregate_id = ? ORDER BY sequence`, [`schedule-${scheduleId}`])) as [
      Array<{ payload: string | Record<string, number> }>,
      unknown,
    ];
    const changes = rows.map((r) => (typeof r.payload === 'string' ? JSON.parse(r.payload) : r.payload));
    expect(changes.length).toBeGreaterThan(4);
    for (let i = 1; i < changes.length; i++) {
      expect(changes[i].previousAdmitRatePerSec).toBe(changes[i - 1].admitRatePerSec);
      expect(changes[i].previousMaxActive).toBe(changes[i - 1].maxActive);
    }
    for (const c of changes) {
      expect(c.admitRatePerSec).toBeGreaterThanOrEqual(bounds.minAdmitRate);
      expect(c.admitRatePerSec).toBeLessThanOrEqual(bounds.maxAdmitRate);
      expect(c.maxActive).toBeLessThanOrEqual(300);
    }
    const rates = changes.map((c) => c.admitRatePerSec);
    // Why it went down to the minimum, and why it went up to the maximum afterwards, as recorded.
    const down = rates.indexOf(bounds.minAdmitRate);
    const up = rates.indexOf(bounds.maxAdmitRate, down);
    expect(down).toBeGreaterThanOrEqual(0);
    expect(up).toBeGreaterThan(down);
    expect(changes[down].reason).toMatch(/above the 2000 ms target|overload/);
    expect(changes[up].reason).toMatch(/under the 2000 ms target/);
    console.log(`[controller] rates decided: ${rates.join(' ')}; hold answers: ${[...outcomes].map(([s, n]) => `${s}=${n}`).join(' ')}`);

    // Admins see the same: mode, values in force, what was measured and why.
    const view = await ctx.request('GET', `/api/v1/admin/schedules/${scheduleId}/queue`, { token: admin.token });
    expect(view.body).toMatchObject({ mode: 'auto', admitRatePerSec: rates.at(-1) });
    expect(view.body.controller.lastReason).toEqual(expect.any(String));
    expect(view.body.controller.samples).toBeGreaterThanOrEqual(0);
    expect(outcomes.get(201)).toBeGreaterThan(0);
    expect(await checkInvariants(ctx.pool, { atLeast: { events: 5 } })).toEqual([]);
  }, 300_000);
});
