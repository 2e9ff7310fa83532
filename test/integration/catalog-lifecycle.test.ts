import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cancellationPhaseKey, cancellationProcessedKey } from '../../workflows/catalog/schedule-cancellation-contract.js';
import { createTestContext, eventually, type TestContext } from '../support/harness.js';
import { recordHistory } from '../support/histories.js';
import { checkInvariants, checkScheduleLifecycle } from '../support/invariants.js';
import { reservationWorkflowId } from '../../workflows/booking/reservation-contract.js';

/**
 * Issue 11 part 2, the organiser's side of the catalog after creation: add a performance, edit a
 * concert and a schedule (dates checked, hold TTL applied to the next hold), pause and resume a sale
 * (holds refused, the waiting room admits nobody), each change audited and idempotent; and what
 * buyers see (dates, price range, availability; each reserved seat's section, tier and row).
 */
describe('catalog lifecycle', () => {
  let ctx: TestContext;
  let admin: Awaited<ReturnType<TestContext['createUser']>>;
  const day = 86_400_000;
  const iso = (msFromNow: number) => new Date(Date.now() + msFromNow).toISOString();
  const hold = (token: string, scheduleId: number, seatIds: number[]) => ctx.request('POST', '/api/v1/reservations', { token, body: { scheduleId, seatIds } });
  const adminCall = (method: string, path: string, body?: unknown, key?: string) =>
    ctx.request(method, `/api/v1/admin${path}`, { token: admin.token, ...(body !== undefined ? { body } : {}), ...(key ? { headers: { 'idempotency-key': key } } : {}) });
  const count = async (sql: string, params: unknown[] = []) => Number(((await ctx.pool.query<any[]>(sql, params))[0][0] as { n: number }).n);
  // An admin's actions are in two outboxes: catalog's commit with its changes in booking's (`admin-<id>`),
  // those recorded through identity's SecurityAudit (a schedule's cancel) in identity's (`identity-admin-<id>`); merged by time.
  const adminActions = async () => {
    const sql = `SELECT payload, occurred_at FROM domain_events WHERE type = 'AdminAction' AND aggregate_id = ? ORDER BY sequence`;
    const [[booking], [identity]] = await Promise.all([ctx.pool.query<any[]>(sql, [`admin-${admin.id}`]), ctx.identityPool.query<any[]>(sql, [`identity-admin-${admin.id}`])]);
    return [...booking, ...identity]
      .sort((a, b) => a.occurred_at.getTime() - b.occurred_at.getTime())
      .map((e) => (typeof e.payload === 'string' ? JSON.parse(e.payload) : e.payload) as { action: string; target: string; detail: string });
  };
  const scheduleEvents = async (scheduleId: number) =>
    ((await ctx.pool.query<any[]>(`SELECT payload FROM domain_events WHERE type = 'ScheduleChanged' ORDER BY occurred_at, sequence`))[0])
      .map((e) => (typeof e.payload === 'string' ? JSON.parse(e.payload) : e.payload) as { scheduleId: number; change: string })
      .filter((p) => p.scheduleId === scheduleId)
      .map((p) => p.change);
  const section = { name: 'F', tier: 'VIP', price: 150_000, rows: 2, seatsPerRow: 5 };

  beforeAll(async () => {
    // Small batches and runs, so even a few reservations take several batches and a continue-as-new.
    ctx = await createTestContext({ env: { CANCELLATION_BATCH_SIZE: '2', CANCELLATION_BATCHES_PER_RUN: '2' } });
    admin = await ctx.createUser({ role: 'ADMIN' });
  });
  afterAll(async () => {
    if (ctx) expect([...(await checkInvariants(ctx.pool)), ...(await checkScheduleLifecycle(ctx.pool))]).toEqual([]);
    await ctx?.close();
  });

  it('refuses past or inconsistent dates with a 400 problem that creates nothing', async () => {
    const { concertId } = await ctx.createSchedule();
    const concertBody = (schedule: Record<string, string>) => ({ title: 'Old show', artist: 'A', venue: 'V', schedules: [schedule], sections: [section] });
    const before = await count('SELECT COUNT(*) n FROM schedules');
    const bad = [
      { startsAt: '2020-05-01T19:00:00Z', saleOpensAt: '2020-04-01T00:00:00Z', saleClosesAt: '2020-05-01T18:00:00Z' }, // the show dated 2020
      { startsAt: iso(10 * day), saleOpensAt: iso(5 * day), saleClosesAt: iso(4 * day) }, // opens after it closes
      { startsAt: iso(10 * day), saleOpensAt: iso(-day), saleClosesAt: iso(11 * day) }, // sale ends after the show
      { startsAt: iso(10 * day), saleOpensAt: iso(-2 * day), saleClosesAt: iso(-day) }, // sale already over
    ];
    for (const schedule of bad) {
      const created = await adminCall('POST', '/concerts', concertBody(schedule));
      expect({ schedule, status: created.status, code: created.body.code }).toEqual({ schedule, status: 400, code: 'VALIDATION_FAILED' });
      expect(created.headers.get('content-type')).toContain('application/problem+json');
      const added = await adminCall('POST', `/concerts/${concertId}/schedules`, { ...schedule, sections: [section] });
      expect({ schedule, status: added.status }).toEqual({ schedule, status: 400 });
    }
    expect(await count('SELECT COUNT(*) n FROM schedules')).toBe(before);
  });

  it('adds a performance with its own seat map to an existing concert, audited, once per Idempotency-Key', async () => {
    const user = await ctx.createUser();
    const { concertId } = await ctx.createSchedule();
    const body = { startsAt: iso(20 * day), saleOpensAt: iso(-60_000), saleClosesAt: iso(19 * day), maxTicketsPerUser: 6, holdTtlSeconds: 120, sections: [section] };
    expect((await ctx.request('POST', `/api/v1/admin/concerts/${concertId}/schedules`, { token: user.token, body })).status).toBe(403);
    expect((await adminCall('POST', '/concerts/99999999/schedules', body)).status).toBe(404);
    const key = `add-schedule-${ctx.id}`;
    const added = await adminCall('POST', `/concerts/${concertId}/schedules`, body, key);
    expect(added.status).toBe(201);
    expect(added.body.seatCount).toBe(10);
    const again = await adminCall('POST', `/concerts/${concertId}/schedules`, body, key);
    expect(again.body).toEqual(added.body);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    const listed = (await ctx.request('GET', `/api/v1/concerts/${concertId}/schedules`)).body.items;
    expect(listed).toHaveLength(2);
    expect(listed.find((s: { id: number }) => s.id === added.body.scheduleId)).toMatchObject({ status: 'SCHEDULED', maxTicketsPerUser: 6, seats: { total: 10, available: 10 } });
    expect((await adminActions()).filter((a) => a.action === 'schedule.add' && a.target === `schedule-${added.body.scheduleId}`)).toHaveLength(1);
    expect(await scheduleEvents(added.body.scheduleId)).toEqual(['ADDED']);
  });

  it('edits a concert and a schedule; the hold TTL applies to the next hold; bad edits change nothing', async () => {
    const user = await ctx.createUser();
    const { concertId, scheduleId, seatIds } = await ctx.createSchedule();
    const renamed = await adminCall('PATCH', `/concerts/${concertId}`, { title: 'Renamed night', venue: 'New Hall' });
    expect(renamed.status).toBe(200);
    expect((await ctx.request('GET', `/api/v1/concerts/${concertId}`)).body).toMatchObject({ title: 'Renamed night', venue: 'New Hall', artist: 'Test Artist' });
    expect((await adminCall('PATCH', `/concerts/${concertId}`, {})).status).toBe(400);

    const schedule = (await ctx.request('GET', `/api/v1/concerts/${concertId}/schedules`)).body.items[0];
    for (const bad of [{ saleClosesAt: iso(-60_000) }, { saleOpensAt: iso(30 * day) }, { saleClosesAt: iso(30 * day) }, { holdTtlSeconds: 5 }, { startsAt: iso(day) }]) {
      const res = await adminCall('PATCH', `/schedules/${scheduleId}`, bad);
      expect({ bad, status: res.status }).toEqual({ bad, status: 400 });
    }
    expect((await ctx.request('GET', `/api/v1/concerts/${concertId}/schedules`)).body.items[0]).toEqual(schedule);

    const newClose = iso(10 * day);
    const edited = await adminCall('PATCH', `/schedules/${scheduleId}`, { holdTtlSeconds: 45, saleClosesAt: newClose, maxSeatsPerReservation: 2 });
    expect(edited.status).toBe(200);
    expect(edited.body).toMatchObject({ id: scheduleId, holdTtlSeconds: 45, saleClosesAt: newClose, maxSeatsPerReservation: 2 });
    const short = await hold(user.token, scheduleId, [seatIds[0]!]);
    expect(short.status).toBe(201);
    expect(Date.parse(short.body.expiresAt) - Date.parse(short.body.createdAt)).toBe(45_000);
    expect((await hold(user.token, scheduleId, seatIds.slice(1, 4))).body.code).toBe('TOO_MANY_SEATS');

    expect((await adminCall('PATCH', `/schedules/${scheduleId}`, { holdTtlSeconds: null })).body.holdTtlSeconds).toBeNull();
    const usual = await hold(user.token, scheduleId, [seatIds[1]!]);
    expect(Date.parse(usual.body.expiresAt) - Date.parse(usual.body.createdAt)).toBe(ctx.config.HOLD_TTL_SECONDS * 1000);

    const actions = (await adminActions()).filter((a) => a.target === `schedule-${scheduleId}` || a.target === `concert-${concertId}`).map((a) => a.action);
    expect(actions).toEqual(['concert.update', 'schedule.update', 'schedule.update']);
    expect(JSON.parse((await adminActions()).filter((a) => a.action === 'schedule.update').at(-1)!.detail)).toEqual({ holdTtlSeconds: { from: 45, to: null } });
  });

  it('pauses a sale: holds get 409 SALE_PAUSED (even past a stale cache), payment of earlier holds works, the queue admits nobody until resumed', async () => {
    const buyer = await ctx.createUser({ balance: 100_000 });
    const waiter = await ctx.createUser();
    const { scheduleId, seatIds } = await ctx.createSchedule({ price: 10_000 });
    const before = await hold(buyer.token, scheduleId, [seatIds[0]!]);
    expect(before.status).toBe(201);

    const key = `pause-${ctx.id}`;
    const paused = await adminCall('POST', `/schedules/${scheduleId}/pause`, undefined, key);
    expect(paused.body).toEqual({ scheduleId, status: 'PAUSED' });
    expect((await adminCall('POST', `/schedules/${scheduleId}/pause`, undefined, key)).headers.get('idempotent-replayed')).toBe('true');
    const refused = await hold(buyer.token, scheduleId, [seatIds[1]!]);
    expect(refused.status).toBe(409);
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
    expect(refused.body.code).toBe('SALE_PAUSED');
    expect((await ctx.request('POST', `/api/v1/reservations/${before.body.id}/payment`, { token: buyer.token })).status).toBe(200);
    expect((await ctx.request('GET', `/api/v1/concerts/${(await ctx.services.catalog.findSchedule(scheduleId))!.concertId}/schedules`)).body.items[0].status).toBe('PAUSED');

    // The waiting room admits nobody while paused: a joiner keeps waiting through many ticks.
    const queue = ctx.services.queue;
    await ctx.request('PUT', `/api/v1/admin/schedules/${scheduleId}/queue`, { token: admin.token, body: { mode: 'manual', maxActive: 100, admitRatePerSec: 100 } });
    const joined = await queue.service.join(waiter.id, scheduleId);
    expect(joined.status).toBe('WAITING');
    for (let i = 0; i < 5; i++) await queue.service.tick(scheduleId);
    expect((await queue.service.status(waiter.id, joined.token)).status).toBe('WAITING');

    const resumed = await adminCall('POST', `/schedules/${scheduleId}/resume`);
    expect(resumed.body).toEqual({ scheduleId, status: 'SCHEDULED' });
    await eventually(async () => {
      await queue.service.tick(scheduleId);
      return (await queue.service.status(waiter.id, joined.token)).status === 'ACTIVE';
    });
    expect((await hold(buyer.token, scheduleId, [seatIds[1]!])).status).toBe(201);

    // Another API process would still have SCHEDULED cached for a few seconds: the hold transaction
    // reads the status under its lock and refuses anyway.
    await ctx.pool.query(`UPDATE schedules SET status = 'PAUSED' WHERE id = ?`, [scheduleId]);
    const stale = await hold(buyer.token, scheduleId, [seatIds[2]!]);
    expect(stale.body.code).toBe('SALE_PAUSED');
    expect(await count(`SELECT COUNT(*) n FROM seat_status WHERE seat_id = ? AND status = 'AVAILABLE'`, [seatIds[2]])).toBe(1);
    await ctx.pool.query(`UPDATE schedules SET status = 'SCHEDULED' WHERE id = ?`, [scheduleId]);

    expect(await scheduleEvents(scheduleId)).toEqual(['PAUSED', 'RESUMED']);
    const actions = (await adminActions()).filter((a) => a.target === `schedule-${scheduleId}`).map((a) => a.action);
    // One pause recorded (the replay recorded nothing), then the queue settings, then the resume.
    expect(actions).toEqual(['schedule.pause', 'queue.settings', 'schedule.resume']);
  });

  it('shows buyers dates, price range and availability, and each reserved seat with section, tier and row', async () => {
    const user = await ctx.createUser();
    // One clock reading for every date, so the two starts are exactly a day apart.
    const now = Date.now();
    const at = (msFromNow: number) => new Date(now + msFromNow).toISOString();
    const created = await adminCall('POST', '/concerts', {
      title: 'Summary night',
      artist: 'A',
      venue: 'V',
      schedules: [
        { startsAt: at(30 * day), saleOpensAt: at(-60_000), saleClosesAt: at(29 * day) },
        { startsAt: at(31 * day), saleOpensAt: at(-60_000), saleClosesAt: at(30 * day) },
      ],
      sections: [section, { name: 'G', tier: 'S', price: 50_000, rows: 1, seatsPerRow: 10 }],
    });
    expect(created.status).toBe(201);
    const [first, second] = created.body.scheduleIds as number[];
    const seats = (await ctx.request('GET', `/api/v1/schedules/${first}/seats`)).body.items as Array<{ id: number; section: string }>;
    const vip = seats.find((s) => s.section === 'F')!;
    const held = await hold(user.token, first!, [vip.id]);
    expect(held.status).toBe(201);
    expect(held.body.seats[0]).toMatchObject({ seatId: vip.id, section: 'F', tier: 'VIP', row: 'A', price: 150_000 });
    expect((await ctx.request('GET', `/api/v1/reservations/${held.body.id}`, { token: user.token })).body.seats[0]).toMatchObject({ section: 'F', tier: 'VIP', row: 'A' });
    await adminCall('POST', `/schedules/${second}/pause`);

    const detail = (await ctx.request('GET', `/api/v1/concerts/${created.body.concertId}`)).body;
    expect(detail.performances).toEqual({ count: 2, firstStartsAt: expect.any(String), lastStartsAt: expect.any(String) });
    expect(Date.parse(detail.performances.lastStartsAt) - Date.parse(detail.performances.firstStartsAt)).toBe(day);
    expect(detail.priceRange).toEqual({ min: 50_000, max: 150_000 });
    // 40 seats in all; the paused performance's 20 are not on sale, one of the other's is held.
    expect(detail.availability).toEqual({ total: 40, available: 19 });
    const listed = (await ctx.request('GET', '/api/v1/concerts?pageSize=50')).body.items.find((c: { id: number }) => c.id === created.body.concertId);
    expect(listed).toEqual(detail);
  });

  it('cancels a performance: holds released through their workflows, purchases refunded, queue closed, schedule CANCELLED', async () => {
    const buyer = await ctx.createUser({ balance: 100_000 });
    const { scheduleId, seatIds } = await ctx.createSchedule({ price: 10_000 });
    const holds = [];
    for (const seat of seatIds.slice(0, 4)) holds.push((await hold(buyer.token, scheduleId, [seat])).body);
    for (const h of holds.slice(0, 2)) expect((await ctx.request('POST', `/api/v1/reservations/${h.id}/payment`, { token: buyer.token })).status).toBe(200);
    const user = await ctx.createUser();
    expect((await ctx.request('POST', `/api/v1/admin/schedules/${scheduleId}/cancellation`, { token: user.token, body: { reason: 'x' } })).status).toBe(403);
    expect((await adminCall('POST', `/schedules/${scheduleId}/cancellation`, {})).status).toBe(400);
    expect((await adminCall('POST', '/schedules/99999999/cancellation', { reason: 'x' })).status).toBe(404);
    expect((await adminCall('GET', `/schedules/${scheduleId}/cancellation`)).status).toBe(404);

    const started = await adminCall('POST', `/schedules/${scheduleId}/cancellation`, { reason: 'the artist is ill' }, `cancel-${ctx.id}`);
    expect(started.status).toBe(202);
    const done = await eventually(async () => {
      const p = await adminCall('GET', `/schedules/${scheduleId}/cancellation`);
      return p.body.phase === 'DONE' && p.body;
    }, 60_000, 250);
    expect(done).toMatchObject({ scheduleId, reason: 'the artist is ill', liveAtStart: 4, processed: 4, holdsReleased: 2, purchasesRefunded: 2, amountRefunded: 20_000, batches: 2 });
    expect(done.runs).toBeGreaterThan(1); // 2 batches per run: the second batch's run continued as new
    // A repeated request joins the finished cancellation instead of starting another.
    expect((await adminCall('POST', `/schedules/${scheduleId}/cancellation`, { reason: 'again' })).body).toMatchObject({ phase: 'DONE', reason: 'the artist is ill' });

    const statuses = await Promise.all(holds.map(async (h) => (await ctx.request('GET', `/api/v1/reservations/${h.id}`, { token: buyer.token })).body));
    expect(statuses.map((r) => r.status)).toEqual(['REFUNDED', 'REFUNDED', 'CANCELLED', 'CANCELLED']);
    expect(statuses[2].reason).toBe('performance cancelled: the artist is ill');
    expect((await ctx.request('GET', '/api/v1/wallet', { token: buyer.token })).body.balance).toBe(100_000);
    // The holds' own workflows ended through their cancel path (none waits for its payment timer).
    for (const h of holds.slice(2)) expect((await ctx.temporal.workflow.getHandle(reservationWorkflowId(h.id)).describe()).status.name).toBe('COMPLETED');
    const refused = await hold(buyer.token, scheduleId, [seatIds[5]!]);
    expect(refused.body.code).toBe('PERFORMANCE_CANCELLED');
    expect((await adminCall('POST', `/schedules/${scheduleId}/resume`)).body.code).toBe('PERFORMANCE_CANCELLED');
    expect((await adminCall('PATCH', `/schedules/${scheduleId}`, { maxTicketsPerUser: 5 })).body.code).toBe('PERFORMANCE_CANCELLED');
    expect((await ctx.request('POST', '/api/v1/queue/tokens', { token: buyer.token, body: { scheduleId } })).body.code).toBe('SALE_NOT_OPEN');
    expect(await scheduleEvents(scheduleId)).toEqual(['CANCELLING', 'CANCELLED']);
    expect((await adminActions()).filter((a) => a.action === 'schedule.cancel' && a.target === `schedule-${scheduleId}`)).toHaveLength(1);

    const handle = ctx.temporal.workflow.getHandle(`${ctx.id}-schedule-${scheduleId}-cancellation`);
    const described = await handle.describe();
    expect(described.typedSearchAttributes.get(cancellationPhaseKey)).toBe('DONE');
    expect(described.typedSearchAttributes.get(cancellationProcessedKey)).toBe(4);
    await recordHistory(handle, 'schedule-cancellation-last-run');
    const runs = [];
    for await (const run of ctx.temporal.workflow.list({ query: `WorkflowId = "${ctx.id}-schedule-${scheduleId}-cancellation"` })) runs.push(run);
    expect(runs.length).toBe(done.runs);
    const first = runs.sort((a, b) => a.startTime.getTime() - b.startTime.getTime())[0]!;
    expect(first.status.name).toBe('CONTINUED_AS_NEW');
    await recordHistory(ctx.temporal.workflow.getHandle(first.workflowId, first.runId), 'schedule-cancellation-first-run');
  });
});
