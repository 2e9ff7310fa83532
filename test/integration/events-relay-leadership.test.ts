import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaEventPublisher } from '../../src/events/kafka-publisher.js';
import { OutboxRelay } from '../../src/events/relay.js';
import { createDatabase } from '../../src/platform/db/client.js';
import { Metrics } from '../../src/platform/observability/metrics.js';
import { ensureTopics, loggedEventIds, receiveAllLogged } from '../support/events.js';
import { createTestContext, eventually, type TestContext } from '../support/harness.js';

/**
 * Two relays, each with its own MySQL pool and Kafka producer (as two processes would have), share
 * one named lock. Killing the leader hands publishing to the other; a leader whose lock connection
 * is killed under it steps down and competes again. No event is lost or reordered either way.
 */
describe('domain events: relay leadership', () => {
  let ctx: TestContext;
  let topics: string[];
  const relays: Array<{ stop(): Promise<void> }> = [];

  const makeRelay = async (name: string) => {
    // Wallet events are in payment's own outbox (payment's database): the relays publish that one.
    const database = createDatabase(ctx.databaseUrls.payment, 4);
    const publisher = new KafkaEventPublisher(ctx.kafka);
    const metrics = new Metrics(`${name}-${ctx.id}`, false);
    const relay = new OutboxRelay(database.db, database.pool, publisher, pino({ level: 'silent' }), metrics, {
      topicPrefix: ctx.config.KAFKA_TOPIC_PREFIX,
      batchSize: 20,
      pollMs: 50,
      lockName: `${ctx.id}-relay`,
    });
    relay.start();
    const gauge = async (metric: string) => (await metrics.registry.getSingleMetric(metric)!.get()).values.reduce((a, v) => a + v.value, 0);
    const r = {
      name,
      relay,
      leads: async () => (await gauge('outbox_relay_leader')) === 1,
      published: () => gauge('outbox_events_published_total'),
      /** Dies like a crashed process: the loop stops and its MySQL connections drop without a RELEASE_LOCK. */
      crash: async () => {
        (relay as unknown as { stopped: boolean }).stopped = true;
        (relay as unknown as { leaderConn?: { destroy(): void } }).leaderConn?.destroy();
        await database.pool.end().catch(() => undefined);
        await publisher.close();
      },
      stop: async () => {
        await relay.stop();
        await publisher.close();
        await database.close();
      },
      lockConnectionId: async () => {
        const [rows] = await ctx.pool.query('SELECT IS_USED_LOCK(?) id', [`${ctx.id}-relay`]);
        return (rows as Array<{ id: number | null }>)[0]!.id;
      },
    };
    relays.push(r);
    return r;
  };

  beforeAll(async () => {
    ctx = await createTestContext({ worker: false });
    topics = await ensureTopics(ctx);
  });
  afterAll(async () => {
    for (const r of relays) await r.stop().catch(() => undefined);
    await ctx?.close();
  });

  /** Wallet top-ups: a stream of events on a few aggregates, whose order Kafka must keep. */
  const produce = async (users: number[], rounds: number, tag: string) => {
    for (let i = 0; i < rounds; i++) await Promise.all(users.map((u) => ctx.services.wallets.charge(u, 1_000, `${tag}-${i}`)));
  };
  const unpublished = async () => Number(((await ctx.paymentPool.query('SELECT COUNT(*) n FROM domain_events WHERE published_at IS NULL'))[0] as Array<{ n: number }>)[0]!.n);

  it('the standby takes over when the leader dies, and a leader that loses its lock steps down; nothing lost or reordered', async () => {
    const users = await Promise.all(Array.from({ length: 4 }, () => ctx.createUser()));
    const ids = users.map((u) => u.id);
    const a = await makeRelay('relay-a');
    await eventually(() => a.leads());
    const b = await makeRelay('relay-b');
    await produce(ids, 10, 'phase1');
    await eventually(async () => (await unpublished()) === 0, 30_000);
    expect(await b.leads()).toBe(false);
    expect(await b.published()).toBe(0);

    // The leader dies with events still coming: the standby takes the lock and publishes the rest.
    const producing = produce(ids, 10, 'phase2');
    await a.crash();
    await producing;
    await eventually(() => b.leads(), 20_000);
    await eventually(async () => (await unpublished()) === 0, 30_000);
    expect(await b.published()).toBeGreaterThan(0);

    // The lost-lock path: the leader's lock connection is killed under it (a network cut, a DBA's
    // KILL). It must notice, stop publishing as leader, and win the lock again (no other relay runs).
    const lockHolder = await b.lockConnectionId();
    expect(lockHolder).not.toBeNull();
    await ctx.paymentPool.query(`KILL CONNECTION ${Number(lockHolder)}`);
    await produce(ids, 10, 'phase3');
    await eventually(async () => (await b.lockConnectionId()) !== null && (await b.lockConnectionId()) !== lockHolder && (await b.leads()), 20_000);
    await eventually(async () => (await unpublished()) === 0, 30_000);

    // Kafka has every logged event, and per aggregate the first delivery of each event comes in
    // sequence order (at-least-once: a batch cut by the crash may be sent again, never out of order).
    const logged = await loggedEventIds(ctx.paymentPool);
    expect(logged.length).toBe(4 * 30);
    const received = await receiveAllLogged(ctx, topics, `${ctx.id}-leadership`, 45_000);
    const byKey = new Map<string, typeof received>();
    for (const r of received) byKey.set(`${r.topic}/${r.key}`, [...(byKey.get(`${r.topic}/${r.key}`) ?? []), r]);
    for (const u of ids) {
      const list = byKey.get(`${ctx.config.KAFKA_TOPIC_PREFIX}wallet/${u}`)!;
      const seen = new Set<string>();
      const firsts = [...list].sort((x, y) => x.offset - y.offset).filter((r) => !seen.has(r.event.id) && seen.add(r.event.id));
      expect(firsts.map((r) => r.event.sequence)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    }
    console.log(`relay leadership: ${received.length} messages for ${logged.length} events (${received.length - new Set(received.map((r) => r.event.id)).size} redelivered)`);
  }, 180_000);
});
