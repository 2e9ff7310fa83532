import { Client, Connection } from '@temporalio/client';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reservationIdFor } from '../../src/booking/ids.js';
import { buildActivities, ensureSweeperSchedule } from '../../src/main/worker-app.js';
import { SWEEPER_SCHEDULE_ID } from '../../workflows/booking/sweeper-contract.js';
import { createTestContext, eventually, type TestContext } from '../support/harness.js';
import { recordHistory } from '../support/histories.js';
import { retrying } from '../support/client-retry.js';
import { checkInvariants } from '../support/invariants.js';
import { seatClaim } from '../support/seat-inventory.js';
import { reservationWorkflowId } from '../../workflows/booking/reservation-contract.js';

const SWEEPER_GRACE_MS = 10_000; // buildActivities' graceMs

/** Compensation after a failed confirmation, a worker restart mid-reservation, and the sweeper. */
describe('booking faults', () => {
  let ctx: TestContext;
  let failHold = false;
  /** The hold commits, then its answer is lost (MySQL killed between the commit and the reply). */
  let loseHoldAnswer = false;
  /** Payment attempts left to fail before the real one runs (MySQL down longer than a few retries). */
  let failPayments = 0;

  beforeAll(async () => {
    ctx = await createTestContext({
      env: { HOLD_TTL_SECONDS: '4' },
      // Fault injection for the hold only; confirmation and refund fail for real (MySQL refuses).
      overrideActivities: (a) => ({
        holdSeats: async (input) => {
          if (failHold) throw new Error('injected: MySQL unreachable');
          const result = await a.holdSeats(input);
          if (loseHoldAnswer) throw new Error('injected: connection lost after the commit');
          return result;
        },
      }),
      // The debit runs on payment's worker (payment's task queue and database).
      overridePaymentActivities: (a) => ({
        debitWallet: async (input) => {
          if (failPayments > 0) {
            failPayments -= 1;
            throw new Error('injected: MySQL unreachable');
          }
          return a.debitWallet(input);
        },
      }),
    });
  });
  const count = async (sql: string, params: unknown[] = []) => Number(((await ctx.pool.query(sql, params))[0] as Array<{ n: number }>)[0]!.n);
  /** The same in payment's database (payments, refunds, wallets). */
  const paymentCount = async (sql: string, params: unknown[] = []) => Number(((await ctx.paymentPool.query(sql, params))[0] as Array<{ n: number }>)[0]!.n);
  /** The sweeper activity run directly (no worker needed), with the given Temporal client. */
  const sweepWith = (client: Client) =>
    new MockActivityEnvironment().run(buildActivities({ config: ctx.config, db: ctx.db, paymentDb: ctx.paymentDb, waitlistDb: ctx.waitlistDb, redis: ctx.redis, client, metrics: ctx.workerMetrics }).sweepExpiredHolds);
  const sweptCount = async () => (await ctx.workerMetrics.registry.getSingleMetric('sweeper_released_holds_total')!.get()).values.reduce((a, v) => a + v.value, 0);
  afterAll(async () => {
    await ctx?.close();
  });

  it('refunds and releases when confirmation really fails after the debit, retrying a refund MySQL refuses', async () => {
    const user = await ctx.createUser({ balance: 30_000 });
    const { scheduleId, seatIds } = await ctx.createSchedule({ price: 10_000 });
    const held = await ctx.request('POST', '/api/v1/reservations', { token: user.token, body: { scheduleId, seatIds: [seatIds[0], seatIds[1]] } });
    expect(held.status).toBe(201);
    // A real confirmation failure: the hold lost a seat in MySQL (as an operator's manual fix would
    // do), so the real confirm activity finds one seat fewer and rejects. Then the refund fails too:
    // a trigger makes MySQL refuse the refund row until it is dropped.
    await ctx.pool.query(`UPDATE seat_status SET status = 'AVAILABLE', reservation_id = NULL, held_until = NULL, version = version + 1 WHERE seat_id = ?`, [seatIds[1]]);
    await ctx.paymentPool.query(`CREATE TRIGGER refunds_refused BEFORE INSERT ON refunds FOR EACH ROW SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'refunds refused (test)'`);
    let paid;
    try {
      const payment = ctx.request('POST', `/api/v1/reservations/${held.body.id}/payment`, { token: user.token });
      const handle = ctx.temporal.workflow.getHandle(reservationWorkflowId(held.body.id));
      // The refund activity failed at least twice and is being retried; meanwhile the money is out.
      const pending = await eventually(async () => {
        const a = (await handle.describe()).raw.pendingActivities?.find((x) => x.activityType?.name === 'refundWallet');
        return a && (a.attempt ?? 0) >= 2 ? a : undefined;
      }, 30_000);
      const causes: string[] = [];
      for (let f = pending.lastFailure; f; f = f.cause) causes.push(f.message ?? '');
      expect(causes.join(' <- ')).toContain('refunds refused (test)');
      expect(await paymentCount(`SELECT COUNT(*) n FROM refunds`)).toBe(0);
      expect((await ctx.request('GET', '/api/v1/wallet', { token: user.token })).body.balance).toBe(10_000);
      await ctx.paymentPool.query(`DROP TRIGGER refunds_refused`);
      paid = await payment;
    } finally {
      await ctx.paymentPool.query(`DROP TRIGGER IF EXISTS refunds_refused`);
    }
    expect(paid.status).toBe(409);
    expect(paid.body.code).toBe('RESERVATION_NOT_PAYABLE');
    const r = await ctx.request('GET', `/api/v1/reservations/${held.body.id}`, { token: user.token });
    expect(r.body.status).toBe('FAILED');
    const wallet = (await ctx.request('GET', '/api/v1/wallet', { token: user.token })).body;
    expect(wallet.balance).toBe(30_000);
    expect(wallet.ledger.map((l: { kind: string }) => l.kind).slice(0, 2)).toEqual(['REFUND', 'PAYMENT']);
    expect(await paymentCount(`SELECT COUNT(*) n FROM refunds WHERE reservation_id = ?`, [held.body.id])).toBe(1);
    const seats = await ctx.request('GET', `/api/v1/schedules/${scheduleId}/seats?status=AVAILABLE`);
    expect(seats.body.items).toHaveLength(seatIds.length);
    await recordHistory(ctx.temporal.workflow.getHandle(reservationWorkflowId(held.body.id)), 'confirm-fails-compensate');
    expect(await checkInvariants(ctx.pool, { atLeast: { reservations: 1, payments: 1 } })).toEqual([]);
  });

  it('answers 503 when the hold cannot be written, and the same Idempotency-Key succeeds once it can', async () => {
    const user = await ctx.createUser();
    const { scheduleId, seatIds } = await ctx.createSchedule();
    const attempt = () => ctx.request('POST', '/api/v1/reservations', { token: user.token, body: { scheduleId, seatIds: [seatIds[3]] }, headers: { 'idempotency-key': 'hold-when-db-down-1' } });
    failHold = true;
    let failed;
    try {
      failed = await attempt();
    } finally {
      failHold = false;
    }
    expect(failed.status).toBe(503);
    expect(failed.body.code).toBe('SERVICE_UNAVAILABLE');
    expect(await seatClaim(ctx.redis, scheduleId, seatIds[3]!)).toBeNull(); // the Redis claim was given back
    const [rows] = await ctx.pool.query(`SELECT COUNT(*) n FROM reservations WHERE schedule_id = ?`, [scheduleId]);
    expect(Number((rows as Array<{ n: number }>)[0]!.n)).toBe(0);
    const handle = ctx.temporal.workflow.getHandle(reservationWorkflowId(reservationIdFor(user.id, 'hold-when-db-down-1')));
    await eventually(async () => (await handle.describe()).status.name === 'FAILED'); // after the undo step, which finds nothing
    await recordHistory(handle, 'hold-failed');

    const retried = await attempt();
    expect(retried.status, JSON.stringify(retried.body)).toBe(201);
    expect(retried.body.status).toBe('HELD');
    expect(await checkInvariants(ctx.pool, { atLeast: { reservations: 2 } })).toEqual([]);
  });

  it('undoes a hold that committed although every attempt reported failure, at once rather than by the sweeper', async () => {
    const user = await ctx.createUser();
    const { scheduleId, seatIds } = await ctx.createSchedule();
    loseHoldAnswer = true;
    let failed;
    try {
      failed = await ctx.request('POST', '/api/v1/reservations', { token: user.token, body: { scheduleId, seatIds: [seatIds[5]] } });
    } finally {
      loseHoldAnswer = false;
    }
    expect(failed.status).toBe(503);
    const id = (await ctx.pool.query(`SELECT id FROM reservations WHERE schedule_id = ?`, [scheduleId]))[0] as Array<{ id: string }>;
    expect(id).toHaveLength(1); // the write did land
    // Released well before its expiry (4 s TTL), so not by the sweeper (which waits past expiry).
    const row = await eventually(async () => {
      const [rows] = await ctx.pool.query(`SELECT status, closed_at < expires_at AS early FROM reservations WHERE id = ?`, [id[0]!.id]);
      const r = (rows as Array<{ status: string; early: number }>)[0]!;
      return r.status !== 'HELD' ? r : undefined;
    });
    expect(row).toMatchObject({ status: 'FAILED', early: 1 });
    const free = await ctx.request('GET', `/api/v1/schedules/${scheduleId}/seats?status=AVAILABLE`);
    expect(free.body.items.map((s: { id: number }) => s.id)).toContain(seatIds[5]);
    expect(await seatClaim(ctx.redis, scheduleId, seatIds[5]!)).toBeNull(); // the Redis claim was given back too
    expect(await checkInvariants(ctx.pool, { atLeast: { reservations: 1 } })).toEqual([]);
  });

  it('keeps retrying a payment through more failures than it once allowed: the run never fails, the money matches the outcome', async () => {
    const user = await ctx.createUser({ balance: 30_000 });
    const { scheduleId, seatIds } = await ctx.createSchedule({ price: 10_000 });
    const held = await ctx.request('POST', '/api/v1/reservations', { token: user.token, body: { scheduleId, seatIds: [seatIds[6]] } });
    expect(held.status).toBe(201);
    // Five failures used to exhaust the payment's attempts: the run failed and the hold was stranded
    // until the sweeper. Now the sixth attempt runs (about 3 s of backoff); whether it lands before
    // the 4 s expiry depends on the machine, so both endings are right, each with its money.
    failPayments = 5;
    const paid = await ctx.request('POST', `/api/v1/reservations/${held.body.id}/payment`, { token: user.token, headers: { 'idempotency-key': `outage-pay-${held.body.id}` } });
    expect([200, 409, 503]).toContain(paid.status); // in time, refused as expired, or the API stopped waiting
    const handle = ctx.temporal.workflow.getHandle(reservationWorkflowId(held.body.id));
    await eventually(async () => (await handle.describe()).status.name !== 'RUNNING', 60_000);
    expect((await handle.describe()).status.name).toBe('COMPLETED');
    expect(failPayments).toBe(0);
    const status = (await ctx.request('GET', `/api/v1/reservations/${held.body.id}`, { token: user.token })).body.status;
    expect(['CONFIRMED', 'EXPIRED']).toContain(status);
    expect((await ctx.request('GET', '/api/v1/wallet', { token: user.token })).body.balance).toBe(status === 'CONFIRMED' ? 20_000 : 30_000);
    expect(await checkInvariants(ctx.pool, { atLeast: { reservations: 1 } })).toEqual([]);
  });

  it('completes a reservation whose payment was sent while no worker ran', async () => {
    const user = await ctx.createUser({ balance: 30_000 });
    const { scheduleId, seatIds } = await ctx.createSchedule({ price: 10_000 });
    // This file's 4 s holds would expire while a busy machine restarts the worker (the payment is
    // then rightly refused as expired): this schedule's holds last 5 minutes.
    const admin = await ctx.createUser({ role: 'ADMIN' });
    expect((await ctx.request('PATCH', `/api/v1/admin/schedules/${scheduleId}`, { token: admin.token, body: { holdTtlSeconds: 300 } })).status).toBe(200);
    const held = await ctx.request('POST', '/api/v1/reservations', { token: user.token, body: { scheduleId, seatIds: [seatIds[0]] } });
    expect(held.status).toBe(201);
    expect(Date.parse(held.body.expiresAt) - Date.now()).toBeGreaterThan(60_000);
    await ctx.stopWorker();
    // The payment is sent now, with no worker anywhere on the task queue; it waits in Temporal.
    let settled = false;
    const pay = () => ctx.request('POST', `/api/v1/reservations/${held.body.id}/payment`, { token: user.token, headers: { 'idempotency-key': `no-worker-${held.body.id}` } });
    const payment = pay().finally(() => (settled = true));
    await new Promise((r) => setTimeout(r, 1_500));
    // Proof that nothing served it yet: no answer, no payment row, the reservation still HELD.
    expect(settled).toBe(false);
    expect(await paymentCount(`SELECT COUNT(*) n FROM payments WHERE reservation_id = ?`, [held.body.id])).toBe(0);
    expect((await ctx.services.reservations.find(held.body.id))!.status).toBe('HELD');
    await ctx.startWorker();
    // A worker that takes longer to start than the request deadline (a busy machine) leaves the first
    // request answered 503 while the payment still goes through: the client asks again with the same
    // key, as clients do, and learns the one outcome.
    const first = await payment;
    const paid = first.status === 503 ? await retrying(pay) : first;
    expect(paid.status, JSON.stringify(paid.body)).toBe(200);
    expect(paid.body.reservation.status).toBe('CONFIRMED');
    expect(await paymentCount(`SELECT COUNT(*) n FROM payments WHERE reservation_id = ?`, [held.body.id])).toBe(1);
    expect(await checkInvariants(ctx.pool, { atLeast: { confirmed: 1 } })).toEqual([]);
  });

  it('expires a hold whose timer fired while no worker was running', async () => {
    const user = await ctx.createUser({ balance: 30_000 });
    const { scheduleId, seatIds } = await ctx.createSchedule({ price: 10_000 });
    const held = await ctx.request('POST', '/api/v1/reservations', { token: user.token, body: { scheduleId, seatIds: [seatIds[0]] } });
    await ctx.stopWorker();
    await new Promise((r) => setTimeout(r, Date.parse(held.body.expiresAt) - Date.now() + 500));
    expect((await ctx.request('GET', `/api/v1/reservations/${held.body.id}`, { token: user.token })).body.status).toBe('HELD');
    // Invariant 3 checked while the hold is live and past due: with a 200 ms grace it is a violation.
    expect((await checkInvariants(ctx.pool, { expiryGraceMs: 200 })).join('\n')).toMatch(/hold past its expiry plus grace/);
    await ctx.startWorker();
    await eventually(async () => (await ctx.request('GET', `/api/v1/reservations/${held.body.id}`, { token: user.token })).body.status === 'EXPIRED');
    expect(await checkInvariants(ctx.pool, { expiryGraceMs: 10_000, atLeast: { reservations: 1 } })).toEqual([]);
  });

  it('the sweeper releases an overdue hold whose workflow is gone and counts it', async () => {
    const user = await ctx.createUser();
    const { scheduleId, concertId, seatIds } = await ctx.createSchedule();
    // A hold written without a workflow (as after losing Temporal's data), already 20 s overdue.
    const orphan = 'a'.repeat(24);
    const r = await ctx.services.reservations.hold(
      { reservationId: orphan, userId: user.id, scheduleId, concertId, seatIds: [seatIds[5]!], holdTtlMs: 1000 },
      new Date(Date.now() - 21_000),
    );
    expect(r.ok).toBe(true);
    const before = await sweptCount();
    const released = await ctx.temporal.workflow.execute('holdSweeperWorkflow', { taskQueue: ctx.config.TEMPORAL_TASK_QUEUE, workflowId: `sweep-${ctx.id}` });
    expect(released).toEqual({ released: 1 });
    expect((await ctx.services.reservations.find(orphan))!.status).toBe('EXPIRED');
    // The metric's value moved by one (prom-client prints the name at 0 as soon as it is registered).
    expect((await sweptCount()) - before).toBe(1);
    // The schedule that runs it every minute is created once, idempotently.
    await ensureSweeperSchedule(ctx.temporal, ctx.config.TEMPORAL_TASK_QUEUE);
    await ensureSweeperSchedule(ctx.temporal, ctx.config.TEMPORAL_TASK_QUEUE);
    const desc = await ctx.temporal.schedule.getHandle(SWEEPER_SCHEDULE_ID).describe();
    expect(desc.spec.intervals?.[0]?.every).toBe(60_000);
    await ctx.temporal.schedule.getHandle(SWEEPER_SCHEDULE_ID).delete();
    expect(await checkInvariants(ctx.pool, { atLeast: { reservations: 1 } })).toEqual([]);
  });

  it('the sweeper leaves a hold past its grace alone while its workflow still runs, and keeps holds when Temporal cannot answer', async () => {
    const user = await ctx.createUser();
    const { scheduleId, concertId, seatIds } = await ctx.createSchedule();
    const live = await ctx.request('POST', '/api/v1/reservations', { token: user.token, body: { scheduleId, seatIds: [seatIds[7]] } });
    expect(live.status).toBe(201);
    // With no worker, the workflow's timer cannot act: the hold goes past expiresAt + the sweeper's
    // grace while its workflow is still RUNNING, which is exactly the case the sweeper must respect.
    await ctx.stopWorker();
    try {
      await new Promise((res) => setTimeout(res, Date.parse(live.body.expiresAt) + SWEEPER_GRACE_MS + 500 - Date.now()));
      expect(await ctx.services.reservations.overdueHolds(new Date(), SWEEPER_GRACE_MS)).toContain(live.body.id);
      expect((await ctx.temporal.workflow.getHandle(reservationWorkflowId(live.body.id)).describe()).status.name).toBe('RUNNING');
      const orphan = 'c'.repeat(24);
      await ctx.services.reservations.hold({ reservationId: orphan, userId: user.id, scheduleId, concertId, seatIds: [seatIds[8]!], holdTtlMs: 1000 }, new Date(Date.now() - 21_000));
      const before = await sweptCount();

      // Temporal unreachable (a closed connection): describe() fails with something other than
      // "not found". That proves nothing about the workflows, so no hold is released and the
      // activity fails, to be retried.
      const closed = await Connection.connect({ address: ctx.config.TEMPORAL_ADDRESS });
      await closed.close();
      await expect(sweepWith(new Client({ connection: closed, namespace: ctx.config.TEMPORAL_NAMESPACE }))).rejects.toThrow(/could not tell/);
      expect((await ctx.services.reservations.find(orphan))!.status).toBe('HELD');
      expect((await ctx.services.reservations.find(live.body.id))!.status).toBe('HELD');
      expect(await sweptCount()).toBe(before);

      // Temporal answers: the orphan ("not found") is released, the running workflow's hold is not.
      expect(await sweepWith(ctx.temporal)).toEqual({ released: 1 });
      expect((await ctx.services.reservations.find(orphan))!.status).toBe('EXPIRED');
      expect((await ctx.services.reservations.find(live.body.id))!.status).toBe('HELD');
      expect((await sweptCount()) - before).toBe(1);
    } finally {
      await ctx.startWorker();
    }
    // Its own workflow expires it once a worker is back.
    await eventually(async () => (await ctx.services.reservations.find(live.body.id))!.status === 'EXPIRED');
    expect(await checkInvariants(ctx.pool, { atLeast: { reservations: 2 } })).toEqual([]);
  });

  it('records a rejected hold history (seat taken in MySQL behind the Redis inventory\'s back: the hold activity refuses it)', async () => {
    const user = await ctx.createUser();
    const { scheduleId, concertId, seatIds } = await ctx.createSchedule();
    // The Redis seat inventory is built first (any read of it does that), then the seat is taken in
    // MySQL directly, behind Redis's back, so Redis lets the hold through and the workflow's hold
    // activity refuses it in MySQL (its read of the seat sees it taken; the optimistic update behind
    // that read is test/integration/booking-concurrency's business, not this history's).
    expect((await ctx.request('GET', `/api/v1/schedules/${scheduleId}/availability`)).body.free).toBe(seatIds.length);
    await ctx.services.reservations.hold({ reservationId: 'b'.repeat(24), userId: user.id, scheduleId, concertId, seatIds: [seatIds[0]!], holdTtlMs: 60_000 });
    const res = await ctx.request('POST', '/api/v1/reservations', { token: user.token, body: { scheduleId, seatIds: [seatIds[0]] } });
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('SEAT_UNAVAILABLE');
    const [rows] = await ctx.pool.query(`SELECT COUNT(*) n FROM reservations WHERE schedule_id = ?`, [scheduleId]);
    expect(Number((rows as Array<{ n: number }>)[0]!.n)).toBe(1);
    // The losing request's claim was given back, and the drift repaired: Redis now shows MySQL's holder.
    expect(await seatClaim(ctx.redis, scheduleId, seatIds[0]!)).toBe('b'.repeat(24));
    const list = [];
    for await (const wf of ctx.temporal.workflow.list({ query: `ReservationStatus = "REJECTED" AND ScheduleId = "${scheduleId}"` })) list.push(wf.workflowId);
    if (list[0]) await recordHistory(ctx.temporal.workflow.getHandle(list[0]), 'hold-rejected');
    await eventually(async () => {
      const found = [];
      for await (const wf of ctx.temporal.workflow.list({ query: `ReservationStatus = "REJECTED" AND ScheduleId = "${scheduleId}"` })) found.push(wf.workflowId);
      if (found[0]) await recordHistory(ctx.temporal.workflow.getHandle(found[0]), 'hold-rejected');
      return found.length === 1;
    });
  });
});
