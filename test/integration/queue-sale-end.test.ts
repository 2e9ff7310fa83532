import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schedules } from '../../src/catalog/schema.js';
import { createTestContext, eventually, type TestContext } from '../support/harness.js';
import { checkInvariants } from '../support/invariants.js';

/**
 * The end of a sale ends the wait: when the last seat is SOLD (or the sale window closes) everyone
 * still waiting learns it by poll and by SSE, and later joiners get the same final answer. Seats
 * that are only HELD keep the waiters in line, and seats coming back open the line again.
 */
describe('sold out and closed end the queue', () => {
  let ctx: TestContext;
  let admin: Awaited<ReturnType<TestContext['createUser']>>;

  beforeAll(async () => {
    ctx = await createTestContext({ env: { QUEUE_ENFORCED: 'true', QUEUE_SSE_INTERVAL_MS: '200' } });
    admin = await ctx.createUser({ role: 'ADMIN' });
  });
  afterAll(async () => {
    await ctx?.close();
  });

  const join = (token: string, scheduleId: number) => ctx.request('POST', '/api/v1/queue/tokens', { token, body: { scheduleId } });
  const poll = (token: string, queueToken: string) => ctx.request('GET', '/api/v1/queue/tokens/current', { token, headers: { 'x-queue-token': queueToken } });
  const pin = (scheduleId: number, maxActive: number) =>
    ctx.request('PUT', `/api/v1/admin/schedules/${scheduleId}/queue`, { token: admin.token, body: { mode: 'manual', maxActive, admitRatePerSec: 100 } });

  /** Reads a queue SSE stream in the background; `events()` is every status it pushed so far. */
  const openStream = async (user: { token: string }, queueToken: string) => {
    const res = await ctx.app.request(`/api/v1/queue/tokens/current/stream?token=${encodeURIComponent(queueToken)}`, { headers: { authorization: `Bearer ${user.token}` } });
    expect(res.status).toBe(200);
    let text = '';
    let ended = false;
    const reader = res.body!.getReader();
    const pump = (async () => {
      const decoder = new TextDecoder();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        text += decoder.decode(value);
      }
      ended = true;
    })();
    return {
      events: () => [...text.matchAll(/event: status\ndata: (.*)\n/g)].map((m) => JSON.parse(m[1]!)),
      ended: () => ended,
      close: async () => {
        await reader.cancel().catch(() => {});
        await pump.catch(() => {});
      },
    };
  };

  it('tells every waiter SOLD_OUT by poll and SSE once the last seat sells; held seats keep them waiting; a refund reopens', async () => {
    const { scheduleId, seatIds } = await ctx.createSchedule({ rows: 1, seatsPerRow: 2, startsInHours: 24 * 30 });
    expect((await pin(scheduleId, 1)).status).toBe(200);
    const [buyer, polling, streaming] = [await ctx.createUser({ balance: 100_000 }), await ctx.createUser(), await ctx.createUser()];
    const qb = (await join(buyer.token, scheduleId)).body.token as string;
    const qp = await join(polling.token, scheduleId);
    const qs = await join(streaming.token, scheduleId);
    expect([qp.body.status, qs.body.status]).toEqual(['WAITING', 'WAITING']);
    expect(qp.body.pollAfterMs).toBeGreaterThanOrEqual(1000);
    const stream = await openStream(streaming, qs.body.token);

    // Both seats HELD, none SOLD: the seats may come back, so the line stays.
    const hold = await ctx.request('POST', '/api/v1/reservations', { token: buyer.token, headers: { 'x-queue-token': qb, 'idempotency-key': `hold-${ctx.id}` }, body: { scheduleId, seatIds } });
    expect(hold.status).toBe(201);
    await ctx.services.queue.controller.control(scheduleId);
    expect((await poll(polling.token, qp.body.token)).body).toMatchObject({ status: 'WAITING', position: 1 });

    // The last seat sells: the worker ends the sale for everyone waiting.
    const paid = await ctx.request('POST', `/api/v1/reservations/${hold.body.id}/payment`, { token: buyer.token, headers: { 'x-queue-token': qb, 'idempotency-key': `pay-${ctx.id}` } });
    expect(paid.status).toBe(200);
    const soldAt = Date.now();
    const byPoll = await eventually(async () => {
      const r = await poll(polling.token, qp.body.token);
      return r.body.status === 'EXPIRED' ? r.body : undefined;
    });
    expect(byPoll).toMatchObject({ status: 'EXPIRED', reason: 'SOLD_OUT', position: null, pollAfterMs: null });
    await eventually(async () => stream.ended());
    expect(stream.events().at(-1)).toMatchObject({ status: 'EXPIRED', reason: 'SOLD_OUT' });
    expect(stream.events()[0]).toMatchObject({ status: 'WAITING' });
    console.log(`[sold out] waiters told by poll/SSE ${Date.now() - soldAt} ms after the payment answered`);

    // A join after the sell-out gets the same final answer, not a place in a line that goes nowhere.
    const late = await ctx.createUser();
    expect((await join(late.token, scheduleId)).body).toMatchObject({ status: 'EXPIRED', reason: 'SOLD_OUT' });
    const view = await ctx.request('GET', `/api/v1/admin/schedules/${scheduleId}/queue`, { token: admin.token });
    expect(view.body.queue).toMatchObject({ waiting: 0, saleEnded: 'SOLD_OUT' });

    // A refund brings the seats back: the line opens again.
    const cancelled = await ctx.request('DELETE', `/api/v1/reservations/${hold.body.id}`, { token: buyer.token });
    expect(cancelled.body.status).toBe('REFUNDED');
    const again = await eventually(async () => {
      const r = await join(late.token, scheduleId);
      return r.body.status !== 'EXPIRED' ? r.body : undefined;
    });
    expect(['ACTIVE', 'WAITING']).toContain(again.status);

    await ctx.services.queue.service.flush();
    const [rows] = (await ctx.pool.query(`SELECT type, JSON_VALUE(payload, '$.reason') reason FROM domain_events WHERE aggregate_type = 'queue' AND aggregate_id = ? ORDER BY sequence`, [
      `schedule-${scheduleId}`,
    ])) as [Array<{ type: string; reason: string | null }>, unknown];
    expect(rows.filter((r) => r.type !== 'QueueAdmissionAdjusted')).toEqual([
      { type: 'QueueSaleEnded', reason: 'SOLD_OUT' },
      { type: 'QueueSaleReopened', reason: null },
    ]);
    // Whichever process ended the sale (the worker at the last confirmation, or an API poll) counted the two waiters.
    let told = 0;
    for (const m of [ctx.metrics, ctx.workerMetrics]) {
      const values = (await m.registry.getSingleMetric('queue_expiries_total')?.get())?.values ?? [];
      told += values.filter((v) => v.labels.schedule === String(scheduleId) && v.labels.reason === 'SOLD_OUT').reduce((a, v) => a + v.value, 0);
    }
    expect(told).toBe(2);
    await stream.close();
    expect(await checkInvariants(ctx.pool, { atLeast: { reservations: 1, payments: 1 } })).toEqual([]);
  });

  it('wakes a stream that re-checks only every 15 s as soon as the sale ends', async () => {
    const { scheduleId } = await ctx.createSchedule({ rows: 1, seatsPerRow: 2 });
    await ctx.request('PUT', `/api/v1/admin/schedules/${scheduleId}/queue`, { token: admin.token, body: { mode: 'manual', maxActive: 1, admitRatePerSec: 1 } });
    // 80 people ahead at one admission a second: the stream re-checks only every 15 s.
    const ahead = await Promise.all(Array.from({ length: 80 }, () => ctx.createUser()));
    for (const u of ahead) await join(u.token, scheduleId);
    const last = await ctx.createUser();
    const q = await join(last.token, scheduleId);
    expect(q.body.pollAfterMs).toBeGreaterThanOrEqual(15_000);
    const stream = await openStream(last, q.body.token);
    await eventually(async () => stream.events().length >= 1);
    await ctx.services.queue.service.endSale(scheduleId, 'SOLD_OUT');
    // Well inside the 15 s the stream would otherwise sleep.
    await eventually(async () => stream.ended(), 10_000, 50);
    expect(stream.events().at(-1)).toMatchObject({ status: 'EXPIRED', reason: 'SOLD_OUT' });
    await stream.close();
  });

  it('ends waiting and pre-queue tokens with CLOSED when the sale window closes', async () => {
    const { scheduleId } = await ctx.createSchedule({ rows: 1, seatsPerRow: 4 });
    await pin(scheduleId, 1);
    const closesAt = new Date(Date.now() + 3_000);
    await ctx.db.update(schedules).set({ saleClosesAt: closesAt }).where(eq(schedules.id, scheduleId));
    const [first, second] = [await ctx.createUser(), await ctx.createUser()];
    await join(first.token, scheduleId);
    const q2 = await join(second.token, scheduleId);
    expect(q2.body.status).toBe('WAITING');
    const stream = await openStream(second, q2.body.token);
    const closed = await eventually(async () => {
      const r = await poll(second.token, q2.body.token);
      return r.body.status === 'EXPIRED' ? r.body : undefined;
    });
    expect(closed.reason).toBe('CLOSED');
    expect(Date.now()).toBeGreaterThanOrEqual(closesAt.getTime());
    await eventually(async () => stream.ended());
    expect(stream.events().at(-1)).toMatchObject({ status: 'EXPIRED', reason: 'CLOSED' });
    const late = await ctx.createUser();
    expect((await join(late.token, scheduleId)).body).toMatchObject({ status: 'EXPIRED', reason: 'CLOSED' });
    await stream.close();

    // The pre-queue (joined before opening) is told too when a sale ends before it ever opened.
    const pre = await ctx.createSchedule({ rows: 1, seatsPerRow: 2 });
    await ctx.db.update(schedules).set({ saleOpensAt: new Date(Date.now() + 3_600_000) }).where(eq(schedules.id, pre.scheduleId));
    const early = await ctx.createUser();
    const qe = await join(early.token, pre.scheduleId);
    expect(qe.body).toMatchObject({ status: 'WAITING', position: null });
    await ctx.services.queue.service.endSale(pre.scheduleId, 'CLOSED');
    expect((await poll(early.token, qe.body.token)).body).toMatchObject({ status: 'EXPIRED', reason: 'CLOSED' });
  });
});
