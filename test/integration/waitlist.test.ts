import { serve } from '@hono/node-server';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventConsumer } from '../../src/events/consumer.js';
import { notificationsConsumer } from '../../src/events/consumers/notifications.js';
import { Metrics } from '../../src/platform/observability/metrics.js';
import { ensureTopics, openEventStream, receiveAllLogged } from '../support/events.js';
import { createTestContext, eventually, type TestContext } from '../support/harness.js';
import { recordHistory } from '../support/histories.js';
import { checkInvariants, checkTicketLimit } from '../support/invariants.js';
import { startRelay } from '../support/kafka.js';
import { reservationWorkflowId } from '../../workflows/booking/reservation-contract.js';

type User = Awaited<ReturnType<TestContext['createUser']>>;

/** The API calls these tests make, as a client makes them (one set per describe's context). */
function client(ctx: () => TestContext) {
  const hold = (u: User, scheduleId: number, seatIds: number[]) => ctx().request('POST', '/api/v1/reservations', { token: u.token, body: { scheduleId, seatIds } });
  const cancel = (u: User, reservationId: string) => ctx().request('DELETE', `/api/v1/reservations/${reservationId}`, { token: u.token });
  /**
   * A cancel as a client makes it under load: a 503 (the answer did not come within the request
   * deadline) is retried with the same Idempotency-Key until the decision is known.
   */
  const cancelRetrying = (u: User, reservationId: string) =>
    eventually(async () => {
      const r = await ctx().request('DELETE', `/api/v1/reservations/${reservationId}`, { token: u.token, headers: { 'idempotency-key': `cancel-${reservationId}` } });
      return r.status === 503 || r.body?.code === 'IDEMPOTENCY_IN_PROGRESS' ? undefined : r;
    }, 60_000, 250);
  const pay = (u: User, reservationId: string) => ctx().request('POST', `/api/v1/reservations/${reservationId}/payment`, { token: u.token });
  const join = (u: User, body: Record<string, unknown>) => ctx().request('POST', '/api/v1/waitlist', { token: u.token, body });
  const entryOf = async (u: User, scheduleId: number) => {
    const r = await ctx().request('GET', '/api/v1/waitlist', { token: u.token });
    expect(r.status).toBe(200);
    return r.body.items.find((e: { scheduleId: number }) => e.scheduleId === scheduleId);
  };
  const offered = (u: User, scheduleId: number) =>
    eventually(async () => {
      const e = await entryOf(u, scheduleId);
      return e?.status === 'OFFERED' && e.offer?.status === 'HELD' && e;
    }, 20_000);
  const seatRows = async (seatIds: number[]) => {
    const [rows] = await ctx().pool.query('SELECT seat_id id, status, reservation_id FROM seat_status WHERE seat_id IN (?) ORDER BY seat_id', [seatIds]);
    return rows as Array<{ id: number; status: string; reservation_id: string | null }>;
  };
  const publicSeats = async (scheduleId: number) =>
    (await ctx().request('GET', `/api/v1/schedules/${scheduleId}/seats?status=AVAILABLE`)).body.items.map((s: { id: number }) => s.id) as number[];
  return { hold, cancel, cancelRetrying, pay, join, entryOf, offered, seatRows, publicSeats };
}

/**
 * The waiting list for released seats (issue 11 part 1, docs/waitlist.md) on the real stack: holds
 * are long (nothing expires by accident); offers last OFFER_TTL_S so expiry is part of the test.
 */
describe('waiting list for released seats', () => {
  let ctx: TestContext;
  let relay: Awaited<ReturnType<typeof startRelay>>;
  let notifier: EventConsumer;
  let server: Server;
  let topics: string[];
  const OFFER_TTL_S = 10;

  beforeAll(async () => {
    ctx = await createTestContext({ env: { HOLD_TTL_SECONDS: '120', WAITLIST_OFFER_TTL_SECONDS: String(OFFER_TTL_S) } });
    topics = await ensureTopics(ctx);
    relay = await startRelay(ctx);
    notifier = notificationsConsumer({
      kafka: ctx.kafka,
      hub: ctx.services.notifications,
      log: pino({ level: 'silent' }),
      metrics: new Metrics(`wl-${ctx.id}`, false),
      topicPrefix: ctx.config.KAFKA_TOPIC_PREFIX,
      dedupSize: 1000,
    });
    notifier.start();
    await notifier.ready();
    server = serve({ fetch: ctx.app.fetch, hostname: '127.0.0.1', port: 0 }) as Server;
    await new Promise((r) => server.once('listening', r));
  });
  afterAll(async () => {
    ctx?.services.notifications.closeAll();
    await new Promise((r) => server?.close(r));
    await notifier?.stop();
    await relay?.stop();
    await ctx?.close();
  });

  const { hold, cancel, pay, join, entryOf, offered, seatRows, publicSeats } = client(() => ctx);

  it('offers released seats to the earliest matching entry only, never publicly; a decline and an expiry pass them on; with no match they go public', async () => {
    const [holder, bea, cal, dan] = await Promise.all([ctx.createUser(), ctx.createUser({ balance: 100_000 }), ctx.createUser(), ctx.createUser()]);
    const { scheduleId, seatIds } = await ctx.createSchedule({ rows: 1, seatsPerRow: 2 });
    // Seats on the public map: join is refused (hold them instead).
    const early = await join(bea, { scheduleId, quantity: 2 });
    expect(early.status).toBe(409);
    expect(early.body.code).toBe('SEATS_AVAILABLE');
    const held = await hold(holder, scheduleId, seatIds);
    expect(held.status).toBe(201);

    // Bad input: clear 4xx problems, nothing written.
    expect((await join(bea, { scheduleId, quantity: 0 })).status).toBe(400);
    // A tier the performance does not have is well-formed but names nothing, like an unknown schedule.
    expect((await join(bea, { scheduleId, quantity: 2, tier: 'NOPE' })).body.code).toBe('NOT_FOUND');
    expect((await join(bea, { scheduleId: 999_999, quantity: 1 })).status).toBe(404);
    expect((await join(bea, { scheduleId, quantity: 5 })).body.code).toBe('TICKET_LIMIT');
    expect((await ctx.request('DELETE', '/api/v1/waitlist/999999', { token: bea.token })).status).toBe(404);

    const b = await join(bea, { scheduleId, quantity: 2 });
    expect(b.status, JSON.stringify(b.body)).toBe(201);
    expect(b.body).toMatchObject({ status: 'WAITING', position: 1, quantity: 2, offer: null });
    expect((await join(bea, { scheduleId, quantity: 1 })).body.code).toBe('ALREADY_ON_WAITLIST');
    const c = await join(cal, { scheduleId, quantity: 1 });
    expect(c.body).toMatchObject({ status: 'WAITING', position: 2 });
    // Someone else's entry is indistinguishable from a missing one, and leaving it changes nothing.
    expect((await ctx.request('DELETE', `/api/v1/waitlist/${b.body.id}`, { token: cal.token })).status).toBe(404);
    expect((await entryOf(bea, scheduleId)).status).toBe('WAITING');

    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/events/stream`;
    const beaStream = await openEventStream(base, bea.token);
    expect(beaStream.status).toBe(200);

    // The holder cancels: both seats go to Bea (first in line, wants 2), none to Cal, none public.
    expect((await cancel(holder, held.body.id)).status).toBe(200);
    const bOffer = await offered(bea, scheduleId);
    expect(bOffer.offer.seats.map((s: { seatId: number }) => s.seatId)).toEqual(seatIds);
    const offerWindow = Date.parse(bOffer.offer.expiresAt) - Date.parse((await ctx.request('GET', `/api/v1/reservations/${held.body.id}`, { token: holder.token })).body.closedAt);
    expect(offerWindow).toBe(OFFER_TTL_S * 1000);
    expect(await seatRows(seatIds)).toEqual(seatIds.map((id) => ({ id, status: 'HELD', reservation_id: bOffer.offer.reservationId })));
    expect(await publicSeats(scheduleId)).toEqual([]);
    expect((await entryOf(cal, scheduleId)).status).toBe('WAITING');
    expect((await entryOf(cal, scheduleId)).position).toBe(2);
    // The seat locks moved to the offer: a public buyer is refused in Redis and in MySQL.
    const grab = await hold(dan, scheduleId, [seatIds[0]!]);
    expect(grab.status).toBe(409);
    expect(grab.body.code).toBe('SEAT_UNAVAILABLE');
    // The offer is Bea's reservation, with its workflow, and it reached her stream.
    const mine = await ctx.request('GET', '/api/v1/reservations', { token: bea.token });
    expect(mine.body.items.map((r: { id: string }) => r.id)).toContain(bOffer.offer.reservationId);
    const handle = ctx.temporal.workflow.getHandle(reservationWorkflowId(bOffer.offer.reservationId));
    await eventually(async () => (await handle.query<{ status: string }>('state')).status === 'HELD', 10_000);
    await eventually(async () => beaStream.events().some((e) => e.type === 'WaitlistOfferMade' && (e.envelope.payload as { reservationId?: string }).reservationId === bOffer.offer.reservationId), 20_000);
    await beaStream.close();
    expect(await checkInvariants(ctx.pool, { atLeast: { waitlistOffers: 1 } })).toEqual([]);

    // Bea declines: the next entry (Cal, wants 1) takes one seat; the other has no taker and goes public.
    const declined = await cancel(bea, bOffer.offer.reservationId);
    expect(declined.status, JSON.stringify(declined.body)).toBe(200);
    expect((await entryOf(bea, scheduleId)).status).toBe('DECLINED');
    const cOffer = await offered(cal, scheduleId);
    expect(cOffer.position).toBe(1);
    expect(cOffer.offer.seats.map((s: { seatId: number }) => s.seatId)).toEqual([seatIds[0]]);
    expect(await publicSeats(scheduleId)).toEqual([seatIds[1]]);
    await recordHistory(handle, 'waitlist-offer-declined');

    // Cal lets the offer expire: no entry left, so the seat returns to the public map. The waiting
    // list's database commits the entry's end before booking's commits the reservation's (a release
    // retried after booking rolled back finds the list's decision made), so for a moment the entry is
    // EXPIRED while its offer still reads HELD: wait for both.
    const lapsed = await eventually(async () => {
      const e = await entryOf(cal, scheduleId);
      return e.status === 'EXPIRED' && e.offer?.status !== 'HELD' && e;
    }, 30_000);
    expect(lapsed.offer.status).toBe('EXPIRED');
    expect(lapsed.position).toBeNull();
    await eventually(async () => (await publicSeats(scheduleId)).length === 2, 10_000);
    expect((await hold(dan, scheduleId, seatIds)).status).toBe(201);
    expect(await checkInvariants(ctx.pool, { expiryGraceMs: 5_000 })).toEqual([]);
  });

  it('an entry leaves once served, keeps its place after a partial offer, and leaves when its owner buys elsewhere', async () => {
    const [h1, h2, bea, eve] = await Promise.all([ctx.createUser(), ctx.createUser(), ctx.createUser({ balance: 100_000 }), ctx.createUser({ balance: 100_000 })]);
    // Two sections: A (tier R) and B (tier S), one row of two seats each.
    const created = await ctx.services.catalog.createConcert(
      {
        title: 'Waitlist two tiers',
        artist: 'Test',
        description: '',
        venue: 'Hall',
        schedules: [{ startsAt: new Date(Date.now() + 14 * 86_400_000), saleOpensAt: new Date(Date.now() - 3_600_000), saleClosesAt: new Date(Date.now() + 13 * 86_400_000) }],
        sections: [
          { name: 'A', tier: 'R', price: 10_000, rows: 1, seatsPerRow: 2 },
          { name: 'B', tier: 'S', price: 5_000, rows: 1, seatsPerRow: 2 },
        ],
      },
      null,
    );
    const scheduleId = created.scheduleIds[0]!;
    const seats = await ctx.services.catalog.seatsOfSchedule(scheduleId);
    const [r1, r2] = seats.filter((s) => s.section === 'A').map((s) => s.id) as [number, number];
    const [s1, s2] = seats.filter((s) => s.section === 'B').map((s) => s.id) as [number, number];
    const hr1 = await hold(h1, scheduleId, [r1]);
    const hr2 = await hold(h2, scheduleId, [r2]);
    const hs = await hold(h1, scheduleId, [s1, s2]);
    expect([hr1.status, hr2.status, hs.status]).toEqual([201, 201, 201]);

    // Bea wants two R seats; Eve wants one S seat.
    expect((await join(bea, { scheduleId, quantity: 2, tier: 'R' })).status).toBe(201);
    const e = await join(eve, { scheduleId, quantity: 1, section: 'B' });
    expect(e.body).toMatchObject({ status: 'WAITING', position: 2 });

    // One R seat comes back: Bea is offered what there is (one seat), pays, and waits on for one more, still first.
    await cancel(h1, hr1.body.id);
    const first = await offered(bea, scheduleId);
    expect(first.offer.seats.map((s: { seatId: number }) => s.seatId)).toEqual([r1]);
    expect((await entryOf(eve, scheduleId)).status).toBe('WAITING'); // an R seat is nothing to Eve
    const paid = await pay(bea, first.offer.reservationId);
    expect(paid.status, JSON.stringify(paid.body)).toBe(200);
    expect(await entryOf(bea, scheduleId)).toMatchObject({ status: 'WAITING', quantity: 1, position: 1 });

    // The other R seat comes back: Bea is served and leaves the list; Eve moves up.
    await cancel(h2, hr2.body.id);
    const second = await offered(bea, scheduleId);
    expect((await pay(bea, second.offer.reservationId)).status).toBe(200);
    expect(await entryOf(bea, scheduleId)).toMatchObject({ status: 'SERVED', quantity: 0, position: null });
    expect((await entryOf(eve, scheduleId)).position).toBe(1);

    // Eve buys elsewhere on the schedule (a seat Bea just released? no: an S seat coming back goes to
    // Eve's entry, so she buys the R seat a refund frees: the entry leaves the list with the purchase).
    const refund = await cancel(bea, first.offer.reservationId);
    expect(refund.body.status, JSON.stringify(refund.body)).toBe('REFUNDED');
    await eventually(async () => (await publicSeats(scheduleId)).includes(r1), 10_000);
    const bought = await hold(eve, scheduleId, [r1]);
    expect(bought.status).toBe(201);
    expect((await entryOf(eve, scheduleId)).status).toBe('WAITING'); // a hold is not a purchase
    expect((await pay(eve, bought.body.id)).status).toBe(200);
    expect(await entryOf(eve, scheduleId)).toMatchObject({ status: 'LEFT', position: null, reason: 'bought elsewhere on this performance' });
    // Now the S seats come back with nobody waiting for them: public.
    await cancel(h1, hs.body.id);
    await eventually(async () => (await publicSeats(scheduleId)).length === 2, 10_000);
    expect(await checkInvariants(ctx.pool, { atLeast: { confirmed: 2, waitlistOffers: 2 } })).toEqual([]);
  });

  it('respects the ticket limit: a buyer with no room left is passed over', async () => {
    const admin = await ctx.createUser({ role: 'ADMIN' });
    const [holder, bea, cal] = await Promise.all([ctx.createUser(), ctx.createUser(), ctx.createUser()]);
    const { scheduleId, seatIds } = await ctx.createSchedule({ rows: 1, seatsPerRow: 3 });
    const h = await hold(holder, scheduleId, [seatIds[0]!]);
    const hb = await hold(bea, scheduleId, [seatIds[1]!, seatIds[2]!]);
    expect([h.status, hb.status]).toEqual([201, 201]);
    const setTicketLimit = async (limit: number) =>
      (await ctx.request('PATCH', `/api/v1/admin/schedules/${scheduleId}`, { token: admin.token, body: { maxTicketsPerUser: limit } })).status;
    expect(await setTicketLimit(3)).toBe(200);
    // Bea holds 2 of her 3: asking for 2 more is over the limit, 1 is fine.
    const over = await join(bea, { scheduleId, quantity: 2 });
    expect(over.status).toBe(409);
    expect(over.body).toMatchObject({ code: 'TICKET_LIMIT', limit: 3, held: 2 });
    expect((await join(bea, { scheduleId, quantity: 1 })).status).toBe(201);
    expect((await join(cal, { scheduleId, quantity: 1 })).status).toBe(201);
    // The limit drops to 2 (an organiser's change): Bea has no room when the seat comes back, Cal gets it.
    expect(await setTicketLimit(2)).toBe(200);
    await cancel(holder, h.body.id);
    const c = await offered(cal, scheduleId);
    expect(c.offer.seats.map((s: { seatId: number }) => s.seatId)).toEqual([seatIds[0]]);
    expect(await entryOf(bea, scheduleId)).toMatchObject({ status: 'WAITING', position: 1, offer: null });
    expect(await checkTicketLimit(ctx.pool)).toEqual([]);
    expect(await checkInvariants(ctx.pool)).toEqual([]);
  });

  it('closeWaitingList closes every entry and makes no more offers', async () => {
    const [holder, bea] = await Promise.all([ctx.createUser(), ctx.createUser()]);
    const { scheduleId, seatIds } = await ctx.createSchedule({ rows: 1, seatsPerRow: 1 });
    const h = await hold(holder, scheduleId, seatIds);
    expect((await join(bea, { scheduleId, quantity: 1 })).status).toBe(201);
    expect(await ctx.services.waitlistRepo.closeWaitingList(scheduleId)).toEqual({ entriesClosed: 1 });
    expect(await ctx.services.waitlistRepo.closeWaitingList(scheduleId)).toEqual({ entriesClosed: 0 });
    expect(await entryOf(bea, scheduleId)).toMatchObject({ status: 'CLOSED', position: null });
    expect((await join(bea, { scheduleId, quantity: 1 })).body.code).toBe('WAITLIST_CLOSED');
    await cancel(holder, h.body.id);
    await eventually(async () => (await publicSeats(scheduleId)).length === 1, 10_000);
    expect(await checkInvariants(ctx.pool)).toEqual([]);
  });

  it('every waiting-list event in the log reaches Kafka, on the waitlist topic, keyed by its aggregate', async () => {
    const received = await receiveAllLogged(ctx, topics, `${ctx.id}-waitlist-publish`, 60_000);
    const waitlistEvents = received.filter((r) => r.event.aggregateType === 'waitlist');
    expect([...new Set(waitlistEvents.map((r) => r.event.type))].sort()).toEqual(['WaitlistClosed', 'WaitlistEntryChanged', 'WaitlistJoined', 'WaitlistOfferMade']);
    for (const r of waitlistEvents) {
      expect(r.topic).toBe(`${ctx.config.KAFKA_TOPIC_PREFIX}waitlist`);
      expect(r.key).toBe(r.event.aggregateId);
    }
  });
});

/**
 * The concurrency test in a context of its own, with offers that outlast it: every offer is paid or
 * declined on purpose, so no expiry runs while the invariants are checked.
 */
describe('waiting list under concurrency', () => {
  let ctx: TestContext;

  beforeAll(async () => {
    ctx = await createTestContext({ env: { HOLD_TTL_SECONDS: '300', WAITLIST_OFFER_TTL_SECONDS: '300' } });
  });
  afterAll(async () => {
    await ctx?.close();
  });

  const { hold, cancelRetrying, pay, join, entryOf } = client(() => ctx);

  it('concurrent releases, joins, payments and declines never give one seat to two buyers', async () => {
    const SEATS = 16;
    const holders = await Promise.all(Array.from({ length: SEATS / 2 }, () => ctx.createUser()));
    const waiters = await Promise.all(Array.from({ length: 12 }, () => ctx.createUser({ balance: 100_000 })));
    const { scheduleId, seatIds } = await ctx.createSchedule({ rows: 2, seatsPerRow: SEATS / 2 });
    const holds = await Promise.all(holders.map((u, i) => hold(u, scheduleId, [seatIds[2 * i]!, seatIds[2 * i + 1]!])));
    expect(holds.map((h) => h.status)).toEqual(holders.map(() => 201));
    // Half the waiters join first; then the rest join while every holder cancels at once.
    const joined = await Promise.all(waiters.slice(0, 6).map((u, i) => join(u, { scheduleId, quantity: 1 + (i % 2) })));
    expect(joined.map((j) => j.status)).toEqual(joined.map(() => 201));
    const racing = await Promise.all([
      ...waiters.slice(6).map((u, i) => join(u, { scheduleId, quantity: 1 + (i % 2) })),
      ...holders.map((u, i) => cancelRetrying(u, holds[i]!.body.id)),
    ]);
    // A late join may find seats public (every entry served before it): SEATS_AVAILABLE, nothing else.
    for (const r of racing.slice(0, 6)) expect(r.status === 201 || r.body.code === 'SEATS_AVAILABLE', JSON.stringify(r.body)).toBe(true);
    for (const r of racing.slice(6)) expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(await checkInvariants(ctx.pool, { atLeast: { waitlistOffers: 6 } })).toEqual([]);

    // Every offered buyer pays or declines at once (alternating): declines pass seats on meanwhile.
    for (let round = 0; round < 4; round++) {
      const live = (await Promise.all(waiters.map(async (u) => ({ u, e: await entryOf(u, scheduleId) })))).filter((x) => x.e?.status === 'OFFERED' && x.e.offer?.status === 'HELD');
      if (live.length === 0) break;
      const answers = await Promise.all(live.map(({ u, e }, i) => (i % 2 === 0 ? pay(u, e.offer.reservationId) : cancelRetrying(u, e.offer.reservationId))));
      // A payment may time out under load (503): whatever was decided, the invariants judge it.
      for (const a of answers) expect([200, 409, 503], JSON.stringify(a.body)).toContain(a.status);
      expect(await checkInvariants(ctx.pool)).toEqual([]);
      expect(await checkTicketLimit(ctx.pool)).toEqual([]);
    }
    // Each seat is in at most one live reservation, and each waiter bought at most what they asked.
    const [sold] = await ctx.pool.query(
      `SELECT r.user_id, COUNT(*) n FROM reservations r JOIN reservation_seats rs ON rs.reservation_id = r.id WHERE r.schedule_id = ? AND r.status = 'CONFIRMED' GROUP BY r.user_id`,
      [scheduleId],
    );
    expect((sold as unknown[]).length).toBeGreaterThan(0);
    console.log(`concurrent waiting list: ${(sold as unknown[]).length} buyers served from ${SEATS} released seats`);
    expect(await checkInvariants(ctx.pool, { expiryGraceMs: 5_000 })).toEqual([]);
  });

});
