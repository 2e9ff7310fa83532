import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventCatalog, type EventType } from '../../src/events/catalog.js';
import { createTestContext, eventually, type TestContext } from '../support/harness.js';
import { checkInvariants } from '../support/invariants.js';
import { ensureTopics, receiveAllLogged } from '../support/events.js';
import { startRelay } from '../support/kafka.js';

// This flow uses the waiting room only lightly (one buyer admitted at once, whose token the purchase
// ends), so the sale-end and admission-controller events come from test/integration/queue-*.test.ts,
// which check them in the log. They are published like any other, because every logged event must
// reach Kafka. Everything else, AdminAction and the QueueToken* events included, is required here.
// The catalog lifecycle's events come from test/integration/catalog-lifecycle.test.ts likewise; the
// waiting-list events need a sold-out schedule and a list: test/integration/waitlist.test.ts produces
// each and checks it reaches Kafka.
const NOT_PRODUCED_HERE: EventType[] = [
  // Ticket transfers: test/integration/ticket-transfer.test.ts.
  'TicketTransferOffered',
  'TicketTransferAccepted',
  'TicketTransferDeclined',
  'TicketTransferLapsed',
  'TicketTransferWithdrawn',
  'QueueSaleEnded',
  'QueueSaleReopened',
  'QueueAdmissionAdjusted',
  'ConcertUpdated',
  'ScheduleChanged',
  'WaitlistJoined',
  'WaitlistOfferMade',
  'WaitlistEntryChanged',
  'WaitlistClosed',
  // Card payments need the provider emulator: card-payments, card-expiry and card-provider-outage produce them.
  'CardPaymentFailed',
  'LatePaymentRefunded',
  'PaymentMismatch',
];

/** Every event type reaches Kafka, validated, keyed by aggregate id, in order per aggregate. */
describe('domain events: publication', () => {
  let ctx: TestContext;
  let relay: Awaited<ReturnType<typeof startRelay>>;
  let topics: string[];

  beforeAll(async () => {
    ctx = await createTestContext({ env: { HOLD_TTL_SECONDS: '2' } });
    topics = await ensureTopics(ctx);
    relay = await startRelay(ctx);
  });
  afterAll(async () => {
    await relay?.stop();
    await ctx?.close();
  });

  it('publishes every event type the flows produce, each once and in order per aggregate', async () => {
    // Identity: sign-up, a failed login (security event). Catalog: an admin creates a concert.
    const signup = await ctx.request('POST', '/api/v1/auth/signup', { body: { email: `ev-${ctx.id}@test.example`, password: 'correct-horse-battery', name: 'Events' } });
    expect(signup.status).toBe(201);
    const badLogin = await ctx.request('POST', '/api/v1/auth/login', { body: { email: `ev-${ctx.id}@test.example`, password: 'wrong-password-123' } });
    expect(badLogin.status).toBe(401);
    const admin = await ctx.createUser({ role: 'ADMIN' });
    const now = Date.now();
    const created = await ctx.request('POST', '/api/v1/admin/concerts', {
      token: admin.token,
      body: {
        title: 'Events night',
        artist: 'The Relays',
        venue: 'Hall',
        schedules: [{ startsAt: new Date(now + 14 * 86_400_000).toISOString(), saleOpensAt: new Date(now - 3_600_000).toISOString(), saleClosesAt: new Date(now + 13 * 86_400_000).toISOString() }],
        sections: [{ name: 'A', tier: 'R', price: 10_000, rows: 2, seatsPerRow: 10 }],
      },
    });
    expect(created.status).toBe(201);
    const scheduleId: number = created.body.scheduleIds[0];
    const seatsRes = await ctx.request('GET', `/api/v1/schedules/${scheduleId}/seats`);
    const seatIds: number[] = (seatsRes.body.seats ?? seatsRes.body.items ?? seatsRes.body).map((s: { id?: number; seatId?: number }) => s.id ?? s.seatId);
    expect(seatIds.length).toBe(20);

    // Wallet: a top-up through the API.
    const buyer = await ctx.createUser();
    expect((await ctx.request('POST', '/api/v1/wallet/charges', { token: buyer.token, body: { amount: 100_000 }, headers: { 'idempotency-key': `charge-${ctx.id}` } })).status).toBe(201);
    // Admin: queue settings (AdminAction). Queue: the buyer is admitted at once (QueueTokenAdmitted);
    // the purchase below ends the token as USED (QueueTokenExpired).
    expect((await ctx.request('PUT', `/api/v1/admin/schedules/${scheduleId}/queue`, { token: admin.token, body: { maxActive: 5 } })).status).toBe(200);
    const joined = await ctx.request('POST', '/api/v1/queue/tokens', { token: buyer.token, body: { scheduleId } });
    expect([joined.status, joined.body.status]).toEqual([200, 'ACTIVE']);

    const hold = async (seats: number[]) => {
      const res = await ctx.request('POST', '/api/v1/reservations', { token: buyer.token, body: { scheduleId, seatIds: seats } });
      expect(res.status).toBe(201);
      return res.body.id as string;
    };
    // Held -> Confirmed (payment, wallet debit) -> Refunded (payment and wallet refund).
    const paid = await hold([seatIds[0]!, seatIds[1]!]);
    expect((await ctx.request('POST', `/api/v1/reservations/${paid}/payment`, { token: buyer.token })).status).toBe(200);
    // Tickets: issued with the confirmation; door staff scan one (TicketScanned) of another purchase,
    // since a purchase with an admitted ticket is no longer refunded (TICKET_ADMITTED). Wallet: an admin adjustment.
    const admitted = await hold([seatIds[5]!]);
    expect((await ctx.request('POST', `/api/v1/reservations/${admitted}/payment`, { token: buyer.token })).status).toBe(200);
    const [ticket] = (await ctx.request('GET', `/api/v1/reservations/${admitted}/tickets`, { token: buyer.token })).body.items;
    const staff = await ctx.createUser({ role: 'STAFF' });
    expect((await ctx.request('POST', '/api/v1/entry/scans', { token: staff.token, body: { code: ticket.code } })).status).toBe(200);
    const adjustment = { token: admin.token, body: { amount: 1_000, reason: 'events check' }, headers: { 'idempotency-key': `adjust-${ctx.id}` } };
    expect((await ctx.request('POST', `/api/v1/admin/users/${buyer.id}/wallet-adjustments`, adjustment)).status).toBe(201);
    expect((await ctx.request('DELETE', `/api/v1/reservations/${paid}`, { token: buyer.token })).body.status).toBe('REFUNDED');
    // Held -> Cancelled.
    const cancelled = await hold([seatIds[2]!]);
    expect((await ctx.request('DELETE', `/api/v1/reservations/${cancelled}`, { token: buyer.token })).body.status).toBe('CANCELLED');
    // Held -> Expired (2 s hold TTL).
    const expired = await hold([seatIds[3]!]);
    // Held -> Failed: confirmation breaks after the debit, so the workflow refunds and releases.
    await ctx.stopWorker();
    await ctx.startWorker(() => ({
      confirmReservation: async () => {
        throw ApplicationFailure.create({ type: 'ConfirmationRejected', message: 'injected: seats could not be confirmed', nonRetryable: true });
      },
    }));
    const failed = await hold([seatIds[4]!]);
    expect((await ctx.request('POST', `/api/v1/reservations/${failed}/payment`, { token: buyer.token })).status).toBe(409);
    await ctx.stopWorker();
    await ctx.startWorker();
    await eventually(async () => (await ctx.request('GET', `/api/v1/reservations/${expired}`, { token: buyer.token })).body.status === 'EXPIRED', 20_000);
    expect((await ctx.request('GET', `/api/v1/reservations/${failed}`, { token: buyer.token })).body.status).toBe('FAILED');

    // Everything in the log reaches Kafka.
    await eventually(async () => (await ctx.request('GET', '/api/v1/queue/tokens/current', { token: buyer.token, headers: { 'x-queue-token': joined.body.token } })).body.status === 'EXPIRED');
    await ctx.services.queue.service.flush();
    const received = await receiveAllLogged(ctx, topics, `${ctx.id}-publish-check`, 45_000);
    const types = new Set(received.map((r) => r.event.type));
    const expected = (Object.keys(eventCatalog) as EventType[]).filter((t) => !NOT_PRODUCED_HERE.includes(t));
    expect([...types].sort()).toEqual(expect.arrayContaining(expected.sort()));

    // Each event once (no failure happened, so no redelivery), on its aggregate's topic, keyed by aggregate id.
    expect(received.length).toBe(new Set(received.map((r) => r.event.id)).size);
    for (const r of received) {
      expect(r.topic).toBe(`${ctx.config.KAFKA_TOPIC_PREFIX}${r.event.aggregateType}`);
      expect(r.key).toBe(r.event.aggregateId);
      expect(r.event.schemaVersion).toBe(eventCatalog[r.event.type].schemaVersion);
    }
    // Order per aggregate: one partition per key, sequences 1..n in offset order.
    const byKey = new Map<string, typeof received>();
    for (const r of received) byKey.set(`${r.topic}/${r.key}`, [...(byKey.get(`${r.topic}/${r.key}`) ?? []), r]);
    for (const [key, list] of byKey) {
      expect(new Set(list.map((r) => r.partition)).size, key).toBe(1);
      const inOffsetOrder = [...list].sort((a, b) => a.offset - b.offset).map((r) => r.event.sequence);
      expect(inOffsetOrder, key).toEqual(inOffsetOrder.map((_, i) => i + 1));
    }
    const paidEvents = byKey.get(`${ctx.config.KAFKA_TOPIC_PREFIX}reservation/${paid}`)!.map((r) => r.event.type);
    expect(paidEvents).toEqual(['ReservationHeld', 'ReservationConfirmed', 'ReservationRefunded']);
    expect(byKey.get(`${ctx.config.KAFKA_TOPIC_PREFIX}reservation/${failed}`)!.map((r) => r.event.type)).toEqual(['ReservationHeld', 'ReservationFailed']);

    expect(await checkInvariants(ctx.pool, { atLeast: { reservations: 4, payments: 2 } })).toEqual([]);
  }, 150_000);
});
