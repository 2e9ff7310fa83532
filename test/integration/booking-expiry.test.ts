import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, eventually, type TestContext } from '../support/harness.js';
import { recordHistory } from '../support/histories.js';
import { checkInvariants } from '../support/invariants.js';
import { reservationWorkflowId } from '../../workflows/booking/reservation-contract.js';

/** Hold expiry with a short TTL, and a payment racing the expiry timer. */
describe('hold expiry', () => {
  let ctx: TestContext;
  // Long enough that a payment sent at once is decided before the deadline on a busy machine too.
  const TTL_S = 6;

  beforeAll(async () => {
    ctx = await createTestContext({ env: { HOLD_TTL_SECONDS: String(TTL_S) } });
  });
  afterAll(async () => {
    await ctx?.close();
  });

  it('expires an unpaid hold: seats AVAILABLE again, reservation EXPIRED, a late payment refused and nothing charged', async () => {
    const user = await ctx.createUser({ balance: 50_000 });
    const { scheduleId, seatIds } = await ctx.createSchedule({ price: 10_000 });
    const held = await ctx.request('POST', '/api/v1/reservations', { token: user.token, body: { scheduleId, seatIds: [seatIds[0]] } });
    expect(held.status).toBe(201);
    const handle = ctx.temporal.workflow.getHandle(reservationWorkflowId(held.body.id));
    expect(await handle.query('state')).toMatchObject({ status: 'HELD' });
    // Invariant 3 checked while the hold is live: before expiresAt it must not have been released.
    expect(await checkInvariants(ctx.pool, { expiryGraceMs: 5_000, atLeast: { reservations: 1 } })).toEqual([]);

    const expired = await eventually(async () => {
      const r = await ctx.request('GET', `/api/v1/reservations/${held.body.id}`, { token: user.token });
      return r.body.status === 'EXPIRED' && r.body;
    }, 120_000);
    // Released by its timer, never before expiresAt (how long after depends on the machine: the
    // checker's grace bounds that); the log says so: held, then expired, nothing in between.
    expect(Date.parse(expired.closedAt)).toBeGreaterThanOrEqual(Date.parse(expired.expiresAt));
    const [log] = await ctx.pool.query(`SELECT type FROM domain_events WHERE aggregate_id = ? ORDER BY sequence`, [held.body.id]);
    expect((log as Array<{ type: string }>).map((e) => e.type)).toEqual(['ReservationHeld', 'ReservationExpired']);
    const seats = await ctx.request('GET', `/api/v1/schedules/${scheduleId}/seats?status=AVAILABLE`);
    expect(seats.body.items.map((s: { id: number }) => s.id)).toContain(seatIds[0]);

    const late = await ctx.request('POST', `/api/v1/reservations/${held.body.id}/payment`, { token: user.token });
    expect(late.status).toBe(409);
    expect(late.body.code).toBe('RESERVATION_EXPIRED');
    expect((await ctx.request('GET', '/api/v1/wallet', { token: user.token })).body.balance).toBe(50_000);
    // The seat is free for the next buyer, in Redis as well as MySQL.
    const other = await ctx.createUser();
    expect((await ctx.request('POST', '/api/v1/reservations', { token: other.token, body: { scheduleId, seatIds: [seatIds[0]] } })).status).toBe(201);
    await recordHistory(handle, 'hold-expire');
    expect(await checkInvariants(ctx.pool, { expiryGraceMs: 5_000 })).toEqual([]);
  });

  it('a payment racing the timer either confirms (seat never released) or is refused with nothing charged; both happen', async () => {
    // Payments aimed on both sides of expiresAt: "late" pays 300 ms after the deadline, so the decision
    // instant is past it whatever the timer did, and it must be refused; "early" pays at once and
    // "edge" within 150 ms of the deadline: either may go either way (a busy machine may take the
    // whole TTL to decide), but what was decided must agree with itself: a confirmation was paid
    // before the deadline and never released the seat; a refusal charged nothing.
    const kinds = ['early', 'late', 'edge'] as const;
    const outcomes = { confirmed: 0, refused: 0 };
    const users = await Promise.all(Array.from({ length: 12 }, () => ctx.createUser({ balance: 10_000 })));
    const { scheduleId, seatIds } = await ctx.createSchedule({ price: 10_000, rows: 1, seatsPerRow: 12 });
    let checkedLive = false;
    await Promise.all(
      users.map(async (user, i) => {
        const kind = kinds[i % 3]!;
        const held = await ctx.request('POST', '/api/v1/reservations', { token: user.token, body: { scheduleId, seatIds: [seatIds[i]] } });
        expect(held.status).toBe(201);
        const expiresAt = Date.parse(held.body.expiresAt);
        const at = kind === 'early' ? Date.now() : kind === 'late' ? expiresAt + 300 : expiresAt - 150 + (i % 6) * 50;
        await new Promise((r) => setTimeout(r, Math.max(0, at - Date.now())));
        if (kind === 'late' && !checkedLive) {
          // Holds live and past due (their timers are firing now): invariant 3 holds within its grace.
          checkedLive = true;
          expect(await checkInvariants(ctx.pool, { expiryGraceMs: 5_000 })).toEqual([]);
        }
        const paid = await ctx.request('POST', `/api/v1/reservations/${held.body.id}/payment`, { token: user.token });
        const wallet = (await ctx.request('GET', '/api/v1/wallet', { token: user.token })).body.balance;
        if (paid.status === 200) {
          outcomes.confirmed += 1;
          expect(kind).not.toBe('late');
          expect(wallet).toBe(0);
          const [events] = await ctx.pool.query(`SELECT type FROM domain_events WHERE aggregate_id = ? ORDER BY sequence`, [held.body.id]);
          // Confirmed means the seat went HELD -> SOLD without ever being released in between.
          expect((events as Array<{ type: string }>).map((e) => e.type)).toEqual(['ReservationHeld', 'ReservationConfirmed']);
          // Payment's own outbox (payment's database) has the one payment of this reservation...
          const [paid] = await ctx.paymentPool.query(`SELECT type FROM domain_events WHERE aggregate_id = ?`, [held.body.id]);
          expect((paid as Array<{ type: string }>).map((e) => e.type)).toEqual(['PaymentCompleted']);
          // ...and the money moved before the hold's deadline (stamped with the decision instant),
          // read from each database on its own.
          const [[payment]] = (await ctx.paymentPool.query(`SELECT created_at FROM payments WHERE reservation_id = ?`, [held.body.id])) as unknown as [Array<{ created_at: Date }>];
          const [[reservation]] = (await ctx.pool.query(`SELECT expires_at FROM reservations WHERE id = ?`, [held.body.id])) as unknown as [Array<{ expires_at: Date }>];
          expect(payment!.created_at.getTime()).toBeLessThan(reservation!.expires_at.getTime());
        } else {
          outcomes.refused += 1;
          expect(paid.status).toBe(409);
          expect(paid.body.code).toBe('RESERVATION_EXPIRED');
          expect(wallet).toBe(10_000);
        }
      }),
    );
    // Both outcomes happened (the late ones force refusals; a confirmation needs one payment decided
    // within the TTL, which the early ones have all of).
    expect(outcomes.confirmed).toBeGreaterThanOrEqual(1);
    expect(outcomes.refused).toBeGreaterThanOrEqual(4);
    await eventually(async () => {
      const [rows] = await ctx.pool.query(`SELECT COUNT(*) n FROM reservations WHERE status = 'HELD'`);
      return Number((rows as Array<{ n: number }>)[0]!.n) === 0;
    });
    expect(await checkInvariants(ctx.pool, { expiryGraceMs: 5_000, atLeast: { reservations: 13, confirmed: outcomes.confirmed, payments: outcomes.confirmed } })).toEqual([]);
    console.log(`payment vs expiry race: ${outcomes.confirmed} confirmed, ${outcomes.refused} refused`);
  });

  it('cancel racing payment and cancel racing expiry: whatever wins, the answers, money and seats agree', async () => {
    const { scheduleId, seatIds } = await ctx.createSchedule({ price: 10_000, rows: 1, seatsPerRow: 12 });
    const users = await Promise.all(Array.from({ length: 12 }, () => ctx.createUser({ balance: 10_000 })));
    const seen = new Set<string>();
    await Promise.all(
      users.map(async (user, i) => {
        const held = await ctx.request('POST', '/api/v1/reservations', { token: user.token, body: { scheduleId, seatIds: [seatIds[i]] } });
        expect(held.status).toBe(201);
        const id = held.body.id as string;
        const cancel = () => ctx.request('DELETE', `/api/v1/reservations/${id}`, { token: user.token });
        const payNow = () => ctx.request('POST', `/api/v1/reservations/${id}/payment`, { token: user.token });
        // Six ways, each outcome forced once on either side of the race, the race itself in between.
        const kind = (['pay-first', 'together', 'cancel-first', 'cancel-early', 'cancel-at-expiry', 'cancel-after-expiry'] as const)[i % 6]!;
        let final: string;
        if (kind === 'pay-first' || kind === 'together' || kind === 'cancel-first') {
          let c, p;
          if (kind === 'pay-first') [p, c] = [await payNow(), await cancel()];
          else if (kind === 'cancel-first') [c, p] = [await cancel(), await payNow()];
          else [c, p] = await Promise.all([cancel(), payNow()]);
          final = (await ctx.services.reservations.find(id))!.status;
          const wallet = (await ctx.request('GET', '/api/v1/wallet', { token: user.token })).body.balance;
          if (p.status === 200 && c.status === 409) {
            // Only when both were sent together: the payment won. The cancel is refused by the
            // workflow, which serves one update at a time: NOT_CANCELLABLE when it was accepted while the
            // payment round ran, ALREADY_PAID when it arrived after the confirmation. Either way the
            // purchase stands, is charged once, and the buyer may cancel it again to get a refund.
            expect(kind).toBe('together');
            expect(['NOT_CANCELLABLE', 'ALREADY_PAID']).toContain(c.body.code);
            expect([final, wallet]).toEqual(['CONFIRMED', 0]);
          } else if (p.status === 200) {
            // Paid first: the cancel then refunds the purchase.
            expect([c.status, c.body.status, final, wallet]).toEqual([200, 'REFUNDED', 'REFUNDED', 10_000]);
          } else {
            expect([p.status, c.status, c.body.status, final, wallet]).toEqual([409, 200, 'CANCELLED', 'CANCELLED', 10_000]);
          }
          if (kind === 'pay-first') expect(final).toBe('REFUNDED');
          if (kind === 'cancel-first') expect(final).toBe('CANCELLED');
        } else {
          // Cancel before, at (within 100 ms of) and after the expiry (TTL_S).
          const expiresAt = Date.parse(held.body.expiresAt);
          if (kind === 'cancel-at-expiry') await new Promise((r) => setTimeout(r, Math.max(0, expiresAt - 100 + (i % 4) * 50 - Date.now())));
          if (kind === 'cancel-after-expiry') await eventually(async () => (await ctx.services.reservations.find(id))!.status === 'EXPIRED');
          const c = await cancel();
          final = (await eventually(async () => {
            const r = await ctx.services.reservations.find(id);
            return r!.status !== 'HELD' && r;
          }))!.status;
          if (c.status === 200) expect([c.body.status, final]).toEqual(['CANCELLED', 'CANCELLED']);
          else expect([c.status, c.body.code, final]).toEqual([409, 'NOT_CANCELLABLE', 'EXPIRED']);
          if (kind === 'cancel-early') expect(final).toBe('CANCELLED');
          if (kind === 'cancel-after-expiry') expect(final).toBe('EXPIRED');
          expect((await ctx.request('GET', '/api/v1/wallet', { token: user.token })).body.balance).toBe(10_000);
        }
        seen.add(`${kind}/${final}`);
        // The seat is free again unless the reservation stands as a purchase.
        const seat = (await ctx.pool.query(`SELECT status FROM seat_status WHERE seat_id = ?`, [seatIds[i]]))[0] as Array<{ status: string }>;
        expect(seat[0]!.status).toBe(final === 'CONFIRMED' ? 'SOLD' : 'AVAILABLE');
      }),
    );
    console.log(`cancel races: ${[...seen].sort().join(', ')}`);
    expect(await checkInvariants(ctx.pool, { expiryGraceMs: 5_000, atLeast: { reservations: 12 } })).toEqual([]);
  });
});
