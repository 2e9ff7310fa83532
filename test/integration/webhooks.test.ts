import { randomUUID } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { eventCatalog, topicFor, type EventType } from '../../src/events/catalog.js';
import { KafkaEventPublisher } from '../../src/events/kafka-publisher.js';
import { CatalogRepository } from '../../src/catalog/repository.js';
import { createWebhooksWorker } from '../../src/main/webhooks-wiring.js';
import { Metrics } from '../../src/platform/observability/metrics.js';
import { webhookDeliveryWorkflowId } from '../../workflows/webhooks/delivery-contract.js';
import { ensureTopics } from '../support/events.js';
import { createTestContext, eventually, type TestContext } from '../support/harness.js';
import { checkInvariants } from '../support/invariants.js';
import { startRelay } from '../support/kafka.js';
import { startWebhookReceiver } from '../support/webhook-receiver.js';
import { kill9, startWebhooksWorkerProcess } from '../support/worker-process.js';
import mysql from 'mysql2/promise';
import { pino } from 'pino';

/**
 * Organisers' signed webhooks on the real stack (docs/webhooks.md): endpoints registered through the
 * API, events read from Kafka by the dispatcher, one Temporal delivery workflow per (endpoint, event)
 * POSTing to a local receiver that verifies the Standard Webhooks signature with the standardwebhooks
 * library and handles each webhook-id once. Short backoff (300 ms doubling to 2 s) stands in for the
 * production schedule.
 */
describe('webhooks for organisers', () => {
  let ctx: TestContext;
  let admin: { id: number; token: string };
  let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
  let relay: Awaited<ReturnType<typeof startRelay>>;
  let publisher: KafkaEventPublisher;
  let webhooks: Awaited<ReturnType<typeof createWebhooksWorker>> | undefined;
  let webhooksRun: Promise<void> | undefined;
  const metrics = new Metrics('webhooks-test', false);
  let child: ChildProcess | undefined;

  const startInProcess = async () => {
    webhooks = await createWebhooksWorker({
      config: ctx.config,
      webhooksDb: ctx.webhooksDb,
      catalog: new CatalogRepository(ctx.db),
      client: ctx.temporal,
      connection: await ctx.workerConnection(),
      kafka: ctx.kafka,
      log: pino({ level: 'silent' }),
      metrics,
      workflowBundle: { codePath: ctx.workflowBundlePath },
    });
    webhooksRun = webhooks.worker.run();
    webhooks.consumer.start();
    await webhooks.consumer.ready();
  };
  const stopInProcess = async () => {
    await webhooks?.consumer.stop();
    webhooks?.worker.shutdown();
    await webhooksRun;
    webhooks = undefined;
  };

  beforeAll(async () => {
    ctx = await createTestContext({ env: { WEBHOOK_RETRY_INITIAL_MS: '300', WEBHOOK_RETRY_MAX_MS: '2000', WEBHOOK_RETRY_FOR_MS: '600000' } });
    admin = await ctx.createUser({ role: 'ADMIN' });
    await ensureTopics(ctx);
    receiver = await startWebhookReceiver();
    relay = await startRelay(ctx);
    publisher = new KafkaEventPublisher(ctx.kafka);
    await startInProcess();
  }, 180_000);

  afterAll(async () => {
    if (child && child.exitCode === null) await kill9(child);
    await stopInProcess();
    await publisher?.close();
    await relay?.stop();
    await receiver?.close();
    if (ctx) expect(await checkInvariants(ctx.pool)).toEqual([]);
    await ctx?.close();
  }, 120_000);

  const api = (method: string, path: string, body?: unknown, key?: string) =>
    ctx.request(method, `/api/v1${path}`, { token: admin.token, ...(body === undefined ? {} : { body }), headers: key ? { 'idempotency-key': key } : {} });

  /** Registers an endpoint at the receiver's `path` and gives the receiver its secret. */
  const register = async (concertId: number, path: string, eventTypes: string[]) => {
    const res = await api('POST', `/admin/webhooks/concerts/${concertId}/endpoints`, { url: receiver.url(path), eventTypes }, `register-${randomUUID()}`);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    receiver.secrets.set(path, res.body.secret);
    return res.body as { id: number; secret: string };
  };

  /** An event as the relay publishes it, straight onto its Kafka topic (the dispatcher's input). */
  const publish = async (type: EventType, payload: Record<string, unknown>, id = randomUUID()) => {
    const event = { id, type, schemaVersion: eventCatalog[type].schemaVersion, aggregateType: eventCatalog[type].aggregateType, aggregateId: `test-${id}`, sequence: 1, occurredAt: new Date().toISOString(), payload };
    await publisher.publish([{ topic: topicFor(ctx.config.KAFKA_TOPIC_PREFIX, event.aggregateType), messages: [{ key: event.aggregateId, value: JSON.stringify(event), headers: { 'event-id': id, 'event-type': type } }] }]);
    return event;
  };
  const scheduleChanged = (concertId: number, scheduleId: number, change: 'PAUSED' | 'RESUMED') => ({ concertId, scheduleId, change, status: change === 'PAUSED' ? 'PAUSED' : 'ON_SALE', adminId: admin.id });

  const deliveries = async (endpointId: number) => (await api('GET', `/admin/webhooks/endpoints/${endpointId}/deliveries`)).body.items as Array<{ id: number; eventId: string; eventType: string; webhookId: string; status: string; attempts: number; replays: number; nextAttemptAt: string | null; lastStatusCode: number | null }>;
  const deliveryOf = async (endpointId: number, eventId: string, status?: string) =>
    eventually(async () => (await deliveries(endpointId)).find((d) => d.eventId === eventId && (!status || d.status === status)), 90_000, 200);
  const detail = async (deliveryId: number) => (await api('GET', `/admin/webhooks/deliveries/${deliveryId}`)).body;

  it("keeps its data in webhooks' own database, which only webhooks' user reaches", async () => {
    const dbOf = (url: string) => new URL(url).pathname.slice(1);
    const [webhooksDb, bookingDb] = [dbOf(ctx.databaseUrls.webhooks), dbOf(ctx.databaseUrls.booking)];
    expect(webhooksDb).toBe(`${ctx.id}_webhooks`);
    const [own, booking] = [await mysql.createConnection({ uri: ctx.databaseUrls.webhooks }), await mysql.createConnection({ uri: ctx.databaseUrls.booking })];
    try {
      await own.query('SELECT COUNT(*) FROM webhook_endpoints');
      if (!ctx.isolatedUsers) return; // an old stack's account cannot grant: one user for every database
      await expect(own.query(`SELECT * FROM \`${bookingDb}\`.concerts LIMIT 1`)).rejects.toMatchObject({ code: 'ER_TABLEACCESS_DENIED_ERROR' });
      await expect(booking.query(`SELECT * FROM \`${webhooksDb}\`.webhook_endpoints LIMIT 1`)).rejects.toMatchObject({ code: 'ER_TABLEACCESS_DENIED_ERROR' });
      const [tables] = await booking.query(`SELECT table_name FROM information_schema.tables WHERE table_schema = ? AND table_name LIKE 'webhook%'`, [bookingDb]);
      expect(tables).toEqual([]);
    } finally {
      await own.end();
      await booking.end();
    }
  });

  it('refuses what it will not call or send, with stable codes, and changes nothing', async () => {
    const { concertId } = await ctx.createSchedule();
    const refused = [
      [{ url: 'ftp://organiser.example/hook', eventTypes: ['ScheduleChanged'] }, 'WEBHOOK_URL_REFUSED'],
      [{ url: 'http://organiser.example/hook', eventTypes: ['ScheduleChanged'] }, 'WEBHOOK_URL_REFUSED'],
      [{ url: 'https://user:pw@organiser.example/hook', eventTypes: ['ScheduleChanged'] }, 'WEBHOOK_URL_REFUSED'],
      [{ url: 'https://organiser.example/hook', eventTypes: ['NoSuchEvent'] }, 'WEBHOOK_EVENT_TYPE_UNKNOWN'],
      // A catalog type, but about a buyer's wallet, not a concert: never sent out.
      [{ url: 'https://organiser.example/hook', eventTypes: ['WalletCharged'] }, 'WEBHOOK_EVENT_TYPE_UNKNOWN'],
      [{ url: 'https://organiser.example/hook', eventTypes: [] }, 'VALIDATION_FAILED'],
    ] as const;
    for (const [body, code] of refused) {
      const res = await api('POST', `/admin/webhooks/concerts/${concertId}/endpoints`, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
      expect(res.body.code).toBe(code);
    }
    expect((await api('POST', '/admin/webhooks/concerts/99999999/endpoints', { url: 'https://organiser.example/hook', eventTypes: ['ScheduleChanged'] })).body.code).toBe('NOT_FOUND');
    expect((await api('GET', `/admin/webhooks/concerts/${concertId}/endpoints`)).body.items).toEqual([]);
    const buyer = await ctx.createUser();
    const forbidden = await ctx.request('POST', `/api/v1/admin/webhooks/concerts/${concertId}/endpoints`, { token: buyer.token, body: { url: 'https://organiser.example/hook', eventTypes: ['ScheduleChanged'] } });
    expect(forbidden.status).toBe(403);
    const types = (await api('GET', '/admin/webhooks/event-types')).body.eventTypes as string[];
    expect(types).toEqual(expect.arrayContaining(['ReservationHeld', 'ReservationConfirmed', 'ScheduleChanged', 'TicketScanned']));
    expect(types).not.toContain('WalletCharged');
  });

  it('registers once per Idempotency-Key and shows the secret only at registration', async () => {
    const { concertId } = await ctx.createSchedule();
    const body = { url: receiver.url('/idempotent'), eventTypes: ['ScheduleChanged'] };
    const first = await api('POST', `/admin/webhooks/concerts/${concertId}/endpoints`, body, 'register-once-1');
    const again = await api('POST', `/admin/webhooks/concerts/${concertId}/endpoints`, body, 'register-once-1');
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    // The secret is not kept with the key (it would sit in another database): the repeat says 201 without it.
    expect(again.body?.secret).toBeUndefined();
    const listed = (await api('GET', `/admin/webhooks/concerts/${concertId}/endpoints`)).body.items;
    expect(listed).toHaveLength(1);
    expect(listed[0]).not.toHaveProperty('secret');
    expect((await api('GET', `/admin/webhooks/endpoints/${first.body.id}`)).body).not.toHaveProperty('secret');
  });

  it('delivers a real booking\'s events, signed, to the endpoints of its concert that asked for them', async () => {
    const { concertId, scheduleId, seatIds } = await ctx.createSchedule({ price: 10_000 });
    const other = await ctx.createSchedule();
    const endpoint = await register(concertId, '/booking', ['ReservationHeld', 'ReservationConfirmed']);
    const onlyPauses = await register(concertId, '/pauses-only', ['ScheduleChanged']);
    const otherConcert = await register(other.concertId, '/other-concert', ['ReservationHeld', 'ReservationConfirmed']);

    const buyer = await ctx.createUser({ balance: 50_000 });
    const held = await ctx.request('POST', '/api/v1/reservations', { token: buyer.token, body: { scheduleId, seatIds: [seatIds[0]] } });
    expect(held.status).toBe(201);
    expect((await ctx.request('POST', `/api/v1/reservations/${held.body.id}/payment`, { token: buyer.token })).status).toBe(200);

    const received = await eventually(async () => {
      const got = receiver.on('/booking').filter((r) => r.answered === 200);
      return got.length >= 2 && got;
    }, 90_000, 200);
    const bodies = received.map((r) => JSON.parse(r.body) as { type: string; data: { concertId: number; reservationId: string; eventId: string } });
    expect(bodies.map((b) => b.type).sort()).toEqual(['ReservationConfirmed', 'ReservationHeld']);
    // ReservationConfirmed names only its schedule: the concert came from catalog's port.
    for (const b of bodies) expect(b.data).toMatchObject({ concertId, reservationId: held.body.id });
    for (const r of received) {
      expect(r.verified).toBe(true);
      expect(r.signature).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
      expect(Math.abs(Number(r.timestamp) - Date.now() / 1000)).toBeLessThan(600);
      // The library refuses the same request with another body, or signed with another secret.
      expect(() => new Webhook(endpoint.secret).verify(r.body.replace(held.body.id, 'r-forged'), { 'webhook-id': r.webhookId, 'webhook-timestamp': r.timestamp, 'webhook-signature': r.signature })).toThrow();
      expect(() => new Webhook(onlyPauses.secret).verify(r.body, { 'webhook-id': r.webhookId, 'webhook-timestamp': r.timestamp, 'webhook-signature': r.signature })).toThrow();
    }
    const log = await deliveries(endpoint.id);
    expect(log.map((d) => d.status)).toEqual(['DELIVERED', 'DELIVERED']);
    expect(log.map((d) => d.webhookId).sort()).toEqual(received.map((r) => r.webhookId).sort());
    expect(log.every((d) => d.attempts === 1 && d.lastStatusCode === 200)).toBe(true);
    // Neither the endpoint that asked for other types nor another concert's endpoint got anything.
    expect(await deliveries(onlyPauses.id)).toEqual([]);
    expect(await deliveries(otherConcert.id)).toEqual([]);
    expect(receiver.on('/pauses-only')).toEqual([]);
    expect(receiver.on('/other-concert')).toEqual([]);
  });

  it('retries through a receiver answering 500, with backoff, under one webhook-id; the effect runs once', async () => {
    const { concertId, scheduleId } = await ctx.createSchedule();
    const endpoint = await register(concertId, '/flaky', ['ScheduleChanged']);
    receiver.answers.set('/flaky', (_r, nth) => (nth <= 3 ? 500 : 204));
    const event = await publish('ScheduleChanged', scheduleChanged(concertId, scheduleId, 'PAUSED'));

    const delivered = await deliveryOf(endpoint.id, event.id, 'DELIVERED');
    expect(delivered).toMatchObject({ attempts: 4, lastStatusCode: 204, nextAttemptAt: null });
    const got = receiver.on('/flaky');
    expect(got.map((r) => r.answered)).toEqual([500, 500, 500, 204]);
    expect(new Set(got.map((r) => r.webhookId)).size).toBe(1);
    expect(got.every((r) => r.verified)).toBe(true);
    expect(receiver.effects.get(`/flaky ${event.id}`)).toBe(1);
    const { attemptLog } = await detail(delivered.id);
    expect(attemptLog.map((a: { statusCode: number }) => a.statusCode)).toEqual([500, 500, 500, 204]);
    expect(attemptLog.every((a: { latencyMs: number; run: number }) => a.latencyMs >= 0 && a.run === 0)).toBe(true);
    // The durable timer waited at least the schedule's delay (300, 600, 1200 ms) between attempts.
    const times = attemptLog.map((a: { attemptedAt: string }) => Date.parse(a.attemptedAt));
    [300, 600, 1200].forEach((delay, i) => expect(times[i + 1] - times[i]).toBeGreaterThanOrEqual(delay));
  });

  it('a replay sends the same webhook-id and body again, once per Idempotency-Key; the receiver dedupes', async () => {
    const { concertId, scheduleId } = await ctx.createSchedule();
    const endpoint = await register(concertId, '/replayed', ['ScheduleChanged']);
    const event = await publish('ScheduleChanged', scheduleChanged(concertId, scheduleId, 'PAUSED'));
    const delivered = await deliveryOf(endpoint.id, event.id, 'DELIVERED');

    const replay = await api('POST', `/admin/webhooks/deliveries/${delivered.id}/replay`, undefined, `replay-${delivered.id}`);
    expect(replay.status).toBe(202);
    expect(replay.body).toMatchObject({ status: 'PENDING', replays: 1, webhookId: delivered.webhookId });
    const same = await api('POST', `/admin/webhooks/deliveries/${delivered.id}/replay`, undefined, `replay-${delivered.id}`);
    expect(same.status).toBe(202);
    await eventually(async () => (await detail(delivered.id)).status === 'DELIVERED', 90_000, 200);
    const after = await detail(delivered.id);
    expect(after.replays).toBe(1);
    expect(after.attemptLog.map((a: { run: number; statusCode: number }) => [a.run, a.statusCode])).toEqual([[0, 200], [1, 200]]);
    const got = receiver.on('/replayed');
    expect(got).toHaveLength(2);
    expect(got[1]!.webhookId).toBe(got[0]!.webhookId);
    expect(got[1]!.body).toBe(got[0]!.body);
    expect(got.every((r) => r.verified)).toBe(true);
    expect(receiver.effects.get(`/replayed ${event.id}`)).toBe(1);
  });

  it('an endpoint answering 410 is disabled, its other pending deliveries stop, and a replay to it is refused', async () => {
    const { concertId, scheduleId } = await ctx.createSchedule();
    const endpoint = await register(concertId, '/gone', ['ScheduleChanged']);
    // Pauses fail (retrying); the first resume is answered 410 Gone.
    receiver.answers.set('/gone', (r) => ((JSON.parse(r.body) as { data: { change: string } }).data.change === 'PAUSED' ? 503 : 410));
    const retrying = await publish('ScheduleChanged', scheduleChanged(concertId, scheduleId, 'PAUSED'));
    const pending = await eventually(async () => {
      const d = await deliveryOf(endpoint.id, retrying.id);
      return d.attempts >= 2 && d.status === 'PENDING' && d;
    }, 90_000, 200);
    const gone = await publish('ScheduleChanged', scheduleChanged(concertId, scheduleId, 'RESUMED'));

    await deliveryOf(endpoint.id, gone.id, 'FAILED');
    const disabled = (await api('GET', `/admin/webhooks/endpoints/${endpoint.id}`)).body;
    expect(disabled).toMatchObject({ enabled: false, disabledReason: 'GONE' });
    expect((await deliveryOf(endpoint.id, retrying.id)).status).toBe('CANCELLED');
    // The retrying delivery's workflow was told to stop, and did, without another attempt.
    expect(await ctx.temporal.workflow.getHandle(webhookDeliveryWorkflowId(endpoint.id, retrying.id)).result()).toBe('STOPPED');
    expect(await ctx.temporal.workflow.getHandle(webhookDeliveryWorkflowId(endpoint.id, gone.id)).result()).toBe('GONE');
    expect((await detail(pending.id)).attemptLog.every((a: { statusCode: number }) => a.statusCode === 503)).toBe(true);
    const refused = await api('POST', `/admin/webhooks/deliveries/${pending.id}/replay`);
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('WEBHOOK_ENDPOINT_DISABLED');
    // A later event for the disabled endpoint makes no delivery.
    const later = await publish('ScheduleChanged', scheduleChanged(concertId, scheduleId, 'PAUSED'));
    const marker = await register(concertId, '/after-gone', ['ScheduleChanged']);
    const seen = await publish('ScheduleChanged', scheduleChanged(concertId, scheduleId, 'RESUMED'));
    await deliveryOf(marker.id, seen.id, 'DELIVERED');
    expect((await deliveries(endpoint.id)).find((d) => d.eventId === later.id)).toBeUndefined();
  });

  it('an event the consumer reads twice makes one delivery and one request', async () => {
    const { concertId, scheduleId } = await ctx.createSchedule();
    const endpoint = await register(concertId, '/twice', ['ScheduleChanged']);
    const skipped = async () => (await metrics.registry.getSingleMetric('events_duplicates_skipped_total')?.get())?.values.find((v) => v.labels.consumer === 'webhook-dispatcher')?.value ?? 0;
    const before = await skipped();
    const event = await publish('ScheduleChanged', scheduleChanged(concertId, scheduleId, 'PAUSED'));
    await deliveryOf(endpoint.id, event.id, 'DELIVERED');
    await publish('ScheduleChanged', event.payload, event.id);
    // The dispatcher read the second copy and recognised it (it started nothing).
    await eventually(async () => (await skipped()) > before, 60_000, 200);
    expect(await deliveries(endpoint.id)).toHaveLength(1);
    expect(receiver.on('/twice')).toHaveLength(1);
    expect(receiver.effects.get(`/twice ${event.id}`)).toBe(1);
  });

  it('keeps retrying under the same webhook-id across a killed and restarted webhooks worker; the effect runs once', async () => {
    await stopInProcess();
    child = await startWebhooksWorkerProcess(ctx.config);
    const { concertId, scheduleId } = await ctx.createSchedule();
    const endpoint = await register(concertId, '/restart', ['ScheduleChanged']);
    let restarted = false;
    receiver.answers.set('/restart', () => (restarted ? 200 : 500));
    const event = await publish('ScheduleChanged', scheduleChanged(concertId, scheduleId, 'PAUSED'));
    // The first attempt is logged (its activity finished): the worker dies while the workflow waits.
    await eventually(async () => (await deliveryOf(endpoint.id, event.id)).attempts >= 1, 90_000, 100);
    await kill9(child);
    restarted = true;
    child = await startWebhooksWorkerProcess(ctx.config);

    const delivered = await deliveryOf(endpoint.id, event.id, 'DELIVERED');
    const got = receiver.on('/restart');
    // Every attempt before the kill failed; the one that succeeded ran on the new process.
    expect(got.slice(0, -1).every((r) => r.answered === 500)).toBe(true);
    expect(got.at(-1)!.answered).toBe(200);
    // Every request is logged, an attempt retried after the kill too (a request whose log write the
    // kill cut is the only one missing), and the failed ones came before the kill.
    expect(delivered.attempts).toBeGreaterThanOrEqual(2);
    expect([got.length - 1, got.length]).toContain(delivered.attempts);
    expect(new Set(got.map((r) => r.webhookId))).toEqual(new Set([delivered.webhookId]));
    expect(got.every((r) => r.verified)).toBe(true);
    expect(receiver.effects.get(`/restart ${event.id}`)).toBe(1);
    await kill9(child);
  });
});
