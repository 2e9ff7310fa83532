import { existsSync } from 'node:fs';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CatalogRepository } from '../../src/catalog/repository.js';
import type { EventConsumer } from '../../src/events/consumer.js';
import { Metrics } from '../../src/platform/observability/metrics.js';
import { recommendationsConsumer } from '../../src/recommendations/consumer.js';
import { buildRecommendations } from '../../src/recommendations/wiring.js';
import { CHROMIUM, ready, seriousViolations, startBrowserStack } from '../support/browser.js';
import { ensureTopics } from '../support/events.js';
import { createTestContext, eventually, type TestContext } from '../support/harness.js';
import { startRelay } from '../support/kafka.js';

/**
 * Recommendations in real Chromium (src/web/assets/recommendations.js): under a concert, the concert
 * its buyers also booked comes first; after a paid checkout, a "you may also like" list appears.
 */
describe.skipIf(!existsSync(CHROMIUM))('web app: recommendations in Chromium', () => {
  let ctx: TestContext;
  let web: Awaited<ReturnType<typeof startBrowserStack>>;
  let relay: Awaited<ReturnType<typeof startRelay>>;
  let consumer: EventConsumer;

  beforeAll(async () => {
    ctx = await createTestContext();
    await ensureTopics(ctx);
    relay = await startRelay(ctx);
    const { repo } = buildRecommendations(ctx.recommendationsDb, new CatalogRepository(ctx.db));
    consumer = recommendationsConsumer({ kafka: ctx.kafka, repo, log: pino({ level: 'silent' }), metrics: new Metrics(`web-recs-${ctx.id}`, false), topicPrefix: ctx.config.KAFKA_TOPIC_PREFIX });
    consumer.start();
    await consumer.ready();
    web = await startBrowserStack(ctx);
  });
  afterAll(async () => {
    await web?.close();
    await consumer?.stop();
    await relay?.stop();
    await ctx?.close();
  });

  it('shows "also booked" on the concert page and "you may also like" after paying', async () => {
    const [a, b, c] = [await ctx.createSchedule(), await ctx.createSchedule(), await ctx.createSchedule()];
    let seat = 0;
    const buy = async (token: string, s: { scheduleId: number; seatIds: number[] }) => {
      const held = await ctx.request('POST', '/api/v1/reservations', { token, body: { scheduleId: s.scheduleId, seatIds: [s.seatIds[seat++]] } });
      expect((await ctx.request('POST', `/api/v1/reservations/${held.body.id}/payment`, { token })).status).toBe(200);
    };
    for (let i = 0; i < 2; i++) {
      const u = await ctx.createUser({ balance: 100_000 });
      await buy(u.token, a);
      await buy(u.token, b);
    }
    await buy((await ctx.createUser({ balance: 100_000 })).token, c);
    const count = async (pool: typeof ctx.pool, sql: string) => Number(((await pool.query(sql))[0] as Array<{ n: number }>)[0]!.n);
    // The ledger in recommendations' database, the log in booking's outbox.
    await eventually(async () => (await count(ctx.recommendationsPool, 'SELECT COUNT(*) n FROM recommendation_applied')) === (await count(ctx.pool, `SELECT COUNT(*) n FROM domain_events WHERE aggregate_type = 'reservation'`)), 60_000, 200);

    const buyer = await ctx.createUser({ balance: 100_000 });
    const page = await web.loggedIn(buyer.email);
    await page.goto(`${web.base}/concerts/${a.concertId}`);
    await ready(page);
    const first = await page.waitForSelector('#recommendations li.card', { timeout: 30_000 });
    expect(await first.getAttribute('data-concert')).toBe(String(b.concertId));
    expect(await first.getAttribute('data-basis')).toBe('CO_PURCHASE');
    expect(await page.$(`#recommendations [data-concert="${a.concertId}"]`)).toBeNull();
    expect(await seriousViolations(page)).toEqual([]);

    await page.goto(`${web.base}/schedules/${a.scheduleId}`);
    await ready(page);
    expect(await page.$('#recommendations-for-you')).toBeNull(); // not before the checkout is paid
    await page.click(`[data-seat="${a.seatIds[10]}"]`);
    await page.click('#hold');
    await page.waitForSelector('#checkout:not([hidden]) #countdown');
    await page.click('#pay');
    await page.waitForSelector('#to-reservations', { timeout: 60_000 });
    await page.waitForSelector(`#recommendations-for-you [data-concert="${b.concertId}"]`, { timeout: 30_000 });
    expect(await seriousViolations(page)).toEqual([]);
  });
});
