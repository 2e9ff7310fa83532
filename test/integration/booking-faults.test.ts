import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reservationIdFor } from '../../src/booking/ids.js';
import { SWEEPER_SCHEDULE_ID, ensureSweeperSchedule } from '../../src/main/worker-app.js';
import { createTestContext, eventually, type TestContext } from '../support/harness.js';
import { recordHistory } from '../support/histories.js';
import { checkInvariants } from '../support/invariants.js';

/** Compensation after a failed confirmation, a worker restart mid-reservation, and the sweeper. */
describe('booking faults', () => {
  let ctx: TestContext;
  let failConfirmation = false;
  let failHold = false;

  beforeAll(async () => {
    ctx = await createTestContext({
      env: { HOLD_TTL_SECONDS: '4' },
      // Fault injection: confirmation fails after the debit while the flag is on.
      overrideActivities: (a) => ({
        holdSeats: async (input) => {
          if (failHold) throw new Error('injected: MySQL unreachable');
          return a.holdSeats(input);
        },
        confirmReservation: async (input) => {
          if (failConfirmation) throw ApplicationFailure.create({ type: 'ConfirmationRejected', message: 'injected failure', nonRetryable: true });
          return a.confirmReservation(input);
        },
      }),
    });
  });
  afterAll(async () => {
    await ctx?.close();
  });

  it('refunds and releases when confirmation fails after the debit', async () => {
    const user = await ctx.createUser({ balance: 30_000 });
    const { scheduleId, seatIds } = await ctx.createSchedule({ price: 10_000 });
    const held = await ctx.request('POST', '/api/v1/reservations', { token: user.token, body: { scheduleId, seatIds: [seatIds[0], seatIds[1]] } });
    failConfirmation = true;
    try {
      const paid = await ctx.request('POST', `/api/v1/reservations/${held.body.id}/payment`, { token: user.token });
      expect(paid.status).toBe(409);
      expect(paid.body.code).toBe('RESERVATION_NOT_PAYABLE');
    } finally {
      failConfirmation = false;
    }
    const r = await ctx.request('GET', `/api/v1/reservations/${held.body.id}`, { token: user.token });
    expect(r.body.status).toBe('FAILED');
    const wallet = (await ctx.request('GET', '/api/v1/wallet', { token: user.token })).body;
    expect(wallet.balance).toBe(30_000);
    expect(wallet.ledger.map((l: { kind: string }) => l.kind).slice(0, 2)).toEqual(['REFUND', 'PAYMENT']);
    const seats = await ctx.request('GET', `/api/v1/schedules/${scheduleId}/seats?status=AVAILABLE`);
    expect(seats.body.items).toHaveLength(seatIds.length);
    await recordHistory(ctx.temporal.workflow.getHandle(`reservation-${held.body.id}`), 'confirm-fails-compensate');
    expect(await checkInvariants(ctx.pool)).toEqual([]);
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
    expect(await ctx.redis.exists(`seatlock:{s${scheduleId}}:${seatIds[3]}`)).toBe(0); // the Redis lock was given back
    const [rows] = await ctx.pool.query(`SELECT COUNT(*) n FROM reservations WHERE schedule_id = ?`, [scheduleId]);
    expect(Number((rows as Array<{ n: number }>)[0]!.n)).toBe(0);
    const handle = ctx.temporal.workflow.getHandle(`reservation-${reservationIdFor(user.id, 'hold-when-db-down-1')}`);
    expect((await handle.describe()).status.name).toBe('FAILED');
    await recordHistory(handle, 'hold-failed');

    const retried = await attempt();
    expect(retried.status, JSON.stringify(retried.body)).toBe(201);
    expect(retried.body.status).toBe('HELD');
    expect(await checkInvariants(ctx.pool)).toEqual([]);
  });

  it('completes a reservation when the worker dies between hold and payment', async () => {
    const user = await ctx.createUser({ balance: 30_000 });
    const { scheduleId, seatIds } = await ctx.createSchedule({ price: 10_000 });
    const held = await ctx.request('POST', '/api/v1/reservations', { token: user.token, body: { scheduleId, seatIds: [seatIds[0]] } });
    expect(held.status).toBe(201);
    await ctx.stopWorker();
    // The payment waits in Temporal until a worker is back (the update is accepted by the new worker).
    const payment = ctx.request('POST', `/api/v1/reservations/${held.body.id}/payment`, { token: user.token });
    await new Promise((r) => setTimeout(r, 500));
    await ctx.startWorker();
    const paid = await payment;
    expect(paid.status).toBe(200);
    expect(paid.body.reservation.status).toBe('CONFIRMED');
    expect(await checkInvariants(ctx.pool)).toEqual([]);
  });

  it('expires a hold whose timer fired while no worker was running', async () => {
    const user = await ctx.createUser({ balance: 30_000 });
    const { scheduleId, seatIds } = await ctx.createSchedule({ price: 10_000 });
    const held = await ctx.request('POST', '/api/v1/reservations', { token: user.token, body: { scheduleId, seatIds: [seatIds[0]] } });
    await ctx.stopWorker();
    await new Promise((r) => setTimeout(r, Date.parse(held.body.expiresAt) - Date.now() + 500));
    expect((await ctx.request('GET', `/api/v1/reservations/${held.body.id}`, { token: user.token })).body.status).toBe('HELD');
    await ctx.startWorker();
    await eventually(async () => (await ctx.request('GET', `/api/v1/reservations/${held.body.id}`, { token: user.token })).body.status === 'EXPIRED');
    expect(await checkInvariants(ctx.pool, { expiryGraceMs: 10_000 })).toEqual([]);
  });

  it('the sweeper releases an overdue hold whose workflow is gone, and leaves running ones alone', async () => {
    const user = await ctx.createUser();
    const { scheduleId, concertId, seatIds } = await ctx.createSchedule();
    // A hold written without a workflow (as after losing Temporal's data), already 20 s overdue.
    const orphan = 'a'.repeat(24);
    const r = await ctx.services.reservations.hold(
      { reservationId: orphan, userId: user.id, scheduleId, concertId, seatIds: [seatIds[5]!], holdTtlMs: 1000 },
      new Date(Date.now() - 21_000),
    );
    expect(r.ok).toBe(true);
    const live = await ctx.request('POST', '/api/v1/reservations', { token: user.token, body: { scheduleId, seatIds: [seatIds[6]] } });
    const released = await ctx.temporal.workflow.execute('holdSweeperWorkflow', { taskQueue: ctx.config.TEMPORAL_TASK_QUEUE, workflowId: `sweep-${ctx.id}` });
    expect(released).toEqual({ released: 1 });
    expect((await ctx.services.reservations.find(orphan))!.status).toBe('EXPIRED');
    expect((await ctx.services.reservations.find(live.body.id))!.status).toBe('HELD');
    expect(await ctx.workerMetrics.registry.getSingleMetricAsString('sweeper_released_holds_total')).toContain('sweeper_released_holds_total{process=');
    // The schedule that runs it every minute is created once, idempotently.
    await ensureSweeperSchedule(ctx.temporal, ctx.config.TEMPORAL_TASK_QUEUE);
    await ensureSweeperSchedule(ctx.temporal, ctx.config.TEMPORAL_TASK_QUEUE);
    const desc = await ctx.temporal.schedule.getHandle(SWEEPER_SCHEDULE_ID).describe();
    expect(desc.spec.intervals?.[0]?.every).toBe(60_000);
    await ctx.temporal.schedule.getHandle(SWEEPER_SCHEDULE_ID).delete();
    expect(await checkInvariants(ctx.pool)).toEqual([]);
  });

  it('records a rejected hold history (seat taken between the Redis lock and MySQL)', async () => {
    const user = await ctx.createUser();
    const { scheduleId, concertId, seatIds } = await ctx.createSchedule();
    // Take the seat in MySQL directly so the workflow's hold activity loses the optimistic check.
    await ctx.services.reservations.hold({ reservationId: 'b'.repeat(24), userId: user.id, scheduleId, concertId, seatIds: [seatIds[0]!], holdTtlMs: 60_000 });
    const res = await ctx.request('POST', '/api/v1/reservations', { token: user.token, body: { scheduleId, seatIds: [seatIds[0]] } });
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('SEAT_UNAVAILABLE');
    const [rows] = await ctx.pool.query(`SELECT COUNT(*) n FROM reservations WHERE schedule_id = ?`, [scheduleId]);
    expect(Number((rows as Array<{ n: number }>)[0]!.n)).toBe(1);
    // The Redis lock taken by the losing request was given back.
    const keys = await ctx.redis.exists(`seatlock:{s${scheduleId}}:${seatIds[0]}`);
    expect(keys).toBe(0);
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
