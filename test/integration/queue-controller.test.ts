import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, eventually, type TestContext } from '../support/harness.js';
import { checkInvariants } from '../support/invariants.js';
import { kill9, startQueueProcess } from '../support/worker-process.js';

/**
 * What the admission controller decides, from inputs the test controls. The latency it judges by is
 * fed straight through its port (AdmissionStore.record, where every API process records each hold
 * and payment), so a busy machine cannot blur the phases: 4 s answers (twice the 2 s target) must
 * cut admission to its minimum, 50 ms answers must climb it to its maximum, never leaving the
 * bounds. The controllers run in two real child processes; the first leader is SIGKILLed and the
 * other must take over from the state in Redis, one leader at a time. One real hold through the API
 * shows that the booking path records into the same port.
 */
describe('admission controller', () => {
  let ctx: TestContext;
  const bounds = { minAdmitRate: 2, maxAdmitRate: 24, targetP99Ms: 2000 };
  // Waiters never poll here: they must not be dropped while the controller is being watched.
  const env = { QUEUE_ENFORCED: 'true', QUEUE_AUTO_START_RATE: '10', QUEUE_TICK_MS: '100', QUEUE_WAITER_GRACE_SECONDS: '3600' };
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    ctx = await createTestContext({ env });
    // This file runs its own controller processes.
    ctx.services.queue.controller.stop();
  });
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await ctx?.close();
  });

  /** Another API process's queue work (driver and controller), in a child process of its own. */
  const controllerProcess = async () => {
    const p = await startQueueProcess(ctx.config, { ...env, QUEUE_CONTROL_INTERVAL_MS: '250', QUEUE_CONTROL_WINDOW_SECONDS: '3' });
    children.push(p.child);
    return p;
  };

  it('cuts admission while answers are slow, climbs when they are fast, stays in bounds, one leader at a time', async () => {
    const admin = await ctx.createUser({ role: 'ADMIN' });
    const { scheduleId, seatIds } = await ctx.createSchedule({ rows: 10, seatsPerRow: 50 });
    const put = await ctx.request('PUT', `/api/v1/admin/schedules/${scheduleId}/queue`, { token: admin.token, body: { mode: 'auto', maxActive: 300, ...bounds } });
    expect(put.body).toMatchObject({ mode: 'auto', auto: { ...bounds, maxActiveCeiling: 300 } });

    // The booking path records into the controller's port: one real hold by an admitted buyer.
    const buyer = await ctx.createUser({ balance: 100_000 });
    const joined = await ctx.request('POST', '/api/v1/queue/tokens', { token: buyer.token, body: { scheduleId } });
    expect(joined.body.status).toBe('ACTIVE');
    // (A busy machine may answer 503 at the deadline: the same request again, bounded, as a client
    // would; while the first attempt is still running, its key answers 409 IDEMPOTENCY_IN_PROGRESS.)
    const hold = await eventually(async () => {
      const r = await ctx.request('POST', '/api/v1/reservations', { token: buyer.token, headers: { 'x-queue-token': joined.body.token, 'idempotency-key': `ctl-hold-${ctx.id}` }, body: { scheduleId, seatIds: [seatIds[0]] } });
      return r.status !== 503 && r.body?.code !== 'IDEMPOTENCY_IN_PROGRESS' && r;
    }, 120_000, 1000);
    expect(hold.status, JSON.stringify(hold.body)).toBe(201);
    await ctx.services.queue.admission.flush();
    const nowSec = Math.floor(Date.now() / 1000);
    expect((await ctx.services.queue.admission.window(scheduleId, nowSec - 60, nowSec)).samples).toBeGreaterThanOrEqual(1);

    // 600 buyers waiting, so that a fast path is a reason to admit faster.
    for (let i = 0; i < 600; i++) await ctx.services.queue.service.join(200_000 + i, scheduleId);

    // The latency every API process would record: 10 hold answers of `answerMs` every 100 ms.
    let answerMs = 4000;
    const feeder = setInterval(() => {
      for (let i = 0; i < 10; i++) ctx.services.queue.admission.record(scheduleId, 'hold', answerMs, false);
    }, 100);
    const a = await controllerProcess();
    const b = await controllerProcess();
    // One read of the controller's state per check: the next decision may already have replaced it.
    const atRate = (rate: number) =>
      eventually(
        async () => {
          const state = await ctx.services.queue.admission.state(scheduleId);
          return state.admitRatePerSec === rate ? state : undefined;
        },
        120_000,
        100,
      );
    let secondLeader: string | undefined;
    try {
      // Slow answers: the rate falls to its minimum and no lower.
      const cut = await atRate(bounds.minAdmitRate);
      const first = cut.leader === a.owner ? a : b;
      const second = first === a ? b : a;
      expect([a.owner, b.owner]).toContain(cut.leader);

      // The leader is SIGKILLed (no lease handed over); the other process must take over.
      await kill9(first.child);
      expect(first.child.signalCode).toBe('SIGKILL');
      await eventually(async () => (await ctx.services.queue.admission.state(scheduleId)).leader === second.owner, 120_000, 100);
      secondLeader = second.owner;

      // Fast answers: it climbs to its maximum and no higher, decided by the survivor.
      answerMs = 50;
      const top = await atRate(bounds.maxAdmitRate);
      expect(top.leader).toBe(secondLeader);
    } finally {
      clearInterval(feeder);
      for (const c of children) if (c.exitCode === null && c.signalCode === null) await kill9(c);
    }

    // What the controller decided, in order: one chain, each change starting where the last ended
    // (two processes deciding at once would fork it), all within the bounds.
    // The decision reaches Redis first and its event the outbox right after: read the log once it
    // holds the climb back to the maximum that Redis already showed.
    const decided = async () => {
      const [rows] = (await ctx.pool.query(`SELECT payload FROM domain_events WHERE type = 'QueueAdmissionAdjusted' AND aggregate_id = ? ORDER BY sequence`, [`schedule-${scheduleId}`])) as [
        Array<{ payload: string | Record<string, number> }>,
        unknown,
      ];
      return rows.map((r) => (typeof r.payload === 'string' ? JSON.parse(r.payload) : r.payload)) as any[];
    };
    const changes = await eventually(
      async () => {
        const all = await decided();
        const rateOf = all.map((c) => c.admitRatePerSec);
        const low = rateOf.indexOf(bounds.minAdmitRate);
        return low >= 0 && rateOf.indexOf(bounds.maxAdmitRate, low) > low ? all : undefined;
      },
      60_000,
      200,
    );
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
    expect(changes[down].reason).toMatch(/p99 \d+ ms above the 2000 ms target/);
    expect(changes[up].reason).toMatch(/under the 2000 ms target/);
    console.log(`[controller] rates decided: ${rates.join(' ')}`);

    // Admins see the same: mode, values in force, what was measured (the fed answers) and why.
    const view = await ctx.request('GET', `/api/v1/admin/schedules/${scheduleId}/queue`, { token: admin.token });
    expect(view.body).toMatchObject({ mode: 'auto', admitRatePerSec: bounds.maxAdmitRate });
    expect(view.body.controller.lastReason).toMatch(/under the 2000 ms target|maximum/);
    expect(view.body.controller.samples).toBeGreaterThanOrEqual(5);
    expect(view.body.controller.holdP99Ms).toBeLessThan(bounds.targetP99Ms);
    expect(await checkInvariants(ctx.pool, { atLeast: { events: 5 } })).toEqual([]);
  }, 300_000);
});
