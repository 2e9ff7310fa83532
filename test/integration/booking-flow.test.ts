import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, eventually, type TestContext } from '../support/harness.js';
import { checkInvariants } from '../support/invariants.js';
import { countStatements } from '../support/statements.js';
import { recordHistory } from '../support/histories.js';
import { seatClaim } from '../support/seat-inventory.js';
import { refundWorkflowId } from '../../workflows/booking/refund-contract.js';
import { reservationWorkflowId } from '../../workflows/booking/reservation-contract.js';

/** The reservation lifecycle through the public API on the real stack. */
describe('booking flow', () => {
  let ctx: TestContext;
  const hold = (token: string, scheduleId: number, seatIds: number[], key?: string) =>
    ctx.request('POST', '/api/v1/reservations', { token, body: { scheduleId, seatIds }, headers: key ? { 'idempotency-key': key } : {} });
  const pay = (token: string, id: string, key?: string) =>
    ctx.request('POST', `/api/v1/reservations/${id}/payment`, { token, headers: key ? { 'idempotency-key': key } : {} });
  const balance = async (token: string) => (await ctx.request('GET', '/api/v1/wallet', { token })).body.balance as number;

  beforeAll(async () => {
    ctx = await createTestContext();
  });
  afterAll(async () => {
    if (ctx) expect(await checkInvariants(ctx.pool)).toEqual([]);
    await ctx?.close();
  });

  it('holds, pays and confirms; the seat map follows every step', async () => {
    const user = await ctx.createUser({ balance: 100_000 });
    const { scheduleId, seatIds } = await ctx.createSchedule({ price: 30_000 });
    const before = await ctx.request('GET', `/api/v1/schedules/${scheduleId}/seats`);
    expect(before.body.items.every((s: { status: string }) => s.status === 'AVAILABLE')).toBe(true);

    const held = await hold(user.token, scheduleId, [seatIds[0]!, seatIds[1]!]);
    expect(held.status).toBe(201);
    expect(held.body).toMatchObject({ status: 'HELD', scheduleId, amount: 60_000 });
    expect(held.body.seats.map((s: { seatId: number }) => s.seatId)).toEqual([seatIds[0], seatIds[1]]);
    const expiresIn = Date.parse(held.body.expiresAt) - Date.now();
    expect(expiresIn).toBeGreaterThan(250_000);
    expect(expiresIn).toBeLessThanOrEqual(300_000);

    const heldSeats = await ctx.request('GET', `/api/v1/schedules/${scheduleId}/seats?status=HELD`);
    expect(heldSeats.body.items.map((s: { id: number }) => s.id)).toEqual([seatIds[0], seatIds[1]]);

    const paid = await pay(user.token, held.body.id);
    expect(paid.status).toBe(200);
    expect(paid.body.reservation.status).toBe('CONFIRMED');
    expect(paid.body.payment.amount).toBe(60_000);
    expect(await balance(user.token)).toBe(40_000);

    const sold = await ctx.request('GET', `/api/v1/schedules/${scheduleId}/seats?status=SOLD`);
    expect(sold.body.items.map((s: { id: number }) => s.id)).toEqual([seatIds[0], seatIds[1]]);
    const schedules = await ctx.request('GET', `/api/v1/concerts/${held.body.concertId}/schedules`);
    expect(schedules.body.items[0].seats).toMatchObject({ total: seatIds.length, sold: 2, held: 0, available: seatIds.length - 2 });

    // The workflow is done, findable by its search attributes, and its query tells the final state.
    const handle = ctx.temporal.workflow.getHandle(reservationWorkflowId(held.body.id));
    const result = await handle.result();
    expect(result).toMatchObject({ status: 'CONFIRMED', amount: 60_000 });
    await recordHistory(handle, 'hold-pay-confirm');
    await eventually(async () => {
      const found = [];
      for await (const wf of ctx.temporal.workflow.list({ query: `ReservationStatus = "CONFIRMED" AND UserId = "${user.id}" AND ScheduleId = "${scheduleId}"` })) found.push(wf.workflowId);
      return found.includes(reservationWorkflowId(held.body.id));
    });
  });

  it('refuses a seat someone else holds with 409 SEAT_UNAVAILABLE and changes nothing', async () => {
    const [a, b] = [await ctx.createUser(), await ctx.createUser()];
    const { scheduleId, seatIds } = await ctx.createSchedule();
    expect((await hold(a.token, scheduleId, [seatIds[0]!])).status).toBe(201);
    const lost = await hold(b.token, scheduleId, [seatIds[1]!, seatIds[0]!]);
    expect(lost.status).toBe(409);
    expect(lost.headers.get('content-type')).toContain('application/problem+json');
    expect(lost.body).toMatchObject({ code: 'SEAT_UNAVAILABLE', unavailableSeatIds: [seatIds[0]] });
    // All-or-nothing: the free seat of the losing request is still free.
    const again = await hold(b.token, scheduleId, [seatIds[1]!]);
    expect(again.status).toBe(201);
    expect((await ctx.request('GET', '/api/v1/reservations', { token: b.token })).body.total).toBe(1);
  });

  it('turns away the losers of a hot seat in Redis, before MySQL or Temporal', async () => {
    const [winner, loser] = [await ctx.createUser(), await ctx.createUser()];
    const { scheduleId, seatIds } = await ctx.createSchedule();
    expect((await hold(winner.token, scheduleId, [seatIds[0]!])).status).toBe(201);
    const workflowsBefore = (await ctx.temporal.workflow.count(`ScheduleId = "${scheduleId}"`)).count;
    // Counted on the app's own pool (SHOW GLOBAL STATUS would count every client of the server).
    const counter = countStatements(ctx.pool);
    const losers = await Promise.all(Array.from({ length: 50 }, () => hold(loser.token, scheduleId, [seatIds[0]!])));
    const statements = counter.stop();
    expect(losers.every((r) => r.status === 409 && r.body.code === 'SEAT_UNAVAILABLE')).toBe(true);
    // 50 refusals cost (almost) no statements: the schedule comes from a cache, the seat from Redis.
    expect(statements).toBeLessThan(10);
    expect((await ctx.temporal.workflow.count(`ScheduleId = "${scheduleId}"`)).count).toBe(workflowsBefore);
  });

  it('answers 402 on insufficient balance, keeps the hold, and confirms after a top-up', async () => {
    const user = await ctx.createUser({ balance: 5_000 });
    const { scheduleId, seatIds } = await ctx.createSchedule({ price: 10_000 });
    const held = await hold(user.token, scheduleId, [seatIds[0]!]);
    const poor = await pay(user.token, held.body.id);
    expect(poor.status).toBe(402);
    expect(poor.body.code).toBe('INSUFFICIENT_BALANCE');
    expect(await balance(user.token)).toBe(5_000);
    expect((await ctx.request('GET', `/api/v1/reservations/${held.body.id}`, { token: user.token })).body.status).toBe('HELD');

    const charge = await ctx.request('POST', '/api/v1/wallet/charges', { token: user.token, body: { amount: 5_000 }, headers: { 'idempotency-key': 'topup-0001' } });
    expect(charge.status).toBe(201);
    const ok = await pay(user.token, held.body.id);
    expect(ok.status).toBe(200);
    expect(ok.body.reservation.status).toBe('CONFIRMED');
    expect(await balance(user.token)).toBe(0);
    const handle = ctx.temporal.workflow.getHandle(reservationWorkflowId(held.body.id));
    expect((await handle.result()).paymentAttempts).toBe(2);
    await recordHistory(handle, 'insufficient-then-pay');
  });

  it('refuses paying twice and charges once', async () => {
    const user = await ctx.createUser({ balance: 50_000 });
    const { scheduleId, seatIds } = await ctx.createSchedule({ price: 10_000 });
    const held = await hold(user.token, scheduleId, [seatIds[0]!]);
    const both = await Promise.all([pay(user.token, held.body.id), pay(user.token, held.body.id)]);
    // Two concurrent pays either join one payment round (both see the confirmation) or the later
    // one finds it already paid; either way the money moves once.
    expect(both.filter((r) => r.status === 200).length).toBeGreaterThanOrEqual(1);
    expect(both.every((r) => r.status === 200 || (r.status === 409 && r.body.code === 'ALREADY_PAID'))).toBe(true);
    const third = await pay(user.token, held.body.id);
    expect(third.status).toBe(409);
    expect(third.body.code).toBe('ALREADY_PAID');
    expect(await balance(user.token)).toBe(40_000);
  });

  it('cancels a hold at once and refunds a purchase before the cutoff', async () => {
    const user = await ctx.createUser({ balance: 50_000 });
    const { scheduleId, seatIds } = await ctx.createSchedule({ price: 10_000 });
    const held = await hold(user.token, scheduleId, [seatIds[0]!]);
    const cancelled = await ctx.request('DELETE', `/api/v1/reservations/${held.body.id}`, { token: user.token });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('CANCELLED');
    await recordHistory(ctx.temporal.workflow.getHandle(reservationWorkflowId(held.body.id)), 'hold-cancel');
    expect((await ctx.request('GET', `/api/v1/schedules/${scheduleId}/seats?status=AVAILABLE`)).body.items).toHaveLength(seatIds.length);

    const bought = await hold(user.token, scheduleId, [seatIds[0]!]);
    expect((await pay(user.token, bought.body.id)).status).toBe(200);
    expect(await balance(user.token)).toBe(40_000);
    const refunded = await ctx.request('DELETE', `/api/v1/reservations/${bought.body.id}`, { token: user.token });
    expect(refunded.status).toBe(200);
    expect(refunded.body.status).toBe('REFUNDED');
    expect(await balance(user.token)).toBe(50_000);
    expect((await ctx.request('GET', `/api/v1/schedules/${scheduleId}/seats?status=AVAILABLE`)).body.items).toHaveLength(seatIds.length);
    await recordHistory(ctx.temporal.workflow.getHandle(refundWorkflowId(bought.body.id)), 'refund');
    // Operators find the refund by the same attributes as the purchase.
    await eventually(async () => {
      const found = [];
      for await (const wf of ctx.temporal.workflow.list({ query: `ReservationStatus = "REFUNDED" AND UserId = "${user.id}" AND ScheduleId = "${scheduleId}"` })) found.push(wf.workflowId);
      return found.includes(refundWorkflowId(bought.body.id));
    });
    // Cancelling again changes nothing.
    const again = await ctx.request('DELETE', `/api/v1/reservations/${bought.body.id}`, { token: user.token });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('NOT_CANCELLABLE');
    expect(await balance(user.token)).toBe(50_000);
  });

  it('refuses to cancel a purchase after the cancellation cutoff', async () => {
    const user = await ctx.createUser({ balance: 50_000 });
    // Starts in 10 hours; the default cutoff is 24 hours before the performance.
    const { scheduleId, seatIds } = await ctx.createSchedule({ price: 10_000, startsInHours: 10 });
    const bought = await hold(user.token, scheduleId, [seatIds[0]!]);
    expect((await pay(user.token, bought.body.id)).status).toBe(200);
    const late = await ctx.request('DELETE', `/api/v1/reservations/${bought.body.id}`, { token: user.token });
    expect(late.status).toBe(409);
    expect(late.body.code).toBe('CANCELLATION_CLOSED');
    expect(await balance(user.token)).toBe(40_000);
    // An administrator can still force it (and the refund goes through the same workflow).
    const admin = await ctx.createUser({ role: 'ADMIN' });
    const forced = await ctx.request('POST', `/api/v1/admin/reservations/${bought.body.id}/cancel`, { token: admin.token });
    expect(forced.status).toBe(200);
    expect(forced.body.status).toBe('REFUNDED');
    expect(await balance(user.token)).toBe(50_000);
    // Recorded through identity's SecurityAudit: in identity's outbox, on identity's aggregate of the admin.
    const [actions] = await ctx.identityPool.query(`SELECT payload FROM domain_events WHERE type = 'AdminAction' AND aggregate_id = ?`, [`identity-admin-${admin.id}`]);
    expect((actions as Array<{ payload: string }>).map((a) => JSON.parse(a.payload))).toEqual([
      { adminId: admin.id, action: 'reservation.force-cancel', target: `reservation-${bought.body.id}`, detail: 'now REFUNDED' },
    ]);
    expect((await ctx.request('POST', `/api/v1/admin/reservations/${bought.body.id}/cancel`, { token: user.token })).status).toBe(403);
  });

  it('shows only the user’s own reservations, newest first, paginated; anyone else’s is a 404', async () => {
    const [owner, other] = [await ctx.createUser({ balance: 10_000 }), await ctx.createUser({ balance: 10_000 })];
    const { scheduleId, seatIds } = await ctx.createSchedule();
    const ids: string[] = [];
    for (const seat of seatIds.slice(0, 3)) ids.push((await hold(owner.token, scheduleId, [seat])).body.id);
    const page1 = await ctx.request('GET', '/api/v1/reservations?page=1&pageSize=2', { token: owner.token });
    expect(page1.body.total).toBe(3);
    expect(page1.body.items.map((r: { id: string }) => r.id)).toEqual([ids[2], ids[1]]);
    const page2 = await ctx.request('GET', '/api/v1/reservations?page=2&pageSize=2', { token: owner.token });
    expect(page2.body.items.map((r: { id: string }) => r.id)).toEqual([ids[0]]);

    expect((await ctx.request('GET', '/api/v1/reservations', { token: other.token })).body.total).toBe(0);
    for (const [method, path] of [
      ['GET', `/api/v1/reservations/${ids[0]}`],
      ['POST', `/api/v1/reservations/${ids[0]}/payment`],
      ['DELETE', `/api/v1/reservations/${ids[0]}`],
    ] as const) {
      const res = await ctx.request(method, path, { token: other.token });
      expect(res.status, `${method} ${path}`).toBe(404);
    }
    expect((await ctx.request('GET', `/api/v1/reservations/${ids[0]}`, { token: owner.token })).body.status).toBe('HELD');
    expect(await balance(owner.token)).toBe(10_000);
    expect((await ctx.request('GET', '/api/v1/reservations')).status).toBe(401);
  });

  it('Idempotency-Key edges: a stored 4xx replays, an expired key is claimed afresh, a key reused after its workflow closed answers with what it left', async () => {
    const user = await ctx.createUser({ balance: 5_000 });
    const other = await ctx.createUser();
    const { scheduleId, seatIds } = await ctx.createSchedule({ price: 10_000 });
    const expireKey = (key: string) => ctx.pool.query(`UPDATE idempotency_keys SET expires_at = UTC_TIMESTAMP(3) - INTERVAL 1 SECOND WHERE user_id = ? AND idem_key = ?`, [user.id, key]);

    // A stored 4xx is the answer for that key, even after the cause went away.
    const held = await hold(user.token, scheduleId, [seatIds[0]!]);
    const poor = await pay(user.token, held.body.id, `pay-4xx-0001-${ctx.id}`);
    expect([poor.status, poor.body.code]).toEqual([402, 'INSUFFICIENT_BALANCE']);
    expect((await ctx.request('POST', '/api/v1/wallet/charges', { token: user.token, body: { amount: 10_000 }, headers: { 'idempotency-key': `edge-charge-1-${ctx.id}` } })).status).toBe(201);
    const replayed = await pay(user.token, held.body.id, `pay-4xx-0001-${ctx.id}`);
    expect(replayed.status).toBe(402);
    expect(replayed.body).toMatchObject({ code: poor.body.code, detail: poor.body.detail, status: 402, type: poor.body.type });
    expect(replayed.headers.get('idempotent-replayed')).toBe('true');
    expect(replayed.headers.get('content-type')).toContain('application/problem+json');
    expect(await balance(user.token)).toBe(15_000);
    expect((await pay(user.token, held.body.id, `pay-4xx-0002-${ctx.id}`)).status).toBe(200);
    expect(await balance(user.token)).toBe(5_000);

    // An expired key is claimed afresh (another body is no longer a 422), yet the effect behind it
    // stays idempotent: the charge keyed by it is not applied twice.
    await expireKey(`edge-charge-1-${ctx.id}`);
    const again = await ctx.request('POST', '/api/v1/wallet/charges', { token: user.token, body: { amount: 20_000 }, headers: { 'idempotency-key': `edge-charge-1-${ctx.id}` } });
    expect(again.status).not.toBe(422);
    expect(again.headers.get('idempotent-replayed')).toBeNull();
    expect(await balance(user.token)).toBe(5_000);

    // A key reused after its workflow closed (record expired, reservation cancelled): the answer is
    // the reservation that key made, as it is now; no second hold, and the seat stays free for others.
    const first = await hold(user.token, scheduleId, [seatIds[1]!], `closed-key-0001-${ctx.id}`);
    expect(first.status).toBe(201);
    expect((await ctx.request('DELETE', `/api/v1/reservations/${first.body.id}`, { token: user.token })).body.status).toBe('CANCELLED');
    await expireKey(`closed-key-0001-${ctx.id}`);
    const reused = await hold(user.token, scheduleId, [seatIds[1]!], `closed-key-0001-${ctx.id}`);
    expect(reused.body.id).toBe(first.body.id);
    expect(reused.body.status).toBe('CANCELLED');
    const [n] = (await ctx.pool.query(`SELECT COUNT(*) n FROM reservations WHERE user_id = ?`, [user.id]))[0] as Array<{ n: number }>;
    expect(Number(n!.n)).toBe(2);
    expect((await hold(other.token, scheduleId, [seatIds[1]!])).status).toBe(201);

    // Reused after a purchase: the answer is the purchase, and the seat stays marked sold in Redis.
    const bought = await hold(user.token, scheduleId, [seatIds[2]!], `sold-key-0001-${ctx.id}`);
    expect((await ctx.request('POST', '/api/v1/wallet/charges', { token: user.token, body: { amount: 10_000 }, headers: { 'idempotency-key': `edge-charge-2-${ctx.id}` } })).status).toBe(201);
    expect((await pay(user.token, bought.body.id)).status).toBe(200);
    await expireKey(`sold-key-0001-${ctx.id}`);
    const reusedSold = await hold(user.token, scheduleId, [seatIds[2]!], `sold-key-0001-${ctx.id}`);
    expect([reusedSold.body.id, reusedSold.body.status]).toEqual([bought.body.id, 'CONFIRMED']);
    expect(await seatClaim(ctx.redis, scheduleId, seatIds[2]!)).toBe(`sold:${bought.body.id}`);
    expect((await hold(other.token, scheduleId, [seatIds[2]!])).body.code).toBe('SEAT_UNAVAILABLE');
  });

  it('honours Idempotency-Key: same key and body replay the answer, another body gets 422', async () => {
    const user = await ctx.createUser({ balance: 100_000 });
    const { scheduleId, seatIds } = await ctx.createSchedule({ price: 10_000 });
    const first = await hold(user.token, scheduleId, [seatIds[0]!], 'hold-key-0001');
    const replay = await hold(user.token, scheduleId, [seatIds[0]!], 'hold-key-0001');
    expect(first.status).toBe(201);
    expect(replay.status).toBe(201);
    expect(replay.body).toEqual(first.body);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    const misuse = await hold(user.token, scheduleId, [seatIds[1]!], 'hold-key-0001');
    expect(misuse.status).toBe(422);
    expect(misuse.body.code).toBe('IDEMPOTENCY_KEY_REUSED');
    // Concurrent duplicates: one workflow, one reservation.
    const burst = await Promise.all(Array.from({ length: 5 }, () => hold(user.token, scheduleId, [seatIds[2]!], 'hold-key-0002')));
    const created = new Set(burst.filter((r) => r.status === 201).map((r) => r.body.id));
    expect(created.size).toBe(1);
    expect(burst.every((r) => r.status === 201 || (r.status === 409 && r.body.code === 'IDEMPOTENCY_IN_PROGRESS'))).toBe(true);
    expect((await ctx.request('GET', '/api/v1/reservations', { token: user.token })).body.total).toBe(2);

    const p1 = await pay(user.token, first.body.id, 'pay-key-0001');
    const p2 = await pay(user.token, first.body.id, 'pay-key-0001');
    expect(p1.status).toBe(200);
    expect(p2.body).toEqual(p1.body);
    expect(await balance(user.token)).toBe(90_000);

    const c1 = await ctx.request('POST', '/api/v1/wallet/charges', { token: user.token, body: { amount: 1_000 }, headers: { 'idempotency-key': 'charge-key-1' } });
    const c2 = await ctx.request('POST', '/api/v1/wallet/charges', { token: user.token, body: { amount: 1_000 }, headers: { 'idempotency-key': 'charge-key-1' } });
    const c3 = await ctx.request('POST', '/api/v1/wallet/charges', { token: user.token, body: { amount: 2_000 }, headers: { 'idempotency-key': 'charge-key-1' } });
    expect([c1.status, c2.status, c3.status]).toEqual([201, 201, 422]);
    expect(await balance(user.token)).toBe(91_000);
  });

  it('validates input with problem+json and changes nothing', async () => {
    const user = await ctx.createUser({ balance: 10_000 });
    const { scheduleId, seatIds } = await ctx.createSchedule({ maxSeats: 2 });
    const cases: Array<[unknown, number, string]> = [
      [{ scheduleId, seatIds: [] }, 400, 'VALIDATION_FAILED'],
      [{ scheduleId, seatIds: [seatIds[0], seatIds[0]] }, 400, 'VALIDATION_FAILED'],
      [{ scheduleId, seatIds: seatIds.slice(0, 3) }, 400, 'TOO_MANY_SEATS'],
      [{ scheduleId: 'x', seatIds: [1] }, 400, 'VALIDATION_FAILED'],
      [{ scheduleId, seatIds: [1.5] }, 400, 'VALIDATION_FAILED'],
      [{ scheduleId, seatIds: [seatIds[0]], userId: 1 }, 400, 'VALIDATION_FAILED'],
      [{ scheduleId: 999_999, seatIds: [1] }, 404, 'NOT_FOUND'],
      ['{not json', 400, 'VALIDATION_FAILED'],
    ];
    for (const [body, status, code] of cases) {
      const res = await ctx.request('POST', '/api/v1/reservations', { token: user.token, body });
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect(res.body.code).toBe(code);
      expect(JSON.stringify(res.body)).not.toMatch(/at .*\.ts:|stack|SELECT/i);
    }
    for (const amount of [0, -5, 1.5, 10_000_001, '100']) {
      const res = await ctx.request('POST', '/api/v1/wallet/charges', { token: user.token, body: { amount }, headers: { 'idempotency-key': `bad-charge-${String(amount)}` } });
      expect(res.status, String(amount)).toBe(400);
    }
    expect((await ctx.request('POST', '/api/v1/wallet/charges', { token: user.token, body: { amount: 10 } })).status).toBe(400);
    expect((await ctx.request('GET', '/api/v1/reservations/not-an-id', { token: user.token })).status).toBe(400);
    expect((await ctx.request('GET', '/api/v1/concerts?pageSize=1000')).status).toBe(400);
    expect((await ctx.request('GET', `/api/v1/schedules/${scheduleId}/seats?status=GONE`)).status).toBe(400);
    expect((await ctx.request('GET', '/api/v1/reservations', { token: user.token })).body.total).toBe(0);
    expect(await balance(user.token)).toBe(10_000);
  });

  it('refuses holds outside the sale window', async () => {
    const user = await ctx.createUser();
    const now = Date.now();
    const created = await ctx.services.catalog.createConcert(
      {
        title: 'Later',
        artist: 'A',
        description: '',
        venue: 'V',
        schedules: [{ startsAt: new Date(now + 30 * 86_400_000), saleOpensAt: new Date(now + 86_400_000), saleClosesAt: new Date(now + 2 * 86_400_000) }],
        sections: [{ name: 'A', tier: 'R', price: 1000, rows: 1, seatsPerRow: 2 }],
      },
      null,
    );
    const seat = (await ctx.services.catalog.seatsOfSchedule(created.scheduleIds[0]!))[0]!;
    const res = await hold(user.token, created.scheduleIds[0]!, [seat.id]);
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('SALE_NOT_OPEN');
  });

  it('lists concerts with pagination and a date filter; admins create concerts with a seat map', async () => {
    const admin = await ctx.createUser({ role: 'ADMIN' });
    const user = await ctx.createUser();
    const body = {
      title: 'Admin Made',
      artist: 'Band',
      venue: 'Hall',
      schedules: [{ startsAt: '2031-03-01T10:00:00Z', saleOpensAt: '2031-01-01T00:00:00Z', saleClosesAt: '2031-02-28T00:00:00Z' }],
      sections: [
        { name: 'VIP', tier: 'VIP', price: 200_000, rows: 2, seatsPerRow: 5 },
        { name: 'R', tier: 'R', price: 100_000, rows: 3, seatsPerRow: 4 },
      ],
    };
    expect((await ctx.request('POST', '/api/v1/admin/concerts', { token: user.token, body })).status).toBe(403);
    expect((await ctx.request('POST', '/api/v1/admin/concerts', { body })).status).toBe(401);
    expect((await ctx.request('POST', '/api/v1/admin/concerts', { token: admin.token, body: { ...body, sections: [] } })).status).toBe(400);
    const created = await ctx.request('POST', '/api/v1/admin/concerts', { token: admin.token, body });
    expect(created.status).toBe(201);
    expect(created.body.seatCount).toBe(22);
    const seats = await ctx.request('GET', `/api/v1/schedules/${created.body.scheduleIds[0]}/seats`);
    expect(seats.body.items.filter((s: { tier: string }) => s.tier === 'VIP')).toHaveLength(10);
    expect(seats.body.items.find((s: { section: string; row: string; number: number }) => s.section === 'R' && s.row === 'C' && s.number === 4)).toMatchObject({ price: 100_000 });

    const inRange = await ctx.request('GET', '/api/v1/concerts?from=2031-02-01T00:00:00Z&to=2031-04-01T00:00:00Z');
    expect(inRange.body.items.map((c: { id: number }) => c.id)).toEqual([created.body.concertId]);
    const detail = await ctx.request('GET', `/api/v1/concerts/${created.body.concertId}`);
    expect(detail.body.title).toBe('Admin Made');
    expect((await ctx.request('GET', '/api/v1/concerts/999999')).status).toBe(404);
    const paged = await ctx.request('GET', '/api/v1/concerts?page=1&pageSize=1');
    expect(paged.body.items).toHaveLength(1);
    expect(paged.body.total).toBeGreaterThan(1);
  });
});
