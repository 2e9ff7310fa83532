import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topicFor } from '../../src/events/catalog.js';
import type { EventConsumer } from '../../src/events/consumer.js';
import { SALES_READ_MODEL, salesReadModelConsumer } from '../../src/events/consumers/sales-read-model.js';
import { Metrics } from '../../src/platform/observability/metrics.js';
import { createTestContext, eventually, type TestContext } from '../support/harness.js';
import { checkInvariants } from '../support/invariants.js';
import { canControlBroker, ensureTopics, kafkaBroker, loggedEventIds, receiveAllLogged, recountSales } from '../support/events.js';
import { startRelay } from '../support/kafka.js';

const metricValue = async (metrics: Metrics, name: string, labels: Record<string, string> = {}) => {
  const m = (await metrics.registry.getMetricsAsJSON()).find((x) => x.name === name);
  const hits = (m?.values ?? []).filter((v) => Object.entries(labels).every(([k, val]) => (v.labels as Record<string, unknown>)[k] === val));
  return hits.reduce((sum, v) => sum + Number(v.value), 0);
};

/**
 * Faults on the event path: the broker stops in the middle of bookings (nothing is lost, the relay
 * catches up), and the read-model consumer restarts mid-stream and even re-reads the whole topic
 * (each event still counts once).
 */
// Stopping the broker needs the native stack's scripts; under TEST_STACK=docker or external the file
// is reported as skipped, with the reason in its name and on the console (never a silent pass).
const brokerControl = canControlBroker();
if (!brokerControl) console.warn(`[skipped] events-outage: TEST_STACK=${process.env.TEST_STACK} cannot stop the Kafka broker`);
describe.skipIf(!brokerControl)(`domain events: Kafka outage and consumer restarts${brokerControl ? '' : ' (SKIPPED: this stack cannot stop the broker)'}`, () => {
  let ctx: TestContext;
  let relay: Awaited<ReturnType<typeof startRelay>> | undefined;
  let readModel: EventConsumer | undefined;
  const consumerMetrics = new Metrics('sales-consumer-test', false);
  let scheduleId: number;
  let seatIds: number[];
  let next = 0;
  let brokerDown = false;

  const startReadModel = async () => {
    readModel = salesReadModelConsumer({ kafka: ctx.kafka, eventsDb: ctx.eventsDb, log: pino({ level: 'silent' }), metrics: consumerMetrics, topicPrefix: ctx.config.KAFKA_TOPIC_PREFIX });
    readModel.start();
    await readModel.ready();
  };

  /** n buyers each hold 2 seats; even ones pay, every third of the others cancels. */
  const bookings = async (n: number) => {
    for (let i = 0; i < n; i++) {
      const user = await ctx.createUser({ balance: 50_000 });
      const seats = [seatIds[next++]!, seatIds[next++]!];
      const held = await ctx.request('POST', '/api/v1/reservations', { token: user.token, body: { scheduleId, seatIds: seats } });
      expect(held.status).toBe(201);
      if (i % 2 === 0) expect((await ctx.request('POST', `/api/v1/reservations/${held.body.id}/payment`, { token: user.token })).status).toBe(200);
      else if (i % 3 === 0) expect((await ctx.request('DELETE', `/api/v1/reservations/${held.body.id}`, { token: user.token })).status).toBe(200);
    }
  };

  const unpublished = async () => Number(((await ctx.pool.query('SELECT COUNT(*) n FROM domain_events WHERE published_at IS NULL'))[0] as Array<{ n: number }>)[0]!.n);
  const salesMatchRecount = async () => {
    const res = await ctx.request('GET', `/api/v1/admin/schedules/${scheduleId}/sales`, { token: admin.token });
    const truth = await recountSales(ctx.pool, scheduleId);
    const { conversionRate: _c, updatedAt: _u, scheduleId: _s, ...figures } = res.body;
    return JSON.stringify(figures) === JSON.stringify(truth) ? { figures, truth } : undefined;
  };
  let admin: { token: string };

  beforeAll(async () => {
    ctx = await createTestContext();
    await ensureTopics(ctx);
    ({ scheduleId, seatIds } = await ctx.createSchedule({ rows: 6, seatsPerRow: 20 }));
    admin = await ctx.createUser({ role: 'ADMIN' });
    relay = await startRelay(ctx);
    await startReadModel();
  });
  afterAll(async () => {
    if (brokerDown) kafkaBroker('start');
    await readModel?.stop();
    await relay?.stop();
    await ctx?.close();
  });

  it('loses no event while Kafka is down and delivers all of them once it is back', async () => {
    await bookings(4);
    await eventually(async () => (await unpublished()) === 0, 30_000);
    // The stream was flowing before the outage: these events reached Kafka while it was up.
    const before = await loggedEventIds(ctx.pool);
    expect(before.length).toBeGreaterThan(0);

    kafkaBroker('stop');
    brokerDown = true;
    // Bookings do not need Kafka: the events wait in the outbox.
    await bookings(6);
    // ... and it goes on during the outage: every event written since the stop is still waiting.
    const duringOutage = (await loggedEventIds(ctx.pool)).slice(before.length);
    expect(duringOutage.length).toBeGreaterThan(0);
    expect(await unpublished()).toBe(duringOutage.length);
    // A relay that starts while Kafka is down must come up (lazy connect) and count its failures.
    await relay!.stop();
    relay = await startRelay(ctx);
    await eventually(async () => (await metricValue(relay!.metrics, 'outbox_publish_errors_total')) > 0, 30_000);
    await relay.relay.measureLag();
    expect(await metricValue(relay.metrics, 'outbox_unpublished_events')).toBeGreaterThan(0);
    expect(await unpublished()).toBeGreaterThan(0);
    await bookings(2);

    kafkaBroker('start');
    brokerDown = false;
    await eventually(async () => (await unpublished()) === 0, 90_000, 500);
    await relay.relay.measureLag();
    expect(await metricValue(relay.metrics, 'outbox_unpublished_events')).toBe(0);

    // Every logged event is on Kafka (at-least-once: a send that failed mid-way may have landed twice).
    const topics = ['reservation', 'payment', 'wallet', 'user', 'concert', 'ticket'].map((t) => topicFor(ctx.config.KAFKA_TOPIC_PREFIX, t));
    const received = await receiveAllLogged(ctx, topics, `${ctx.id}-outage-check`, 60_000);
    const receivedIds = new Set(received.map((r) => r.event.id));
    expect(before.filter((id) => !receivedIds.has(id))).toEqual([]);
    expect(duringOutage.filter((id) => !receivedIds.has(id))).toEqual([]);
    // Order per aggregate survives the outage: first sightings of each key's events are 1..n.
    const firstSeen = new Map<string, number[]>();
    const seen = new Set<string>();
    for (const r of [...received].sort((a, b) => a.partition - b.partition || a.offset - b.offset)) {
      if (seen.has(r.event.id)) continue;
      seen.add(r.event.id);
      firstSeen.set(`${r.topic}/${r.key}`, [...(firstSeen.get(`${r.topic}/${r.key}`) ?? []), r.event.sequence]);
    }
    for (const [key, seqs] of firstSeen) expect(seqs, key).toEqual(seqs.map((_, i) => i + 1));

    // The read model consumer rode out the outage and counts every reservation event once.
    await eventually(salesMatchRecount, 60_000, 250);
    expect(await checkInvariants(ctx.pool, { atLeast: { reservations: 12 } })).toEqual([]);
  }, 300_000);

  it('applies each event once when the consumer restarts mid-stream and re-reads the whole topic', async () => {
    const duplicatesBefore = await metricValue(consumerMetrics, 'events_duplicates_skipped_total');
    // Stop the consumer while bookings are streaming in, restart it while they still are.
    const streaming = bookings(6);
    await new Promise((r) => setTimeout(r, 300));
    await readModel!.stop();
    await new Promise((r) => setTimeout(r, 500));
    await startReadModel();
    await streaming;
    await eventually(salesMatchRecount, 60_000, 250);

    // Rewind the group to the beginning: Kafka redelivers every event; the ledger (schedule_sales_applied) stops each.
    await readModel!.stop();
    const admin = ctx.kafka.admin();
    await admin.connect();
    await admin.resetOffsets({ groupId: `${ctx.config.KAFKA_TOPIC_PREFIX}${SALES_READ_MODEL}`, topic: topicFor(ctx.config.KAFKA_TOPIC_PREFIX, 'reservation'), earliest: true });
    await admin.disconnect();
    await startReadModel();
    const [[counts]] = (await ctx.pool.query(
      `SELECT COUNT(*) events FROM domain_events WHERE aggregate_type = 'reservation'`,
    )) as unknown as [[{ events: number }]];
    await eventually(async () => (await metricValue(consumerMetrics, 'events_duplicates_skipped_total')) - duplicatesBefore >= Number(counts.events), 60_000, 250);
    // The reservation events applied (the read model also applies catalog's ConcertCreated, for its own copy of the schedules).
    // The ledger is in the events database, the log in booking's outbox: read each, match the ids here.
    const [reservationEvents] = (await ctx.pool.query(`SELECT id FROM domain_events WHERE aggregate_type = 'reservation'`)) as unknown as [Array<{ id: string }>];
    const [ledger] = (await ctx.eventsPool.query('SELECT event_id FROM schedule_sales_applied')) as unknown as [Array<{ event_id: string }>];
    const applied = new Set(ledger.map((l) => l.event_id));
    expect(reservationEvents.filter((e) => applied.has(e.id)).length).toBe(Number(counts.events));
    const match = await salesMatchRecount();
    expect(match).toBeTruthy();
    expect(match!.figures.reservationsStarted).toBe(18);
    expect(await checkInvariants(ctx.pool, { atLeast: { reservations: 12 } })).toEqual([]);
  }, 180_000);
});
