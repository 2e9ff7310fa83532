import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, ready, seriousViolations, startBrowserStack } from '../support/browser.js';
import { createTestContext, TEST_PASSWORD, type TestContext } from '../support/harness.js';
import { checkInvariants } from '../support/invariants.js';

/**
 * The buyer's journey (issue 22) in real Chromium with the waiting room enforced: the checkout has
 * its own address rebuilt from the server (reload, a second tab), Back from the seat map skips the
 * waiting room, a sold-out performance leads to the waiting list in one click, the seat map works
 * on a phone and by keyboard. Asserted on what the API and the database decided.
 */
describe.skipIf(!existsSync(CHROMIUM))('web app: the buyer journey in Chromium', () => {
  let ctx: TestContext;
  let web: Awaited<ReturnType<typeof startBrowserStack>>;

  beforeAll(async () => {
    ctx = await createTestContext({ env: { QUEUE_ENFORCED: 'true', QUEUE_TICK_MS: '100', QUEUE_SSE_INTERVAL_MS: '100', WEB_SEAT_STREAM_INTERVAL_MS: '200' } });
    web = await startBrowserStack(ctx);
  });
  afterAll(async () => {
    await ctx?.services.queue.service.flush();
    await web?.close();
    await ctx?.close();
  });

  it('Back from the seat map reaches the concert page; a reload mid-checkout keeps the hold, which is then paid; a second tab sees it paid', async () => {
    const { concertId, scheduleId, seatIds } = await ctx.createSchedule({ rows: 1, seatsPerRow: 6, price: 30_000 });
    const buyer = await ctx.createUser({ balance: 100_000 });
    const page = await web.loggedIn(buyer.email);
    await page.goto(`${web.base}/concerts/${concertId}`);
    await ready(page);
    await page.click(`a[href="/schedules/${scheduleId}/queue"]`);
    await page.waitForURL(`${web.base}/schedules/${scheduleId}`, { timeout: 60_000 });
    await ready(page);
    // The waiting room was a transit step: Back goes to the concert, not into the room again.
    await page.goBack();
    await page.waitForURL(`${web.base}/concerts/${concertId}`, { timeout: 30_000 });
    await ready(page);
    await page.goForward();
    await page.waitForURL(`${web.base}/schedules/${scheduleId}`, { timeout: 30_000 });
    await ready(page);
    // Context: the concert's title and venue on the seat map.
    const concert = (await ctx.request('GET', `/api/v1/concerts/${concertId}`)).body;
    expect(await page.textContent('#context')).toContain(concert.title);
    expect(await page.textContent('#context')).toContain('Test Hall');

    await page.click(`[data-seat="${seatIds[2]}"]`);
    await page.click('#hold');
    await page.waitForURL(/\/checkout\/\w+$/, { timeout: 30_000 });
    const reservationId = page.url().split('/').pop()!;
    await page.waitForSelector('#checkout #countdown');
    // A reload: the same checkout, rebuilt from the server (hold, seats, timer).
    await page.reload();
    await ready(page);
    expect(await page.textContent('#checkout')).toContain('A구역 A열 3번');
    expect(await page.textContent('#countdown')).toMatch(/\d+:\d\d/);
    expect(await page.textContent('#context')).toContain(concert.title);
    expect(await seriousViolations(page)).toEqual([]);
    // The seat map shows the held seat as the buyer's own, with the way back to this checkout.
    await page.goto(`${web.base}/schedules/${scheduleId}`);
    await ready(page);
    expect(await page.getAttribute(`[data-seat="${seatIds[2]}"]`, 'data-mine')).toBe('true');
    await page.click('#my-hold a');
    await page.waitForURL(`${web.base}/checkout/${reservationId}`);
    await ready(page);

    // A second tab (no sessionStorage of its own) on the same hold.
    const second = await page.context().newPage();
    await second.goto(`${web.base}/checkout/${reservationId}`);
    await ready(second);
    await page.click('#pay');
    await page.waitForSelector('#confirmation', { timeout: 60_000 });
    expect(await page.textContent('#confirmation')).toContain('A구역 A열 3번');
    // The other tab paying too is told it is paid (not charged twice), and shows the confirmation.
    await second.click('#pay');
    await second.waitForSelector('#confirmation', { timeout: 60_000 });
    const wallet = (await ctx.request('GET', '/api/v1/wallet', { token: buyer.token })).body;
    expect(wallet.balance).toBe(70_000);
    expect((await ctx.request('GET', `/api/v1/reservations/${reservationId}`, { token: buyer.token })).body.status).toBe('CONFIRMED');
    await page.locator('#confirmation .ticket').first().waitFor({ timeout: 30_000 });
    expect(await seriousViolations(page)).toEqual([]);
    await page.context().close();
    expect(await checkInvariants(ctx.pool)).toEqual([]);
  });

  it('a lost session on the checkout address leads to the login and back to the checkout', async () => {
    const { scheduleId, seatIds } = await ctx.createSchedule({ rows: 1, seatsPerRow: 2 });
    const buyer = await ctx.createUser({ balance: 100_000 });
    const pass = (await ctx.request('POST', '/api/v1/queue/tokens', { token: buyer.token, body: { scheduleId } })).body.token as string;
    const hold = await ctx.request('POST', '/api/v1/reservations', { token: buyer.token, headers: { 'x-queue-token': pass }, body: { scheduleId, seatIds: [seatIds[0]] } });
    expect(hold.status).toBe(201);
    const context = await web.browser.newContext({ locale: 'ko-KR' });
    const page = await context.newPage();
    await page.goto(`${web.base}/checkout/${hold.body.id}`);
    await page.waitForURL(/\/login\?next=/);
    await page.fill('#email', buyer.email);
    await page.fill('#password', TEST_PASSWORD);
    await page.click('#login-form button[type=submit]');
    await page.waitForURL(`${web.base}/checkout/${hold.body.id}`);
    await ready(page);
    await page.waitForSelector('#checkout #pay');
    await context.close();
  });

  it('a sold-out performance says so and reaches the waiting list in one click', async () => {
    const { concertId, scheduleId, seatIds } = await ctx.createSchedule({ rows: 1, seatsPerRow: 1 });
    const holder = await ctx.createUser();
    const pass = (await ctx.request('POST', '/api/v1/queue/tokens', { token: holder.token, body: { scheduleId } })).body.token as string;
    expect((await ctx.request('POST', '/api/v1/reservations', { token: holder.token, headers: { 'x-queue-token': pass }, body: { scheduleId, seatIds } })).status).toBe(201);
    const buyer = await ctx.createUser();
    const page = await web.loggedIn(buyer.email);
    await page.goto(`${web.base}/concerts/${concertId}`);
    await ready(page);
    const card = page.locator(`[data-schedule="${scheduleId}"]`);
    expect(await card.textContent()).toContain('매진');
    expect(await card.locator(`a[href="/schedules/${scheduleId}/queue"]`).count()).toBe(0);
    expect(await seriousViolations(page)).toEqual([]);
    await card.locator('button.waitlist').click();
    await card.locator('[role=status]', { hasText: '대기 명단 1번째' }).waitFor({ timeout: 30_000 });
    const [entry] = (await ctx.request('GET', '/api/v1/waitlist', { token: buyer.token })).body.items;
    expect(entry).toMatchObject({ scheduleId, quantity: 1, status: 'WAITING', position: 1 });
    await page.context().close();
  });

  it('the seat map on a phone: no sideways page scroll, tap targets of 32 px or more at every zoom; pinch zooms the map, a finger drags it, the page stays put', async () => {
    const { scheduleId } = await ctx.createSchedule({ rows: 3, seatsPerRow: 24 });
    for (const locale of ['ko-KR', 'en-GB']) {
      const context = await web.browser.newContext({ locale, viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true });
      if (locale === 'en-GB') await context.addCookies([{ name: 'lang', value: 'en', url: web.base }]);
      const page = await context.newPage();
      await page.goto(`${web.base}/schedules/${scheduleId}`);
      await ready(page);
      const pageState = async () => (await page.evaluate('({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth, x: window.scrollX, scale: visualViewport.scale })')) as { scroll: number; client: number; x: number; scale: number };
      const tapTargets = () => page.$$eval('.seat, .zoom-controls button', (els) => Math.min(...els.map((e) => Math.min(e.getBoundingClientRect().width, e.getBoundingClientRect().height))));
      const seatWidth = () => page.$eval('.seat', (e) => e.getBoundingClientRect().width);
      const zoom = async () => Number((await page.getAttribute('#seat-map', 'data-zoom')) ?? 1);
      const noSidewaysPage = async () => {
        const state = await pageState();
        expect(state.scroll).toBeLessThanOrEqual(state.client);
        expect([state.x, state.scale]).toEqual([0, 1]);
      };
      await noSidewaysPage();
      expect(await tapTargets()).toBeGreaterThanOrEqual(32);
      expect(await seriousViolations(page)).toEqual([]);

      // Touch, as the phone's own input sends it (CDP touch events): two fingers move apart over the map.
      const cdp = await context.newCDPSession(page);
      // The map at the top of the screen, so the fingers are on it (not on the sticky bar at the bottom).
      await page.$eval('#seat-map', (e) => e.scrollIntoView({ block: 'start' }));
      const box = (await page.locator('#seat-map').boundingBox())!;
      const [cx, cy] = [box.x + box.width / 2, box.y + 60];
      expect(await page.evaluate(`document.elementFromPoint(${cx}, ${cy})?.closest('#seat-map') !== null`)).toBe(true);
      const fingers = (gap: number) => [{ x: cx - gap / 2, y: cy, id: 0 }, { x: cx + gap / 2, y: cy, id: 1 }];
      const pinch = async (from: number, to: number) => {
        await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: fingers(from) });
        for (let k = 1; k <= 8; k++) await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: fingers(from + ((to - from) * k) / 8) });
        await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
      };
      const before = await seatWidth();
      await pinch(60, 180);
      await expect.poll(zoom, { timeout: 10_000 }).toBeGreaterThan(2);
      expect(await seatWidth()).toBeGreaterThan(before * 2);
      await noSidewaysPage();
      expect(await tapTargets()).toBeGreaterThanOrEqual(32);
      // One finger drags the zoomed map sideways inside its box; the page does not move.
      const scrolled = await page.$eval('#seat-map', (e) => e.scrollLeft);
      await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: [{ x: cx + 100, y: cy, id: 0 }] });
      for (let k = 1; k <= 8; k++) await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: [{ x: cx + 100 - 20 * k, y: cy, id: 0 }] });
      await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
      await expect.poll(() => page.$eval('#seat-map', (e) => e.scrollLeft), { timeout: 10_000 }).toBeGreaterThan(scrolled);
      await noSidewaysPage();
      // Pinching in shrinks it again, never below the 32 px floor; the buttons zoom too (one finger, a keyboard).
      await pinch(240, 40);
      await expect.poll(zoom, { timeout: 10_000 }).toBe(1);
      expect(await tapTargets()).toBeGreaterThanOrEqual(32);
      await page.click(`.zoom-controls button[aria-label="${locale === 'en-GB' ? 'Zoom in on the seat map' : '좌석 배치도 확대'}"]`);
      expect(await zoom()).toBe(1.25);
      await noSidewaysPage();
      expect(await seriousViolations(page)).toEqual([]);
      await context.close();
    }
  });

  it('by keyboard: the arrows skip taken seats, and the hold button is under 10 presses from the map', async () => {
    const { scheduleId, seatIds } = await ctx.createSchedule({ rows: 2, seatsPerRow: 6 });
    const other = await ctx.createUser();
    const pass = (await ctx.request('POST', '/api/v1/queue/tokens', { token: other.token, body: { scheduleId } })).body.token as string;
    // Seats 2 and 3 of the first row are taken.
    expect((await ctx.request('POST', '/api/v1/reservations', { token: other.token, headers: { 'x-queue-token': pass }, body: { scheduleId, seatIds: [seatIds[1], seatIds[2]] } })).status).toBe(201);
    const buyer = await ctx.createUser();
    const page = await web.loggedIn(buyer.email);
    await page.goto(`${web.base}/schedules/${scheduleId}`);
    await ready(page);
    await page.waitForSelector(`[data-seat="${seatIds[1]}"][data-status="HELD"]`);
    await page.focus(`[data-seat="${seatIds[0]}"]`);
    await page.keyboard.press('ArrowRight');
    expect(await page.evaluate('document.activeElement?.getAttribute("data-seat")')).toBe(String(seatIds[3]));
    await page.keyboard.press('Space');
    let presses = 0;
    while (presses < 10 && (await page.evaluate('document.activeElement?.id')) !== 'hold') {
      await page.keyboard.press('Tab');
      presses += 1;
    }
    expect(await page.evaluate('document.activeElement?.id')).toBe('hold');
    expect(presses).toBeLessThan(10);
    await page.context().close();
  });
});
