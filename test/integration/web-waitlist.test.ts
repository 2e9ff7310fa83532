import { existsSync } from 'node:fs';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventConsumer } from '../../src/events/consumer.js';
import { notificationsConsumer } from '../../src/events/consumers/notifications.js';
import { Metrics } from '../../src/platform/observability/metrics.js';
import { CHROMIUM, ready, seriousViolations, startBrowserStack } from '../support/browser.js';
import { createTestContext, eventually, type TestContext } from '../support/harness.js';
import { ensureTopics } from '../support/events.js';
import { checkInvariants } from '../support/invariants.js';
import { startRelay } from '../support/kafka.js';

/**
 * The waiting list (issue 11 part 1) in real Chromium: joining is refused while a seat is free, a
 * buyer joins once the performance is sold out and sees their place on My reservations; when the
 * seat comes back it is offered to them as a hold, which they pay there and get the ticket.
 * Asserted on what the API and the database decided.
 */
describe.skipIf(!existsSync(CHROMIUM))('web app: waiting list in Chromium', () => {
  let ctx: TestContext;
  let web: Awaited<ReturnType<typeof startBrowserStack>>;
  // The offer reaches the open page as the API process gets it: outbox -> Kafka -> the buyer's stream.
  let relay: Awaited<ReturnType<typeof startRelay>>;
  let notifier: EventConsumer;

  beforeAll(async () => {
    ctx = await createTestContext();
    await ensureTopics(ctx);
    relay = await startRelay(ctx);
    notifier = notificationsConsumer({
      kafka: ctx.kafka,
      hub: ctx.services.notifications,
      log: pino({ level: 'silent' }),
      metrics: new Metrics(`web-wl-${ctx.id}`, false),
      topicPrefix: ctx.config.KAFKA_TOPIC_PREFIX,
      dedupSize: 1000,
    });
    notifier.start();
    await notifier.ready();
    web = await startBrowserStack(ctx);
  });
  afterAll(async () => {
    await web?.close();
    await notifier?.stop();
    await relay?.stop();
    await ctx?.close();
  });

  it('joins after a sell-out, is offered the seat that comes back, and pays for it', async () => {
    const { scheduleId, seatIds } = await ctx.createSchedule({ rows: 1, seatsPerRow: 1, price: 40_000 });
    const buyer = await ctx.createUser({ balance: 100_000 });
    const page = await web.loggedIn(buyer.email);
    await page.goto(`${web.base}/schedules/${scheduleId}`);
    await ready(page);
    const join = async () => {
      await page.click('#waitlist-join summary');
      await page.click('#waitlist-join button[type=submit]');
    };
    // A seat is free: the page says to hold it instead, and nothing is joined.
    await join();
    await page.locator('#message.error', { hasText: '지금 선택할 수 있는 좌석이 있습니다' }).waitFor({ timeout: 30_000 });
    expect((await ctx.request('GET', '/api/v1/waitlist', { token: buyer.token })).body.items).toEqual([]);

    // Sold out (someone else holds the only seat): joined, first in line.
    const holder = await ctx.createUser();
    const held = await ctx.request('POST', '/api/v1/reservations', { token: holder.token, body: { scheduleId, seatIds } });
    expect(held.status).toBe(201);
    await page.click('#waitlist-join button[type=submit]');
    await page.locator('#message.success', { hasText: '대기 명단 1번째' }).waitFor({ timeout: 30_000 });
    expect(await seriousViolations(page)).toEqual([]);
    const [entry] = (await ctx.request('GET', '/api/v1/waitlist', { token: buyer.token })).body.items;
    expect(entry).toMatchObject({ scheduleId, quantity: 1, status: 'WAITING', position: 1 });

    await page.goto(`${web.base}/me/reservations`);
    await ready(page);
    expect(await page.textContent(`[data-entry="${entry.id}"]`)).toContain('대기 1번째');
    expect(await seriousViolations(page)).toEqual([]);

    // The holder lets go: the seat is offered to the buyer as their own hold, paid from My reservations.
    expect((await ctx.request('DELETE', `/api/v1/reservations/${held.body.id}`, { token: holder.token })).status).toBe(200);
    const offer = await eventually(async () => (await ctx.request('GET', '/api/v1/waitlist', { token: buyer.token })).body.items[0]?.offer, 60_000);
    // The page shows the offer by itself (the buyer's event stream), without a reload.
    await page.locator(`[data-entry="${entry.id}"]`, { hasText: '좌석이 배정되었습니다' }).waitFor({ timeout: 30_000 });
    await page.click(`[data-reservation="${offer.reservationId}"] button.primary`);
    await page.waitForSelector(`[data-reservation="${offer.reservationId}"][data-status="CONFIRMED"] .ticket`, { timeout: 60_000 });
    expect((await ctx.request('GET', `/api/v1/reservations/${offer.reservationId}`, { token: buyer.token })).body.status).toBe('CONFIRMED');
    expect((await ctx.request('GET', '/api/v1/wallet', { token: buyer.token })).body.balance).toBe(60_000);
    expect(await page.locator('#waitlist').count()).toBe(0); // served: off the list
    expect(await seriousViolations(page)).toEqual([]);
    await page.context().close();

    expect(await checkInvariants(ctx.pool)).toEqual([]);
  });
});
