import { existsSync, mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { salesReadModelConsumer } from '../../src/events/consumers/sales-read-model.js';
import { Metrics } from '../../src/platform/observability/metrics.js';
import { ensureTopics } from '../support/events.js';
import { startRelay } from '../support/kafka.js';
import { demoConcerts } from '../../src/main/demo-data.js';
import { CHROMIUM, ready, startBrowserStack } from '../support/browser.js';
import { createTestContext, type TestContext } from '../support/harness.js';

/**
 * Not a check: refreshes the README's screenshots (docs/screenshots/*.png) from the demo concerts.
 * Runs only when asked: WEB_SCREENSHOTS=1 npx vitest run test/integration/web-screenshots.test.ts
 */
const wanted = Boolean(process.env.WEB_SCREENSHOTS) && existsSync(CHROMIUM);
describe.skipIf(!wanted)('web app screenshots', () => {
  let ctx: TestContext;
  let web: Awaited<ReturnType<typeof startBrowserStack>>;
  const dir = 'docs/screenshots';
  let relay: Awaited<ReturnType<typeof startRelay>> | undefined;
  let readModel: ReturnType<typeof salesReadModelConsumer> | undefined;

  beforeAll(async () => {
    ctx = await createTestContext({ env: { QUEUE_ENFORCED: 'true', QUEUE_TICK_MS: '100', QUEUE_SETTINGS_CACHE_MS: '0' } });
    web = await startBrowserStack(ctx);
    // The dashboard's sales figures come from the read model, fed through Kafka.
    await ensureTopics(ctx);
    relay = await startRelay(ctx);
    readModel = salesReadModelConsumer({ kafka: ctx.kafka, eventsDb: ctx.eventsDb, log: pino({ level: 'silent' }), metrics: new Metrics(`shots-${ctx.id}`, false), topicPrefix: ctx.config.KAFKA_TOPIC_PREFIX });
    readModel.start();
    await readModel.ready();
    mkdirSync(dir, { recursive: true });
  });
  afterAll(async () => {
    await ctx?.services.queue.service.flush();
    await readModel?.stop();
    await relay?.stop();
    await web?.close();
    await ctx?.close();
  });

  it('takes the main pages', async () => {
    let first: { concertId: number; scheduleIds: number[] } | undefined;
    for (const c of demoConcerts()) first ??= await ctx.services.catalog.createConcert(c, null);
    const scheduleId = first!.scheduleIds[0]!;
    const admin = await ctx.createUser({ role: 'ADMIN' });
    const buyer = await ctx.createUser({ balance: 1_000_000 });
    const page = await web.loggedIn(buyer.email);
    await page.setViewportSize({ width: 1100, height: 800 });
    const shot = async (name: string, path: string) => {
      await page.goto(`${web.base}${path}`);
      await ready(page);
      await page.screenshot({ path: `${dir}/${name}.png` });
    };
    await shot('concerts', '/');
    await shot('concert', `/concerts/${first!.concertId}`);
    await page.goto(`${web.base}/schedules/${scheduleId}/queue`);
    await page.waitForURL(`${web.base}/schedules/${scheduleId}`);
    await ready(page);
    const seats = await page.$$('.seat:not([disabled])');
    for (const s of seats.slice(22, 24)) await s.click();
    await page.screenshot({ path: `${dir}/seat-map.png` });
    await page.click('#hold');
    await page.waitForURL(/\/checkout\/\w+$/, { timeout: 60_000 });
    await ready(page);
    await page.waitForSelector('#checkout #countdown');
    await page.screenshot({ path: `${dir}/checkout.png` });
    // The same hold on a phone (the buyer's session in a 390 x 844 touch screen): the concert, the
    // seat map zoomed by a pinch's worth, and the checkout with its bar at the bottom.
    const phone = await web.browser.newContext({ locale: 'ko-KR', viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, storageState: await page.context().storageState() });
    const mobile = await phone.newPage();
    const phoneShot = async (name: string, path: string) => {
      await mobile.goto(`${web.base}${path}`);
      await ready(mobile);
      await mobile.screenshot({ path: `${dir}/${name}.png` });
    };
    await phoneShot('phone-concert', `/concerts/${first!.concertId}`);
    await mobile.goto(`${web.base}/schedules/${scheduleId}`);
    await ready(mobile);
    await mobile.$eval('#seat-map', (e) => e.scrollIntoView({ block: 'start' }));
    await mobile.click('.zoom-controls button:last-child');
    await mobile.screenshot({ path: `${dir}/phone-seat-map.png` });
    await phoneShot('phone-checkout', new URL(page.url()).pathname);
    await phone.close();
    await page.click('#pay');
    await page.waitForSelector('#confirmation', { timeout: 60_000 });
    await page.locator('#confirmation .ticket').first().waitFor({ timeout: 60_000 });
    await page.screenshot({ path: `${dir}/confirmation.png` });
    await shot('my-reservations', '/me/reservations');
    // The waiting room: a full room (one buyer in at a time), seen by a second buyer.
    expect((await ctx.request('PUT', `/api/v1/admin/schedules/${first!.scheduleIds[1]}/queue`, { token: admin.token, body: { mode: 'manual', maxActive: 1, admitRatePerSec: 1 } })).status).toBe(200);
    for (let i = 0; i < 3; i++) await ctx.request('POST', '/api/v1/queue/tokens', { token: (await ctx.createUser()).token, body: { scheduleId: first!.scheduleIds[1] } });
    await page.goto(`${web.base}/schedules/${first!.scheduleIds[1]}/queue`);
    await page.locator('#position', { hasText: /\d/ }).waitFor();
    await page.screenshot({ path: `${dir}/waiting-room.png` });
    const organiser = await web.loggedIn(admin.email);
    await organiser.setViewportSize({ width: 1100, height: 800 });
    await organiser.goto(`${web.base}/admin/schedules/${scheduleId}`);
    await ready(organiser);
    await organiser.locator('[data-figure="sold"]', { hasText: /^2$/ }).waitFor({ timeout: 60_000 });
    await organiser.screenshot({ path: `${dir}/dashboard.png` });
    // Cancelling that performance: the confirm step, then the progress bar once it is done.
    await organiser.fill('#cancel-reason', '아티스트 건강 문제');
    await organiser.click('#cancel-performance');
    await organiser.click('#confirm-cancel');
    await organiser.locator('#cancellation-phase', { hasText: '완료' }).waitFor({ timeout: 120_000 });
    await organiser.locator('#cancellation').scrollIntoViewIfNeeded();
    await organiser.screenshot({ path: `${dir}/cancellation.png` });
    await organiser.goto(`${web.base}/admin/concerts/new`);
    await ready(organiser);
    await organiser.fill('input[name="title"]', 'Winter Live 2026');
    await organiser.locator('#preview').scrollIntoViewIfNeeded();
    await organiser.screenshot({ path: `${dir}/new-concert.png` });
    // A refused form: the field marked, the reason in Korean beside it and next to the button.
    await organiser.fill('input[name="artist"]', 'Winter Band');
    await organiser.fill('input[name="venue"]', 'Olympic Hall');
    await organiser.fill('input[name="startsAt"]', '2031-05-01T19:00');
    await organiser.fill('input[name="saleOpensAt"]', '2031-04-01T20:00');
    await organiser.fill('input[name="saleClosesAt"]', '2031-05-01T21:00');
    await organiser.click('#concert-form button[type=submit]');
    await organiser.locator('#message.error').waitFor({ timeout: 30_000 });
    await organiser.locator('input[name="saleClosesAt"]').scrollIntoViewIfNeeded();
    await organiser.screenshot({ path: `${dir}/new-concert-refused.png` });
    await page.context().close();
    await organiser.context().close();
  });
});
