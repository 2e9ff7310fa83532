import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, ready, seriousViolations, startBrowserStack } from '../support/browser.js';
import { createTestContext, eventually, type TestContext } from '../support/harness.js';

/** The waiting room and the hold countdown in real Chromium, with the queue enforced and a short hold. */
describe.skipIf(!existsSync(CHROMIUM))('web app: waiting room and expiry in Chromium', () => {
  let ctx: TestContext;
  let web: Awaited<ReturnType<typeof startBrowserStack>>;
  let admin: { token: string };

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
    expect(await page.isHidden('#checkout')).toBe(true);
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
});
