import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { JoinShedder, SHED_RETRY_AFTER_SECONDS } from '../../src/queue/join-shedding.js';
import { spreadWaitMs } from '../../src/queue/routes.js';

/** A join route behind the shedder whose joins wait on a gate: they stay "in flight" until released. */
function gatedJoins(shedder: JoinShedder) {
  let started = 0;
  let release!: () => void;
  let gate = new Promise<void>((r) => (release = r));
  const app = new Hono();
  app.use('/queue/tokens', shedder.middleware);
  app.post('/queue/tokens', async (c) => {
    started += 1;
    await gate;
    return c.json({ joined: true });
  });
  return {
    join: () => app.request('/queue/tokens', { method: 'POST' }),
    started: () => started,
    release: () => {
      release();
      gate = new Promise<void>((r) => (release = r));
    },
  };
}

describe('join shedding', () => {
  it('takes joins up to the hard cap; beyond it answers 503 + Retry-After without running the join', async () => {
    const shedder = new JoinShedder({ maxInFlight: 3 });
    const joins = gatedJoins(shedder);
    const first = Array.from({ length: 3 }, () => joins.join());
    const shed = await joins.join();
    expect([shed.status, shed.headers.get('retry-after'), shed.headers.get('content-type')]).toEqual([503, String(SHED_RETRY_AFTER_SECONDS), 'application/problem+json']);
    expect(((await shed.json()) as { code: string }).code).toBe('SERVICE_UNAVAILABLE');
    expect([joins.started(), shedder.shed]).toEqual([3, 1]);
    joins.release();
    expect((await Promise.all(first)).map((r) => r.status)).toEqual([200, 200, 200]);
    // The places freed, the next join is taken again.
    const next = joins.join();
    joins.release();
    expect((await next).status).toBe(200);
  });

  it('sheds at entry when the joins ahead would not be done within the deadline at the measured completion rate', async () => {
    let now = 1_000_000;
    const shedder = new JoinShedder({ maxInFlight: 100_000, withinMs: 10_000, now: () => now });
    const joins = gatedJoins(shedder);
    // The process completes 10 joins in the first second: 10 joins a second.
    for (let i = 0; i < 10; i++) {
      const j = joins.join();
      joins.release();
      await j;
      now += 100;
    }
    // 100 joins under way at 10 a second: the 101st would start 10 s from now, just within the deadline.
    const ahead = Array.from({ length: 100 }, () => joins.join());
    expect(shedder.inFlight).toBe(100);
    expect(shedder.expectedWaitSeconds()).toBeCloseTo(10, 5);
    const taken = joins.join();
    expect(shedder.inFlight).toBe(101);
    // One more would wait 10.1 s: shed before any work, told to come back when the backlog is gone.
    const shed = await joins.join();
    expect([shed.status, shed.headers.get('retry-after')]).toEqual([503, '11']);
    expect([joins.started(), shedder.shed]).toEqual([10 + 101, 1]);
    joins.release();
    expect(new Set((await Promise.all([...ahead, taken])).map((r) => r.status))).toEqual(new Set([200]));
    expect(shedder.inFlight).toBe(0);
  });

  it('with no join completed lately, sheds once the oldest join under way has run longer than the deadline (a hung Redis)', async () => {
    let now = 5_000_000;
    const shedder = new JoinShedder({ maxInFlight: 100_000, withinMs: 10_000, now: () => now });
    const joins = gatedJoins(shedder);
    // A spike into a fresh process: nothing measured yet, so everything is taken.
    const first = Array.from({ length: 50 }, () => joins.join());
    now += 9_000;
    const stillTaken = joins.join();
    now += 2_000;
    const shed = await joins.join();
    expect([shed.status, shed.headers.get('retry-after')]).toEqual([503, '11']);
    expect(joins.started()).toBe(51);
    joins.release();
    expect(new Set((await Promise.all([...first, stillTaken])).map((r) => r.status))).toEqual(new Set([200]));
  });

  it('a fresh process assumes the rate floor until it has measured a whole window, then trusts its measurement', async () => {
    let now = 9_000_000;
    const shedder = new JoinShedder({ maxInFlight: 100_000, withinMs: 10_000, rateFloorPerSecond: 100, now: () => now });
    const joins = gatedJoins(shedder);
    // Warming up under a spike: 5 joins done in its first second, 500 under way. Measured, that is
    // 5 a second and 100 s of backlog; at the floor's 100 a second it is 5 s, within the deadline.
    for (let i = 0; i < 5; i++) {
      const j = joins.join();
      joins.release();
      await j;
    }
    now += 1_000;
    const ahead = Array.from({ length: 500 }, () => joins.join());
    expect(shedder.expectedWaitSeconds()).toBeCloseTo(5, 5);
    expect(shedder.decide()).toBeUndefined();
    // After a whole window the measured rate (5 joins over 5 s) decides: the same backlog is shed.
    now += 4_000;
    expect(shedder.expectedWaitSeconds()).toBeGreaterThan(100);
    const shed = await joins.join();
    expect([shed.status, shed.headers.get('retry-after')]).toEqual([503, '60']);
    joins.release();
    await Promise.all(ahead);
    // Without a floor the warm-up measurement alone decides, and the join is shed at once.
    const bare = new JoinShedder({ maxInFlight: 100_000, withinMs: 10_000, now: () => now });
    const bareJoins = gatedJoins(bare);
    const one = bareJoins.join();
    bareJoins.release();
    await one;
    now += 1_000;
    const waiting = Array.from({ length: 500 }, () => bareJoins.join());
    expect((await bareJoins.join()).status).toBe(503);
    bareJoins.release();
    await Promise.all(waiting);
  });

  it('a spike into a process that was quiet for a whole window: the rate of its busy spell decides, not the idle seconds', async () => {
    let now = 20_000_000;
    const shedder = new JoinShedder({ maxInFlight: 100_000, withinMs: 10_000, now: () => now });
    const joins = gatedJoins(shedder);
    const one = joins.join();
    joins.release();
    await one;
    now += 10_000;
    // The spike: 1,000 joins done within its first second, while 5,000 more arrived behind them.
    const first = Array.from({ length: 1000 }, () => joins.join());
    now += 1_000;
    joins.release();
    const ahead = Array.from({ length: 5000 }, () => joins.join());
    await Promise.all(first);
    // Over the 5 s window that is 200 a second and 25 s of backlog, so the next join would be shed.
    // Busy, the process did 1,000 in 1 s: 5 s of backlog, within the deadline, so it is taken.
    expect(shedder.expectedWaitSeconds()).toBeCloseTo(5, 5);
    expect(shedder.decide()).toBeUndefined();
    joins.release();
    await Promise.all(ahead);
    expect(shedder.shed).toBe(0);
  });
});

describe('long poll spread', () => {
  it('waits 80 to 100 % of what was asked', () => {
    expect([spreadWaitMs(25, 0), spreadWaitMs(25, 0.5), spreadWaitMs(25, 0.999999)]).toEqual([20_000, 22_500, 25_000]);
  });
});
