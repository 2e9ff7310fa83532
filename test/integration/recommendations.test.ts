import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CatalogRepository } from '../../src/catalog/repository.js';
import type { EventConsumer } from '../../src/events/consumer.js';
import { EventLogReader } from '../../src/events/log-reader.js';
import { rebuildReadModel } from '../../src/events/read-model-rebuild.js';
import { Metrics } from '../../src/platform/observability/metrics.js';
import { recommendationsConsumer } from '../../src/recommendations/consumer.js';
import { recommendationsReadModel } from '../../src/recommendations/rebuild.js';
import { buildRecommendations } from '../../src/recommendations/wiring.js';
import { ensureTopics } from '../support/events.js';
import { createTestContext, eventually, type TestContext } from '../support/harness.js';
import { checkInvariants } from '../support/invariants.js';
import { startRelay } from '../support/kafka.js';

/**
 * The recommendations read model end to end: bookings -> outbox -> Kafka -> the co-purchase consumer
 * -> GET /concerts/{id}/recommendations and GET /me/recommendations, on a small generated dataset
 * whose right answer is known.
 */
describe('recommendations: co-purchase counts as a read model', () => {
  let ctx: TestContext;
  let relay: Awaited<ReturnType<typeof startRelay>>;
  let consumer: EventConsumer;
  const concerts: Array<{ concertId: number; scheduleId: number; seatIds: number[]; next: number }> = [];

  beforeAll(async () => {
    ctx = await createTestContext();
    await ensureTopics(ctx);
    for (let i = 0; i < 5; i++) concerts.push({ ...(await ctx.createSchedule({ price: 10_000 })), next: 0 });
    relay = await startRelay(ctx);
    const { repo } = buildRecommendations(ctx.recommendationsDb, new CatalogRepository(ctx.db));
    consumer = recommendationsConsumer({ kafka: ctx.kafka, repo, log: pino({ level: 'silent' }), metrics: new Metrics(`recs-${ctx.id}`, false), topicPrefix: ctx.config.KAFKA_TOPIC_PREFIX });
    consumer.start();
    await consumer.ready();
  });
  afterAll(async () => {
    await consumer?.stop();
    await relay?.stop();
    await ctx?.close();
  });

  const [A, B, C, D, E] = [0, 1, 2, 3, 4];
  const buy = async (user: { token: string }, concert: number) => {
    const c = concerts[concert]!;
    const held = await ctx.request('POST', '/api/v1/reservations', { token: user.token, body: { scheduleId: c.scheduleId, seatIds: [c.seatIds[c.next++]] } });
    expect(held.status).toBe(201);
    expect((await ctx.request('POST', `/api/v1/reservations/${held.body.id}/payment`, { token: user.token })).status).toBe(200);
    return held.body.id as string;
  };
  const forConcert = async (concert: number, query = '') => ctx.request('GET', `/api/v1/concerts/${concerts[concert]!.concertId}/recommendations${query}`);
  const forMe = async (user: { token: string }) => (await ctx.request('GET', '/api/v1/me/recommendations', { token: user.token })).body.items as Array<{ concertId: number; basis: string; score: number }>;
  const id = (concert: number) => concerts[concert]!.concertId;
  const applied = async () => Number(((await ctx.recommendationsPool.query('SELECT COUNT(*) n FROM recommendation_applied'))[0] as Array<{ n: number }>)[0]!.n);
  const logged = async () => Number(((await ctx.pool.query(`SELECT COUNT(*) n FROM domain_events WHERE aggregate_type = 'reservation'`))[0] as Array<{ n: number }>)[0]!.n);
  const caughtUp = () => eventually(async () => (await applied()) === (await logged()), 60_000, 200);

  it('starts cold: the newest concerts, never the concert itself; refuses bad input', async () => {
    const res = await forConcert(A);
    expect(res.status).toBe(200);
    expect(res.body.items.length).toBe(4);
    expect(res.body.items.every((r: { basis: string; concertId: number }) => r.basis === 'POPULAR' && r.concertId !== id(A))).toBe(true);
    expect(res.body.items[0]).toMatchObject({ title: expect.stringMatching(/^Test concert/), venue: 'Test Hall' });
    expect((await ctx.request('GET', '/api/v1/concerts/999999/recommendations')).body.code).toBe('NOT_FOUND');
    const bad = await forConcert(A, '?limit=0');
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toContain('application/problem+json');
    expect((await ctx.request('GET', '/api/v1/me/recommendations')).status).toBe(401);
  });

  let heavy: { token: string };
  it('puts the co-purchased concert first, and never recommends what the buyer already holds', async () => {
    // A and B bought together by three buyers, A and C by one, D bought alone by four (popular, unrelated).
    for (let i = 0; i < 3; i++) {
      const u = await ctx.createUser({ balance: 100_000 });
      await buy(u, A);
      await buy(u, B);
    }
    const withC = await ctx.createUser({ balance: 100_000 });
    await buy(withC, A);
    await buy(withC, C);
    for (let i = 0; i < 4; i++) await buy(await ctx.createUser({ balance: 100_000 }), D);
    heavy = await ctx.createUser({ balance: 100_000 });
    await buy(heavy, A);
    await buy(heavy, B);
    await caughtUp();

    const items = (await forConcert(A)).body.items as Array<{ concertId: number; basis: string; score: number }>;
    expect(items.map((r) => [r.concertId, r.basis, r.score])).toEqual([
      [id(B), 'CO_PURCHASE', 4],
      [id(C), 'CO_PURCHASE', 1],
      [id(D), 'POPULAR', 4],
    ]);
    // Someone who holds only A: B first; A never.
    const onlyA = await ctx.createUser({ balance: 100_000 });
    await buy(onlyA, A);
    await caughtUp();
    const mine = await forMe(onlyA);
    expect(mine[0]).toMatchObject({ concertId: id(B), basis: 'CO_PURCHASE' });
    expect(mine.map((r) => r.concertId)).not.toContain(id(A));
    // Someone who holds A and B: neither comes back, C is their strongest co-purchase.
    const heavyRecs = await forMe(heavy);
    expect(heavyRecs[0]).toMatchObject({ concertId: id(C), basis: 'CO_PURCHASE' });
    expect(heavyRecs.map((r) => r.concertId)).not.toEqual(expect.arrayContaining([id(A)]));
    expect(heavyRecs.map((r) => r.concertId)).not.toEqual(expect.arrayContaining([id(B)]));
    // A buyer with no purchase gets the popular ones.
    expect((await forMe(await ctx.createUser())).map((r) => [r.concertId, r.basis])[0]).toEqual([id(A), 'POPULAR']);
    expect((await forMe(await ctx.createUser())).some((r) => r.concertId === id(E))).toBe(false);
  });

  it('takes a refund back out: the refunded concert is no longer held, and the pair count drops', async () => {
    const u = await ctx.createUser({ balance: 100_000 });
    await buy(u, C);
    const refundable = await buy(u, E);
    await caughtUp();
    expect((await forConcert(E)).body.items[0]).toMatchObject({ concertId: id(C), basis: 'CO_PURCHASE', score: 1 });
    expect((await forMe(u)).map((r) => r.concertId)).not.toContain(id(E));
    expect((await ctx.request('DELETE', `/api/v1/reservations/${refundable}`, { token: u.token })).status).toBe(200);
    await eventually(async () => (await ctx.request('GET', `/api/v1/reservations/${refundable}`, { token: u.token })).body.status === 'REFUNDED', 30_000);
    await caughtUp();
    expect(((await forConcert(E)).body.items as Array<{ basis: string }>).every((r) => r.basis === 'POPULAR')).toBe(true);
    // E is no longer theirs (nor anyone's): the holding is back to 0, so it is neither excluded nor popular.
    const [[holding]] = (await ctx.recommendationsPool.query('SELECT reservations FROM recommendation_holdings WHERE user_id = ? AND concert_id = ?', [u.id, id(E)])) as unknown as [[{ reservations: number }]];
    expect(holding.reservations).toBe(0);
  });

  it('equals a recount from the reservations table, and a rebuild from the outbox gives the same tables', async () => {
    const recount = async () => {
      const [rows] = await ctx.pool.query(
        `SELECT a.concert_id c, b.concert_id d, COUNT(*) n FROM
           (SELECT DISTINCT user_id, concert_id FROM reservations WHERE status = 'CONFIRMED') a
           JOIN (SELECT DISTINCT user_id, concert_id FROM reservations WHERE status = 'CONFIRMED') b ON a.user_id = b.user_id AND a.concert_id <> b.concert_id
         GROUP BY a.concert_id, b.concert_id ORDER BY c, d`,
      );
      return (rows as Array<{ c: number; d: number; n: number }>).map((r) => `${r.c}-${r.d}:${Number(r.n)}`);
    };
    const pairs = async () => {
      const [rows] = await ctx.recommendationsPool.query('SELECT concert_id c, other_concert_id d, buyers n FROM recommendation_pairs WHERE buyers > 0 ORDER BY c, d');
      return (rows as Array<{ c: number; d: number; n: number }>).map((r) => `${r.c}-${r.d}:${Number(r.n)}`);
    };
    const holdings = async () => (await ctx.recommendationsPool.query('SELECT user_id, concert_id, reservations FROM recommendation_holdings WHERE reservations > 0 ORDER BY 1, 2'))[0];
    const truth = await recount();
    expect(truth.length).toBeGreaterThan(0);
    expect(await pairs()).toEqual(truth);
    const liveHoldings = await holdings();
    // The consumer keeps running while the rebuild folds the outbox and swaps the tables in.
    // Its tables in recommendations' database; the log it folds is booking's outbox.
    const { repo, concertOf } = buildRecommendations(ctx.recommendationsDb, new CatalogRepository(ctx.db));
    const report = await rebuildReadModel(ctx.recommendationsDb, new EventLogReader(ctx.db), recommendationsReadModel(repo, concertOf));
    expect(report.eventsFolded).toBe(await logged());
    expect(await pairs()).toEqual(truth);
    expect(await holdings()).toEqual(liveHoldings);
    expect(await checkInvariants(ctx.pool)).toEqual([]);
  });
});
