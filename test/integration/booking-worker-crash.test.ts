import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, eventually, type TestContext } from '../support/harness.js';
import { checkInvariants } from '../support/invariants.js';
import { kill9, startWorkerProcess } from '../support/worker-process.js';

/**
 * The real worker process (src/main/worker.ts) is SIGKILLed between hold and payment: no graceful
 * drain, its sticky task queue left dangling. A new process must finish or expire the reservation.
 */
describe('worker process killed mid-reservation', () => {
  let ctx: TestContext;
  const workers: ChildProcess[] = [];

  const startWorker = async (): Promise<ChildProcess> => {
    const child = await startWorkerProcess(ctx.config);
    workers.push(child);
    return child;
  };

  beforeAll(async () => {
    ctx = await createTestContext({ worker: false, env: { HOLD_TTL_SECONDS: '20' } });
  });
  afterAll(async () => {
    for (const w of workers) if (w.exitCode === null && w.signalCode === null) w.kill('SIGKILL');
    await ctx?.close();
  });

  it('completes the payment on a new worker process', async () => {
    const user = await ctx.createUser({ balance: 30_000 });
    const { scheduleId, seatIds } = await ctx.createSchedule({ price: 10_000 });
    const first = await startWorker();
    const held = await ctx.request('POST', '/api/v1/reservations', { token: user.token, body: { scheduleId, seatIds: [seatIds[0]] } });
    expect(held.status).toBe(201);
    await kill9(first);

    await startWorker();
    // Until the new worker picks the update up, the API answers 503 at its deadline (or 409
    // IDEMPOTENCY_IN_PROGRESS while the first attempt still runs): the client retries with the same
    // key. A retry after the payment went through may be told ALREADY_PAID instead of the replayed 200.
    const paid = await eventually(async () => {
      const r = await ctx.request('POST', `/api/v1/reservations/${held.body.id}/payment`, { token: user.token, headers: { 'idempotency-key': `pay-after-crash-${ctx.id}` } });
      return r.status === 503 || r.body?.code === 'IDEMPOTENCY_IN_PROGRESS' ? undefined : r;
    }, 60_000, 500);
    expect(paid.status === 200 || paid.body.code === 'ALREADY_PAID', JSON.stringify(paid.body)).toBe(true);
    expect((await ctx.request('GET', `/api/v1/reservations/${held.body.id}`, { token: user.token })).body.status).toBe('CONFIRMED');
    expect((await ctx.request('GET', '/api/v1/wallet', { token: user.token })).body.balance).toBe(20_000);
    expect(await checkInvariants(ctx.pool, { atLeast: { confirmed: 1, payments: 1 } })).toEqual([]);
  });

  it('expires the hold on time when the worker that held it was killed', async () => {
    const user = await ctx.createUser({ balance: 30_000 });
    const { scheduleId, seatIds } = await ctx.createSchedule({ price: 10_000 });
    const holder = workers.at(-1)!;
    const held = await ctx.request('POST', '/api/v1/reservations', { token: user.token, body: { scheduleId, seatIds: [seatIds[1]] } });
    expect(held.status).toBe(201);
    await kill9(holder);
    await startWorker();
    const expired = await eventually(
      async () => {
        const r = await ctx.request('GET', `/api/v1/reservations/${held.body.id}`, { token: user.token });
        return r.body.status === 'EXPIRED' && r.body;
      },
      180_000,
      250,
    );
    console.log(`released ${Date.parse(expired.closedAt) - Date.parse(expired.expiresAt)} ms after expiresAt`);
    // Released by the new worker's timer (the killed one's timer died with it), never before
    // expiresAt, and exactly once: held, then expired. How soon after expiresAt depends on the
    // machine; invariant 3's stated grace bounds it.
    expect(Date.parse(expired.closedAt)).toBeGreaterThanOrEqual(Date.parse(expired.expiresAt));
    const [log] = await ctx.pool.query(`SELECT type FROM domain_events WHERE aggregate_id = ? ORDER BY sequence`, [held.body.id]);
    expect((log as Array<{ type: string }>).map((e) => e.type)).toEqual(['ReservationHeld', 'ReservationExpired']);
    expect(await checkInvariants(ctx.pool, { atLeast: { reservations: 2 } })).toEqual([]);
  });
});
