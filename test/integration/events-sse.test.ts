import { serve } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventConsumer } from '../../src/events/consumer.js';
import { notificationsConsumer } from '../../src/events/consumers/notifications.js';
import { Metrics } from '../../src/platform/observability/metrics.js';
import { AccessTokens } from '../../src/identity/tokens.js';
import { createTestContext, eventually, type TestContext } from '../support/harness.js';
import { checkInvariants } from '../support/invariants.js';
import { ensureTopics, openEventStream } from '../support/events.js';
import { startRelay } from '../support/kafka.js';

/** A buyer's SSE stream over a real HTTP server, fed by the notifications consumer from Kafka. */
describe('domain events: SSE notifications', () => {
  let ctx: TestContext;
  let relay: Awaited<ReturnType<typeof startRelay>>;
  let notifier: EventConsumer;
  let server: Server;
  let base: string;

  beforeAll(async () => {
    ctx = await createTestContext({ env: { SSE_KEEPALIVE_MS: '300' } });
    await ensureTopics(ctx);
    relay = await startRelay(ctx);
    const hub = ctx.services.notifications;
    notifier = notificationsConsumer({ kafka: ctx.kafka, hub, log: pino({ level: 'silent' }), metrics: new Metrics(`sse-${ctx.id}`, false), topicPrefix: ctx.config.KAFKA_TOPIC_PREFIX, dedupSize: 1000 });
    notifier.start();
    await notifier.ready();
    server = serve({ fetch: ctx.app.fetch, hostname: '127.0.0.1', port: 0 }) as Server;
    await new Promise((r) => server.once('listening', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/events/stream`;
  });
  afterAll(async () => {
    ctx?.services.notifications.closeAll();
    await new Promise((r) => server?.close(r));
    await notifier?.stop();
    await relay?.stop();
    await ctx?.close();
  });

  it('refuses a stream without a valid token', async () => {
    const anonymous = await openEventStream(base);
    expect(anonymous.status).toBe(401);
    expect(JSON.parse(anonymous.body!).code).toBe('UNAUTHENTICATED');
    const forged = await openEventStream(base, 'not.a.valid-token');
    expect(forged.status).toBe(401);
  });

  it('guards the admin sales endpoint and answers bad input with problems', async () => {
    const user = await ctx.createUser();
    const admin = await ctx.createUser({ role: 'ADMIN' });
    const { scheduleId } = await ctx.createSchedule();
    expect((await ctx.request('GET', `/api/v1/admin/schedules/${scheduleId}/sales`)).status).toBe(401);
    expect((await ctx.request('GET', `/api/v1/admin/schedules/${scheduleId}/sales`, { token: user.token })).body.code).toBe('FORBIDDEN');
    expect((await ctx.request('GET', '/api/v1/admin/schedules/abc/sales', { token: admin.token })).status).toBe(400);
    expect((await ctx.request('GET', '/api/v1/admin/schedules/99999999/sales', { token: admin.token })).status).toBe(404);
    const fresh = await ctx.request('GET', `/api/v1/admin/schedules/${scheduleId}/sales`, { token: admin.token });
    expect(fresh.status).toBe(200);
    expect(fresh.body).toMatchObject({ scheduleId, reservationsStarted: 0, seatsSold: 0, revenue: 0, conversionRate: 0, updatedAt: null });
  });

  it('shows a buyer their hold and their confirmation as they happen, and nobody else’s events', async () => {
    const { scheduleId, seatIds } = await ctx.createSchedule();
    const alice = await ctx.createUser({ balance: 100_000 });
    const bob = await ctx.createUser({ balance: 100_000 });
    const aliceStream = await openEventStream(base, alice.token);
    const bobStream = await openEventStream(base, bob.token);
    expect(aliceStream.status).toBe(200);
    expect(aliceStream.contentType).toContain('text/event-stream');
    await eventually(async () => aliceStream.messages.some((m) => m.event === 'ready') && bobStream.messages.some((m) => m.event === 'ready'));

    const held = await ctx.request('POST', '/api/v1/reservations', { token: alice.token, body: { scheduleId, seatIds: [seatIds[0]] } });
    expect(held.status).toBe(201);
    const reservationId: string = held.body.id;
    // The hold arrives on the stream before anything else is done.
    const holdEvent = await eventually(async () => aliceStream.events().find((e) => e.type === 'ReservationHeld'), 20_000);
    expect(holdEvent.envelope.aggregateId).toBe(reservationId);
    const [rows] = await ctx.pool.query("SELECT id FROM domain_events WHERE aggregate_id = ? AND type = 'ReservationHeld'", [reservationId]);
    expect(holdEvent.id).toBe((rows as Array<{ id: string }>)[0]!.id); // SSE id = event id

    expect((await ctx.request('POST', `/api/v1/reservations/${reservationId}/payment`, { token: alice.token })).status).toBe(200);
    await eventually(async () => aliceStream.events().some((e) => e.type === 'ReservationConfirmed'), 20_000);
    await eventually(async () => aliceStream.events().some((e) => e.type === 'PaymentCompleted') && aliceStream.events().some((e) => e.type === 'WalletDebited'), 20_000);
    const types = aliceStream.events().map((e) => e.type);
    expect(types.indexOf('ReservationHeld')).toBeLessThan(types.indexOf('ReservationConfirmed'));
    expect(new Set(aliceStream.events().map((e) => e.id)).size).toBe(aliceStream.events().length); // no duplicates

    // Bob's own hold reaches Bob only; Alice's events never reached Bob.
    expect((await ctx.request('POST', '/api/v1/reservations', { token: bob.token, body: { scheduleId, seatIds: [seatIds[1]] } })).status).toBe(201);
    await eventually(async () => bobStream.events().some((e) => e.type === 'ReservationHeld'), 20_000);
    expect(bobStream.events().every((e) => (e.envelope.payload as { userId: number }).userId === bob.id)).toBe(true);
    expect(aliceStream.events().every((e) => (e.envelope.payload as { userId: number }).userId === alice.id)).toBe(true);
    // Idle streams carry keep-alive comments.
    await eventually(async () => aliceStream.comments.includes('keep-alive'), 5_000);

    // A client that disconnects is unsubscribed; a server shutdown ends the remaining streams cleanly.
    expect(ctx.services.notifications.streamCount()).toBe(2);
    await aliceStream.close();
    await eventually(async () => ctx.services.notifications.streamCount() === 1, 5_000);
    ctx.services.notifications.closeAll();
    await bobStream.done();
    expect(bobStream.ended).toBe(true);
    expect(ctx.services.notifications.streamCount()).toBe(0);

    expect(await checkInvariants(ctx.pool)).toEqual([]);
  }, 90_000);

  it('resumes after Last-Event-ID with the events missed while disconnected, once and in order', async () => {
    const { scheduleId, seatIds } = await ctx.createSchedule();
    const carol = await ctx.createUser({ balance: 100_000 });
    const first = await openEventStream(base, carol.token);
    await eventually(async () => first.messages.some((m) => m.event === 'ready'));
    const held = await ctx.request('POST', '/api/v1/reservations', { token: carol.token, body: { scheduleId, seatIds: [seatIds[2]] } });
    const holdEvent = await eventually(async () => first.events().find((e) => e.type === 'ReservationHeld'), 20_000);
    await first.close();

    // Paid while no stream is open: the confirmation is only in the event log (and on Kafka).
    expect((await ctx.request('POST', `/api/v1/reservations/${held.body.id}/payment`, { token: carol.token })).status).toBe(200);
    await eventually(async () => {
      const [rows] = await ctx.pool.query(`SELECT COUNT(*) n FROM domain_events WHERE aggregate_id = ? AND published_at IS NULL`, [held.body.id]);
      return Number((rows as Array<{ n: number }>)[0]!.n) === 0;
    });

    const resumed = await openEventStream(base, carol.token, holdEvent.id);
    expect(resumed.status).toBe(200);
    await eventually(async () => resumed.events().some((e) => e.type === 'ReservationConfirmed'), 10_000);
    const types = resumed.events().map((e) => e.type);
    expect(types).not.toContain('ReservationHeld'); // only what came after the last seen event
    expect(types.indexOf('PaymentCompleted')).toBeLessThan(types.indexOf('ReservationConfirmed'));
    expect(new Set(resumed.events().map((e) => e.id)).size).toBe(resumed.events().length);
    await resumed.close();
    expect((await openEventStream(base, carol.token, 'not-a-uuid')).status).toBe(400);
  }, 60_000);

  it('ends a stream when its access token expires', async () => {
    const dave = await ctx.createUser();
    const shortLived = new AccessTokens(ctx.config.JWT_SECRET, 2, ctx.config.REFRESH_TTL_SECONDS);
    const { accessToken } = await shortLived.issue({ id: dave.id, role: 'USER', tokenVersion: 0 });
    const stream = await openEventStream(base, accessToken);
    expect(stream.status).toBe(200);
    await eventually(async () => stream.ended, 6_000);
    // Reconnecting with the expired token is refused: the client must refresh first.
    expect((await openEventStream(base, accessToken)).status).toBe(401);
  }, 30_000);
});
