import { existsSync } from 'node:fs';
import ExcelJS from 'exceljs';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, ready, seriousViolations, startBrowserStack } from '../support/browser.js';
import { salesReadModelConsumer } from '../../src/events/consumers/sales-read-model.js';
import { Metrics } from '../../src/platform/observability/metrics.js';
import { ensureTopics } from '../support/events.js';
import { startRelay } from '../support/kafka.js';
import { createTestContext, eventually, type TestContext } from '../support/harness.js';

/** The waiting room and the hold countdown in real Chromium, with the queue enforced and a short hold. */
describe.skipIf(!existsSync(CHROMIUM))('web app: waiting room and expiry in Chromium', () => {
  let ctx: TestContext;
  let web: Awaited<ReturnType<typeof startBrowserStack>>;
  let admin: { token: string; email: string };

  beforeAll(async () => {
    ctx = await createTestContext({
      env: { QUEUE_ENFORCED: 'true', QUEUE_TICK_MS: '100', QUEUE_SSE_INTERVAL_MS: '100', QUEUE_SETTINGS_CACHE_MS: '0', HOLD_TTL_SECONDS: '8', WEB_SEAT_STREAM_INTERVAL_MS: '200' },
    });
    admin = await ctx.createUser({ role: 'ADMIN' });
    web = await startBrowserStack(ctx);
  });
  afterAll(async () => {
    await ctx?.services.queue.service.flush();
    await web?.close();
    await ctx?.close();
  });

  it('a queued buyer waits with a position, is admitted, reaches checkout, and sees the hold expire and the seat free again', async () => {
    const { concertId, scheduleId, seatIds } = await ctx.createSchedule({ rows: 1, seatsPerRow: 4 });
    const setQueue = (maxActive: number) => ctx.request('PUT', `/api/v1/admin/schedules/${scheduleId}/queue`, { token: admin.token, body: { maxActive, admitRatePerSec: null } });
    expect((await setQueue(1)).status).toBe(200);
    // Someone else is already in: the browser buyer has to wait.
    const first = await ctx.createUser();
    expect((await ctx.request('POST', '/api/v1/queue/tokens', { token: first.token, body: { scheduleId } })).body.status).toBe('ACTIVE');

    const buyer = await ctx.createUser({ balance: 100_000 });
    const page = await web.loggedIn(buyer.email);
    await page.goto(`${web.base}/concerts/${concertId}`);
    await ready(page);
    await page.click(`a[href="/schedules/${scheduleId}/queue"]`);
    await page.locator('#position', { hasText: /내 순서: 1/ }).waitFor({ timeout: 30_000 });
    expect(await page.isVisible('#queue-progress')).toBe(true);
    expect(await seriousViolations(page)).toEqual([]);

    // Room for one more: the page moves on to the seat map by itself.
    expect((await setQueue(2)).status).toBe(200);
    await page.waitForURL(`${web.base}/schedules/${scheduleId}`, { timeout: 60_000 });
    await ready(page);
    await page.click(`[data-seat="${seatIds[2]}"]`);
    await page.click('#hold');
    await page.waitForSelector('#checkout:not([hidden]) #countdown');
    const [held] = (await ctx.request('GET', '/api/v1/reservations', { token: buyer.token })).body.items;
    expect(held.status).toBe('HELD');

    // The countdown reaches zero: the page says the hold expired; the workflow releases the seat,
    // and the live map shows it free again.
    await page.locator('#message', { hasText: /만료/ }).waitFor({ timeout: 60_000 });
    expect(await page.locator('#pay').count()).toBe(0);
    await page.click(`#checkout a[href="/schedules/${scheduleId}"]`);
    await ready(page);
    await page.waitForSelector(`[data-seat="${seatIds[2]}"]:not([disabled])`, { timeout: 60_000 });
    await eventually(async () => (await ctx.request('GET', `/api/v1/reservations/${held.id}`, { token: buyer.token })).body.status === 'EXPIRED', 60_000);
    await page.context().close();
  });

  it('tells a waiting buyer clearly when the sale sells out', async () => {
    const { scheduleId, seatIds } = await ctx.createSchedule({ rows: 1, seatsPerRow: 1 });
    expect((await ctx.request('PUT', `/api/v1/admin/schedules/${scheduleId}/queue`, { token: admin.token, body: { maxActive: 1, admitRatePerSec: null } })).status).toBe(200);
    const first = await ctx.createUser({ balance: 100_000 });
    const pass = (await ctx.request('POST', '/api/v1/queue/tokens', { token: first.token, body: { scheduleId } })).body.token as string;
    const waiter = await ctx.createUser();
    const page = await web.loggedIn(waiter.email);
    await page.goto(`${web.base}/schedules/${scheduleId}/queue`);
    await page.locator('#position', { hasText: /1/ }).waitFor({ timeout: 30_000 });
    // The one seat is bought by the buyer ahead.
    const hold = await ctx.request('POST', '/api/v1/reservations', { token: first.token, headers: { 'x-queue-token': pass }, body: { scheduleId, seatIds } });
    expect(hold.status).toBe(201);
    const paid = await ctx.request('POST', `/api/v1/reservations/${hold.body.id}/payment`, { token: first.token, headers: { 'x-queue-token': pass } });
    expect(paid.status).toBe(200);
    await page.locator('#queue-state', { hasText: /매진/ }).waitFor({ timeout: 60_000 });
    await page.context().close();
  });

  it('shows the organiser live sales during a purchase and applies the queue controls', async () => {
    await ensureTopics(ctx);
    const relay = await startRelay(ctx);
    const readModel = salesReadModelConsumer({ kafka: ctx.kafka, eventsDb: ctx.eventsDb, log: pino({ level: 'silent' }), metrics: new Metrics(`web-sales-${ctx.id}`, false), topicPrefix: ctx.config.KAFKA_TOPIC_PREFIX });
    readModel.start();
    await readModel.ready();
    try {
      const { scheduleId, seatIds } = await ctx.createSchedule({ rows: 1, seatsPerRow: 4, price: 25_000 });
      const page = await web.loggedIn(admin.email);
      await page.goto(`${web.base}/admin/schedules/${scheduleId}`);
      await ready(page);
      expect(await page.textContent('[data-figure="sold"]')).toBe('0');
      expect(await seriousViolations(page)).toEqual([]);
      // A buyer purchases while the organiser watches.
      const buyer = await ctx.createUser({ balance: 100_000 });
      const pass = (await ctx.request('POST', '/api/v1/queue/tokens', { token: buyer.token, body: { scheduleId } })).body.token as string;
      const hold = await ctx.request('POST', '/api/v1/reservations', { token: buyer.token, headers: { 'x-queue-token': pass }, body: { scheduleId, seatIds: seatIds.slice(0, 2) } });
      expect(hold.status, JSON.stringify(hold.body)).toBe(201);
      expect((await ctx.request('POST', `/api/v1/reservations/${hold.body.id}/payment`, { token: buyer.token, headers: { 'x-queue-token': pass } })).status).toBe(200);
      await page.locator('[data-figure="sold"]', { hasText: /^2$/ }).waitFor({ timeout: 60_000 });
      expect(await page.textContent('[data-figure="revenue"]')).toContain('50,000');
      // The charts (uPlot canvases): sales over time counts the two seats just bought; the live ones draw too.
      await page.locator('#chart-sales-summary', { hasText: '누적 2석' }).waitFor({ timeout: 30_000 });
      expect(await page.getAttribute('#chart-sales', 'data-seats')).toBe('2');
      for (const id of ['chart-sales', 'chart-buying', 'chart-queue', 'chart-latency']) expect(await page.locator(`#${id} canvas`).count(), id).toBeGreaterThan(0);
      await page.locator('#chart-buying-summary', { hasText: '분당 구매 1' }).waitFor({ timeout: 30_000 });
      // The attendee list as the organiser downloads it from the dashboard (the session cookie, no
      // token in the page), read back as XLSX: exactly the two tickets sold in this test.
      // Four links, each a real anchor (they were drawn as "[object HTMLAnchorElement]" text before).
      expect(await page.locator('#exports a').count()).toBe(4);
      const [download] = await Promise.all([page.waitForEvent('download'), page.click(`#exports a[href="/api/v1/admin/schedules/${scheduleId}/exports/attendees?format=xlsx"]`)]);
      expect(download.suggestedFilename()).toBe(`schedule-${scheduleId}-attendees.xlsx`);
      const workbook = new ExcelJS.Workbook();
      await workbook.xlsx.readFile((await download.path())!);
      const sheet = workbook.worksheets[0]!;
      const header = (sheet.getRow(1).values as unknown[]).slice(1);
      const lines = Array.from({ length: sheet.rowCount - 1 }, (_, i) => Object.fromEntries(header.map((name, c) => [String(name), sheet.getRow(i + 2).getCell(c + 1).value])));
      expect(lines.map((l) => [l.reservation, l.seat, l['holder id'], l.state])).toEqual([
        [hold.body.id, 1, buyer.id, 'VALID'],
        [hold.body.id, 2, buyer.id, 'VALID'],
      ]);
      // Queue controls: pin the sale to manual at 7 admissions a second.
      await page.selectOption('#mode', 'manual');
      await page.fill('#admitRatePerSec', '7');
      await page.click('#queue-controls button[type=submit]');
      await page.locator('#message', { hasText: /저장/ }).waitFor({ timeout: 30_000 });
      const settings = (await ctx.request('GET', `/api/v1/admin/schedules/${scheduleId}/queue`, { token: admin.token })).body;
      expect([settings.mode, settings.admitRatePerSec]).toEqual(['manual', 7]);
      await page.context().close();
    } finally {
      await readModel.stop();
      await relay.stop();
    }
  });
});
