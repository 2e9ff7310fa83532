import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, ready, seriousViolations, startBrowserStack } from '../support/browser.js';
import { createTestContext, type TestContext } from '../support/harness.js';
import { checkInvariants, checkScheduleLifecycle } from '../support/invariants.js';

/**
 * The organiser's sale controls in real Chromium (issue 11 part 2 in the browser): pause and resume
 * from the sales dashboard, a buyer told clearly why a hold is refused (SALE_PAUSED, then
 * PERFORMANCE_CANCELLED), and cancelling a performance through a confirm step with a progress bar
 * that ends full, while the workflow releases the hold and refunds the purchase. The concert pages
 * show the new facts (performances, price range, availability) and the cancelled state. Asserted on
 * what the API and the database decided, not on timings.
 */
describe.skipIf(!existsSync(CHROMIUM))('web app: pause, resume and cancel a performance in Chromium', () => {
  let ctx: TestContext;
  let web: Awaited<ReturnType<typeof startBrowserStack>>;

  beforeAll(async () => {
    ctx = await createTestContext({ env: { CANCELLATION_BATCH_SIZE: '1', WEB_SEAT_STREAM_INTERVAL_MS: '200' } });
    web = await startBrowserStack(ctx);
  });
  afterAll(async () => {
    await web?.close();
    await ctx?.close();
  });

  it('pauses, resumes and cancels from the dashboard; buyers see why holds are refused; every buyer is whole', async () => {
    const PRICE = 30_000;
    const { concertId, scheduleId, seatIds } = await ctx.createSchedule({ rows: 1, seatsPerRow: 6, price: PRICE });
    const admin = await ctx.createUser({ role: 'ADMIN' });
    const wallet = async (token: string) => (await ctx.request('GET', '/api/v1/wallet', { token })).body.balance as number;
    const scheduleStatus = async () => ((await ctx.request('GET', `/api/v1/concerts/${concertId}/schedules`)).body.items[0].status as string);

    // A purchase and a hold that the cancellation must undo.
    const payer = await ctx.createUser({ balance: 100_000 });
    const bought = await ctx.request('POST', '/api/v1/reservations', { token: payer.token, body: { scheduleId, seatIds: [seatIds[0]] } });
    expect(bought.status).toBe(201);
    expect((await ctx.request('POST', `/api/v1/reservations/${bought.body.id}/payment`, { token: payer.token })).status).toBe(200);
    const holder = await ctx.createUser({ balance: 100_000 });
    const held = await ctx.request('POST', '/api/v1/reservations', { token: holder.token, body: { scheduleId, seatIds: [seatIds[1]] } });
    expect(held.status).toBe(201);

    // The concert list and page show the new facts: one performance, its price, seats left.
    const buyer = await ctx.createUser({ balance: 100_000 });
    const shopper = await web.loggedIn(buyer.email);
    await ready(shopper);
    const card = shopper.locator('.card', { has: shopper.locator(`a[href="/concerts/${concertId}"]`) });
    expect(await card.locator('.facts').textContent()).toMatch(/1회 공연.*30,000원.*잔여 4 \/ 6/);
    await shopper.goto(`${web.base}/schedules/${scheduleId}`);
    await ready(shopper);

    // The organiser pauses the sale from the dashboard.
    const page = await web.loggedIn(admin.email);
    await page.goto(`${web.base}/admin/schedules/${scheduleId}`);
    await ready(page);
    expect(await page.textContent('#schedule-status')).toContain('판매 중');
    expect(await page.isVisible('#resume-sale')).toBe(false);
    await page.click('#pause-sale');
    await page.locator('#schedule-status', { hasText: '일시 중지' }).waitFor();
    expect(await scheduleStatus()).toBe('PAUSED');
    expect(await page.isVisible('#pause-sale')).toBe(false);
    expect(await seriousViolations(page)).toEqual([]);

    // A buyer on the seat map is told the sale is paused, and gets nothing.
    await shopper.click(`[data-seat="${seatIds[2]}"]`);
    await shopper.click('#hold');
    await shopper.locator('#message.error', { hasText: '판매가 잠시 중지되었습니다' }).waitFor({ timeout: 30_000 });
    expect((await ctx.request('GET', '/api/v1/reservations', { token: buyer.token })).body.items).toEqual([]);
    // The concert page offers no way in while paused.
    const concertPage = await shopper.context().newPage();
    await concertPage.goto(`${web.base}/concerts/${concertId}`);
    await ready(concertPage);
    expect(await concertPage.textContent(`[data-schedule="${scheduleId}"]`)).toContain('판매 일시 중지');
    expect(await concertPage.isVisible(`a[href="/schedules/${scheduleId}/queue"]`)).toBe(false);

    // Resumed: the sale is back.
    await page.click('#resume-sale');
    await page.locator('#schedule-status', { hasText: '판매 중' }).waitFor();
    expect(await scheduleStatus()).toBe('SCHEDULED');

    // Cancel: a reason, then a confirm step; saying no changes nothing.
    await page.fill('#cancel-reason', 'The artist is ill');
    await page.click('#cancel-performance');
    await page.waitForSelector('#cancel-confirm:not([hidden])');
    expect(await seriousViolations(page)).toEqual([]);
    await page.click('#keep-performance');
    expect(await page.isHidden('#cancel-confirm')).toBe(true);
    expect(await scheduleStatus()).toBe('SCHEDULED');
    expect((await ctx.request('GET', `/api/v1/admin/schedules/${scheduleId}/cancellation`, { token: admin.token })).status).toBe(404);

    // Confirmed: the progress bar appears and ends full, with the workflow's own figures.
    await page.click('#cancel-performance');
    await page.click('#confirm-cancel');
    await page.waitForSelector('#cancellation:not([hidden])');
    await page.locator('#cancellation-phase', { hasText: '완료' }).waitFor({ timeout: 120_000 });
    const bar = await page.$eval('#cancellation-bar', (el) => { const bar = el as unknown as { value: number; max: number }; return { value: bar.value, max: bar.max }; });
    expect(bar).toEqual({ value: 2, max: 2 });
    expect(await page.textContent('#cancellation-phase')).toContain('2건 중 2건 처리');
    expect(await page.textContent('[data-figure="holds-released"]')).toBe('1');
    expect(await page.textContent('[data-figure="purchases-refunded"]')).toBe('1');
    expect(await page.textContent('[data-figure="amount-refunded"]')).toBe('30,000원');
    expect(await page.textContent('#schedule-status')).toContain('공연 취소됨');
    expect(await page.isVisible('#pause-sale')).toBe(false);
    expect(await page.isVisible('#cancel-form')).toBe(false);
    expect(await seriousViolations(page)).toEqual([]);

    // What the system decided: CANCELLED, the hold released, the purchase refunded, wallets whole.
    expect(await scheduleStatus()).toBe('CANCELLED');
    expect((await ctx.request('GET', `/api/v1/reservations/${bought.body.id}`, { token: payer.token })).body.status).toBe('REFUNDED');
    expect(['CANCELLED', 'EXPIRED']).toContain((await ctx.request('GET', `/api/v1/reservations/${held.body.id}`, { token: holder.token })).body.status);
    expect(await wallet(payer.token)).toBe(100_000);
    expect(await wallet(holder.token)).toBe(100_000);

    // A reload of the dashboard shows the finished cancellation (from the page's status and the progress endpoint).
    await page.reload();
    await ready(page);
    await page.locator('#cancellation-phase', { hasText: '완료' }).waitFor({ timeout: 30_000 });
    expect(await page.isVisible('#cancel-form')).toBe(false);

    // The buyer still on the seat map is told the performance is cancelled.
    await shopper.click(`[data-seat="${seatIds[3]}"]`);
    await shopper.click('#hold');
    await shopper.locator('#message.error', { hasText: '이 회차는 취소되었습니다' }).waitFor({ timeout: 30_000 });
    await concertPage.reload();
    await ready(concertPage);
    expect(await concertPage.textContent(`[data-schedule="${scheduleId}"]`)).toContain('공연 취소');
    expect(await concertPage.isVisible(`a[href="/schedules/${scheduleId}/queue"]`)).toBe(false);
    expect(await seriousViolations(concertPage)).toEqual([]);

    // In English too, with no serious axe violations.
    await page.context().addCookies([{ name: 'lang', value: 'en', url: web.base }]);
    await page.reload();
    await ready(page);
    await page.locator('#cancellation-phase', { hasText: 'Done' }).waitFor({ timeout: 30_000 });
    expect(await page.textContent('#schedule-status')).toContain('Cancelled');
    expect(await seriousViolations(page)).toEqual([]);
    await page.context().close();
    await shopper.context().close();

    expect([...(await checkInvariants(ctx.pool)), ...(await checkScheduleLifecycle(ctx.pool))]).toEqual([]);
  });
});
