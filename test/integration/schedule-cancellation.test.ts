import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, eventually, type TestContext } from '../support/harness.js';
import { checkInvariants, checkScheduleLifecycle, checkTicketLimit } from '../support/invariants.js';
import { kill9, startWorkerProcess } from '../support/worker-process.js';
import { retrying } from '../support/client-retry.js';

const USERS = 40;
const PER_USER = 25; // 1,000 reservations of one seat each
const PAID_PER_USER = 10; // 400 CONFIRMED, 600 HELD
const PRICE = 10_000;
const BALANCE = PAID_PER_USER * PRICE;

/** Runs `fn` over `items`, `n` at a time. */
async function pool<T, R>(items: T[], n: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: n }, async () => {
    for (let i = next++; i < items.length; i = next++) out[i] = await fn(items[i]!);
  }));
  return out;
}

/**
 * Issue 11 part 2: cancelling a performance with 1,000 live reservations (HELD and CONFIRMED) while
 * the worker process running the cancellation is SIGKILLed mid-way. A new worker resumes it; in
 * the end every hold is released through its own workflow, every purchase refunded, every wallet is
 * whole, no reservation workflow is left waiting, and the schedule is CANCELLED.
 */
describe('performance cancellation survives a worker kill', () => {
  let ctx: TestContext;
  const workers: ChildProcess[] = [];

  beforeAll(async () => {
    ctx = await createTestContext({
      worker: false,
      env: { HOLD_TTL_SECONDS: '1800', CANCELLATION_BATCH_SIZE: '50', CANCELLATION_BATCHES_PER_RUN: '4', MYSQL_POOL_SIZE: '40' },
    });
  });
  afterAll(async () => {
    for (const w of workers) if (w.exitCode === null && w.signalCode === null) w.kill('SIGKILL');
    await ctx?.close();
  });

  it('releases 600 holds and refunds 400 purchases, resumed after a kill -9', { timeout: 900_000 }, async () => {
    workers.push(await startWorkerProcess(ctx.config));
    const admin = await ctx.createUser({ role: 'ADMIN' });
    const { scheduleId, seatIds } = await ctx.createSchedule({ rows: 20, seatsPerRow: 55, price: PRICE });
    expect((await ctx.request('PATCH', `/api/v1/admin/schedules/${scheduleId}`, { token: admin.token, body: { maxTicketsPerUser: PER_USER } })).status).toBe(200);
    const users = await pool(Array.from({ length: USERS }, (_, i) => i), 8, () => ctx.createUser({ balance: BALANCE }));

    let t = Date.now();
    const jobs = users.flatMap((u, i) => Array.from({ length: PER_USER }, (_, k) => ({ user: u, seat: seatIds[i * PER_USER + k]!, pay: k < PAID_PER_USER })));
    const held = await pool(jobs, 16, async (job) => {
      const key = { 'idempotency-key': `hold-${ctx.id}-${job.seat}` };
      const r = await retrying(() => ctx.request('POST', '/api/v1/reservations', { token: job.user.token, body: { scheduleId, seatIds: [job.seat] }, headers: key }));
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      return { ...job, id: r.body.id as string };
    });
    const holdMs = Date.now() - t;
    t = Date.now();
    await pool(held.filter((h) => h.pay), 16, async (h) => {
      const r = await retrying(() => ctx.request('POST', `/api/v1/reservations/${h.id}/payment`, { token: h.user.token, headers: { 'idempotency-key': `pay-${ctx.id}-${h.id}` } }));
      // A retry after the payment went through may be told ALREADY_PAID instead of the replayed 200.
      expect(r.status === 200 || r.body.code === 'ALREADY_PAID', JSON.stringify(r.body)).toBe(true);
    });
    console.log(`set up 1,000 holds in ${holdMs} ms and 400 payments in ${Date.now() - t} ms`);

    // Cancel, while another buyer keeps trying to hold the seats left: each either committed before
    // the schedule turned CANCELLING (and is then cancelled too) or is refused.
    const late = await ctx.createUser({ balance: BALANCE });
    const t0 = Date.now();
    const [started, ...lateHolds] = await Promise.all([
      ctx.request('POST', `/api/v1/admin/schedules/${scheduleId}/cancellation`, { token: admin.token, body: { reason: 'venue flooded' }, headers: { 'idempotency-key': `cancel-${ctx.id}` } }),
      ...seatIds.slice(1000, 1010).map((seat) => ctx.request('POST', '/api/v1/reservations', { token: late.token, body: { scheduleId, seatIds: [seat] } })),
    ]);
    expect(started.status).toBe(202);
    for (const r of lateHolds) expect([201, 409]).toContain(r.status);
    const lateHeld = lateHolds.filter((r) => r.status === 201).map((r) => r.body.id as string);
    for (const r of lateHolds.filter((r) => r.status === 409)) expect(['PERFORMANCE_CANCELLED', 'SEAT_UNAVAILABLE']).toContain(r.body.code);

    const progress = async () => (await ctx.request('GET', `/api/v1/admin/schedules/${scheduleId}/cancellation`, { token: admin.token })).body;
    // Kill the worker in the middle of the reservations (batches of 50).
    const before = await eventually(async () => {
      const p = await progress();
      return p.processed >= 200 && p;
    }, 300_000, 50);
    await kill9(workers[0]!);
    const killedAt = Date.now();
    expect(before.processed).toBeLessThan(1000);
    console.log(`killed the worker at ${before.processed} of ${before.liveAtStart} after ${killedAt - t0} ms (run ${before.runs})`);
    // With no worker to answer the query, the progress comes from the search attributes.
    const whileDown = await progress();
    expect(whileDown).toMatchObject({ phase: 'CANCELLING_RESERVATIONS' });
    expect(whileDown.processed).toBeGreaterThanOrEqual(before.processed - 50);

    workers.push(await startWorkerProcess(ctx.config));
    const done = await eventually(async () => {
      const p = await progress();
      return p.phase === 'DONE' && p;
    }, 600_000, 500);
    console.log(`cancellation done ${Date.now() - t0} ms after it started (${Date.now() - killedAt} ms after the kill): ${JSON.stringify(done)}`);

    const total = 1000 + lateHeld.length;
    expect(done).toMatchObject({ liveAtStart: expect.any(Number), processed: total, holdsReleased: 600 + lateHeld.length, purchasesRefunded: 400, amountRefunded: 400 * PRICE });
    expect(done.runs).toBeGreaterThanOrEqual(Math.ceil(total / 50 / 4));

    const [rows] = await ctx.pool.query<any[]>(`SELECT status, COUNT(*) n FROM reservations WHERE schedule_id = ? GROUP BY status ORDER BY status`, [scheduleId]);
    expect(Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]))).toEqual({ CANCELLED: 600 + lateHeld.length, REFUNDED: 400 });
    const [wallets] = await ctx.paymentPool.query<any[]>(`SELECT user_id, balance FROM wallets WHERE user_id IN (?)`, [[...users.map((u) => u.id), late.id]]);
    expect(wallets.filter((w) => Number(w.balance) !== BALANCE)).toEqual([]);
    const [sched] = await ctx.pool.query<any[]>(`SELECT status FROM schedules WHERE id = ?`, [scheduleId]);
    expect(sched[0].status).toBe('CANCELLED');
    const [seatsLeft] = await ctx.pool.query<any[]>(`SELECT COUNT(*) n FROM seat_status WHERE schedule_id = ? AND status <> 'AVAILABLE'`, [scheduleId]);
    expect(Number(seatsLeft[0].n)).toBe(0);

    // Holds are refused from now on, and no reservation workflow of this schedule is left waiting.
    const refused = await ctx.request('POST', '/api/v1/reservations', { token: late.token, body: { scheduleId, seatIds: [seatIds[1050]] } });
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('PERFORMANCE_CANCELLED');
    await eventually(async () => {
      let running = 0;
      for await (const _ of ctx.temporal.workflow.list({ query: `TaskQueue = "${ctx.config.TEMPORAL_TASK_QUEUE}" AND ExecutionStatus = "Running"` })) running += 1;
      return running === 0;
    }, 60_000, 1000);

    expect([...(await checkInvariants(ctx.pool, { atLeast: { reservations: 1000, events: 3000 } })), ...(await checkScheduleLifecycle(ctx.pool)), ...(await checkTicketLimit(ctx.pool))]).toEqual([]);
  });
});
