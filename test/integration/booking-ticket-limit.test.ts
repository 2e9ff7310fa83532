import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../support/harness.js';
import { checkInvariants, checkTicketLimit } from '../support/invariants.js';

/** Issue 10, seat hoarding: one buyer holds or owns at most N seats of a schedule, however they ask. */
describe('ticket limit per buyer and schedule', () => {
  let ctx: TestContext;
  const hold = (token: string, scheduleId: number, seatIds: number[]) => ctx.request('POST', '/api/v1/reservations', { token, body: { scheduleId, seatIds } });
  const liveSeats = async (userId: number, scheduleId: number) => {
    const [rows] = await ctx.pool.query<any[]>(
      `SELECT COUNT(*) n FROM reservations r JOIN reservation_seats rs ON rs.reservation_id = r.id
       WHERE r.user_id = ? AND r.schedule_id = ? AND r.status IN ('HELD','CONFIRMED')`,
      [userId, scheduleId],
    );
    return Number(rows[0].n);
  };

  beforeAll(async () => {
    ctx = await createTestContext();
  });
  afterAll(async () => {
    if (ctx) expect([...(await checkInvariants(ctx.pool)), ...(await checkTicketLimit(ctx.pool))]).toEqual([]);
    await ctx?.close();
  });

  it('counts live holds and purchases over all reservations (default 4), and frees room when one is released', async () => {
    const user = await ctx.createUser({ balance: 1_000_000 });
    const other = await ctx.createUser();
    const { concertId, scheduleId, seatIds } = await ctx.createSchedule({ rows: 2, seatsPerRow: 10 });
    const schedules = await ctx.request('GET', `/api/v1/concerts/${concertId}/schedules`);
    expect(schedules.body.items[0].maxTicketsPerUser).toBe(4);

    const first = await hold(user.token, scheduleId, [seatIds[0]!, seatIds[1]!]);
    expect(first.status).toBe(201);
    expect((await ctx.request('POST', `/api/v1/reservations/${first.body.id}/payment`, { token: user.token })).status).toBe(200);
    const second = await hold(user.token, scheduleId, [seatIds[2]!]);
    expect(second.status).toBe(201);

    const over = await hold(user.token, scheduleId, [seatIds[3]!, seatIds[4]!]);
    expect(over.status).toBe(409);
    expect(over.headers.get('content-type')).toContain('application/problem+json');
    expect(over.body).toMatchObject({ code: 'TICKET_LIMIT', limit: 4, held: 3 });
    // The refused hold left nothing: no reservation, and its seats are free for anyone.
    expect(await liveSeats(user.id, scheduleId)).toBe(3);
    expect((await hold(other.token, scheduleId, [seatIds[4]!])).status).toBe(201);

    expect((await hold(user.token, scheduleId, [seatIds[3]!])).status).toBe(201); // exactly 4
    expect((await hold(user.token, scheduleId, [seatIds[5]!])).body.code).toBe('TICKET_LIMIT');
    // Releasing a hold gives its seats back to the buyer's allowance.
    expect((await ctx.request('DELETE', `/api/v1/reservations/${second.body.id}`, { token: user.token })).status).toBe(200);
    expect((await hold(user.token, scheduleId, [seatIds[5]!])).status).toBe(201);
    // Another schedule has its own allowance.
    const elsewhere = await ctx.createSchedule();
    expect((await hold(user.token, elsewhere.scheduleId, elsewhere.seatIds.slice(0, 4))).status).toBe(201);
  });

  it('holds under the limit however many holds of one buyer race (checked in MySQL)', { timeout: 120_000 }, async () => {
    const user = await ctx.createUser();
    const { scheduleId, seatIds } = await ctx.createSchedule({ rows: 2, seatsPerRow: 10 });
    // 16 concurrent holds of one seat each, on distinct seats: the Redis seat locks let all through,
    // so only the hold transaction's per-buyer lock stands between them and 16 seats.
    const results = await Promise.all(seatIds.slice(0, 16).map((seat) => hold(user.token, scheduleId, [seat])));
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(4);
    expect(results.filter((r) => r.status !== 201).map((r) => r.body.code)).toEqual(Array(12).fill('TICKET_LIMIT'));
    expect(await liveSeats(user.id, scheduleId)).toBe(4);
    const [held] = await ctx.pool.query<any[]>(`SELECT COUNT(*) n FROM seat_status WHERE schedule_id = ? AND status = 'HELD'`, [scheduleId]);
    expect(Number(held[0].n)).toBe(4);
    expect(await checkTicketLimit(ctx.pool)).toEqual([]);
  });

  it('lets an admin set the limit per schedule; buyers and bad values are refused', async () => {
    const admin = await ctx.createUser({ role: 'ADMIN' });
    const user = await ctx.createUser();
    const { concertId, scheduleId, seatIds } = await ctx.createSchedule({ rows: 2, seatsPerRow: 10 });
    const patch = (token: string, id: number | string, body: unknown) => ctx.request('PATCH', `/api/v1/admin/schedules/${id}`, { token, body });

    expect((await patch(user.token, scheduleId, { maxTicketsPerUser: 10 })).status).toBe(403);
    for (const bad of [{ maxTicketsPerUser: 0 }, { maxTicketsPerUser: 101 }, { maxTicketsPerUser: 2.5 }, { maxTicketsPerUser: '6' }, {}, { maxTicketsPerUser: 6, status: 'X' }]) {
      const res = await patch(admin.token, scheduleId, bad);
      expect({ bad, status: res.status }).toEqual({ bad, status: 400 });
    }
    expect((await patch(admin.token, 99_999_999, { maxTicketsPerUser: 6 })).status).toBe(404);

    const set = await patch(admin.token, scheduleId, { maxTicketsPerUser: 6 });
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({ id: scheduleId, maxTicketsPerUser: 6 });
    const schedules = await ctx.request('GET', `/api/v1/concerts/${concertId}/schedules`);
    expect(schedules.body.items[0].maxTicketsPerUser).toBe(6);
    const [events] = await ctx.pool.query<any[]>(`SELECT payload FROM domain_events WHERE type = 'AdminAction' AND aggregate_id = ?`, [`admin-${admin.id}`]);
    expect(events.map((e) => JSON.parse(e.payload)).find((a) => a.action === 'schedule.update')).toMatchObject({ target: `schedule-${scheduleId}`, detail: JSON.stringify({ maxTicketsPerUser: { from: 4, to: 6 } }) });

    expect((await hold(user.token, scheduleId, seatIds.slice(0, 4))).status).toBe(201);
    expect((await hold(user.token, scheduleId, seatIds.slice(4, 6))).status).toBe(201);
    expect((await hold(user.token, scheduleId, [seatIds[6]!])).body).toMatchObject({ code: 'TICKET_LIMIT', limit: 6, held: 6 });

    // A concert created with its own limit.
    const now = Date.now();
    const created = await ctx.request('POST', '/api/v1/admin/concerts', {
      token: admin.token,
      body: {
        title: 'Limited',
        artist: 'A',
        venue: 'V',
        schedules: [{ startsAt: new Date(now + 86_400_000).toISOString(), saleOpensAt: new Date(now - 60_000).toISOString(), saleClosesAt: new Date(now + 3_600_000).toISOString(), maxTicketsPerUser: 2 }],
        sections: [{ name: 'A', tier: 'R', price: 1000, rows: 1, seatsPerRow: 5 }],
      },
    });
    expect(created.status).toBe(201);
    const limited = created.body.scheduleIds[0];
    const limitedSeats = (await ctx.request('GET', `/api/v1/schedules/${limited}/seats`)).body.items.map((s: { id: number }) => s.id);
    expect((await hold(user.token, limited, limitedSeats.slice(0, 3))).body).toMatchObject({ code: 'TICKET_LIMIT', limit: 2, held: 0 });
    expect((await hold(user.token, limited, limitedSeats.slice(0, 2))).status).toBe(201);
  });
});
