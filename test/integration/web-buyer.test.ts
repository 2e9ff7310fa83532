import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, ready, seriousViolations, startBrowserStack } from '../support/browser.js';
import { createTestContext, eventually, type TestContext } from '../support/harness.js';

/**
 * The web app in real Chromium against the real stack: two buyers racing for a seat, checkout with
 * a top-up, my reservations, browser sessions, and axe-core on every page. What is asserted is what
 * the system decided (who holds the seat, what the reservation became), never a timing.
 */
describe.skipIf(!existsSync(CHROMIUM))('web app: buyers in Chromium', () => {
  let ctx: TestContext;
  let web: Awaited<ReturnType<typeof startBrowserStack>>;

  beforeAll(async () => {
    ctx = await createTestContext({ env: { WEB_SEAT_STREAM_INTERVAL_MS: '200' } });
    web = await startBrowserStack(ctx);
  });
  afterAll(async () => {
    await web?.close();
    await ctx?.close();
  });

  it('keeps browser sessions in an HttpOnly SameSite=Strict cookie, asks for CSRF, and still takes Bearer tokens', async () => {
    const user = await ctx.createUser();
    const login = await ctx.request('POST', '/web/session', { body: { email: user.email, password: 'correct-horse-battery' } });
    expect(login.status).toBe(200);
    const cookie = login.headers.getSetCookie().find((c) => c.startsWith('cb_session='))!;
    expect(cookie).toMatch(/^cb_session=[^;]+;/);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Strict/i);
    const session = cookie.split(';')[0]!;
    // Reading works with the cookie alone; a state change needs the CSRF token as well.
    expect((await ctx.request('GET', '/api/v1/wallet', { headers: { cookie: session } })).status).toBe(200);
    const noCsrf = await ctx.request('POST', '/api/v1/wallet/charges', { headers: { cookie: session, 'idempotency-key': `web-nocsrf-${user.id}` }, body: { amount: 1000 } });
    expect([noCsrf.status, noCsrf.body.code]).toEqual([403, 'FORBIDDEN']);
    const withCsrf = await ctx.request('POST', '/api/v1/wallet/charges', { headers: { cookie: session, 'x-csrf-token': login.body.csrfToken, 'idempotency-key': `web-charge-${user.id}` }, body: { amount: 1000 } });
    expect(withCsrf.status).toBe(201);
    expect((await ctx.request('GET', '/api/v1/wallet', { token: user.token })).body.balance).toBe(1000);
    // The refresh cookie is sent only to the refresh endpoint, and trades for a new session once.
    const refreshCookie = login.headers.getSetCookie().find((c) => c.startsWith('cb_refresh='))!;
    expect(refreshCookie).toMatch(/Path=\/web\/session\/refresh/);
    expect(refreshCookie).toMatch(/HttpOnly/i);
    const refresh = refreshCookie.split(';')[0]!;
    const renewed = await ctx.request('POST', '/web/session/refresh', { headers: { cookie: refresh }, body: {} });
    expect(renewed.status).toBe(200);
    expect(renewed.headers.getSetCookie().some((c) => c.startsWith('cb_session='))).toBe(true);
    expect((await ctx.request('POST', '/web/session/refresh', { headers: { cookie: refresh }, body: {} })).status).toBe(401);
    expect((await ctx.request('POST', '/web/session/refresh', { body: {} })).body.code).toBe('UNAUTHENTICATED');
    // Login from another origin is refused; a wrong password is the usual problem.
    const foreign = await ctx.request('POST', '/web/session', { headers: { origin: 'https://evil.example' }, body: { email: user.email, password: 'correct-horse-battery' } });
    expect(foreign.status).toBe(403);
    expect((await ctx.request('POST', '/web/session', { body: { email: user.email, password: 'wrong-password' } })).body.code).toBe('INVALID_CREDENTIALS');
    // Pages carry a CSP that allows only this origin's assets.
    const home = await ctx.request('GET', '/');
    expect(home.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(home.headers.get('content-security-policy')).not.toContain('unsafe-inline');
    // The script the page names is served from here, gzipped, cacheable for good under its versioned address.
    const src = /<script type="module" src="([^"]+)"/.exec(String(home.body))![1]!;
    const script = await ctx.app.request(src, { headers: { 'accept-encoding': 'gzip' } });
    expect([script.status, script.headers.get('content-encoding'), script.headers.get('cache-control')]).toEqual([200, 'gzip', 'public, max-age=31536000, immutable']);
    expect((await ctx.request('GET', '/web/nothing.js')).status).toBe(404);
  });

  it('two browsers race for one seat: one holds it, the other sees it taken live with a clear message', async () => {
    const { scheduleId, seatIds } = await ctx.createSchedule({ rows: 1, seatsPerRow: 6 });
    const alice = await ctx.createUser({ balance: 100_000 });
    const bob = await ctx.createUser({ balance: 100_000 });
    const carol = await ctx.createUser();
    const [pa, pb, pc] = [await web.loggedIn(alice.email), await web.loggedIn(bob.email), await web.loggedIn(carol.email)];
    // Carol has picked the same seat but does not try to hold it: only the live stream can tell her.
    for (const p of [pa, pb, pc]) {
      await p.goto(`${web.base}/schedules/${scheduleId}`);
      await ready(p);
      await p.click(`[data-seat="${seatIds[0]}"]`);
      expect(await p.getAttribute(`[data-seat="${seatIds[0]}"]`, 'aria-pressed')).toBe('true');
    }
    await Promise.all([pa.click('#hold'), pb.click('#hold')]);
    // Exactly one checkout opens; the other page says the seat is gone and shows it taken.
    const winner = await eventually(async () => {
      for (const p of [pa, pb]) if (await p.isVisible('#checkout')) return p;
      return undefined;
    }, 30_000);
    const loser = winner === pa ? pb : pa;
    await loser.waitForSelector(`[data-seat="${seatIds[0]}"]:disabled`, { timeout: 30_000 });
    await loser.locator('#message', { hasText: /다른 분이/ }).waitFor({ timeout: 30_000 });
    expect(await loser.isVisible('#checkout')).toBe(false);
    await pc.waitForSelector(`[data-seat="${seatIds[0]}"]:disabled`, { timeout: 30_000 });
    await pc.locator('#message', { hasText: /방금 다른 분이 선점/ }).waitFor({ timeout: 30_000 });
    expect(await pc.textContent('#selection')).toMatch(/없음/);
    const held = (await ctx.pool.query('SELECT status, reservation_id FROM seat_status WHERE seat_id = ?', [seatIds[0]]))[0] as Array<{ status: string }>;
    expect(held[0]!.status).toBe('HELD');
    await Promise.all([pa.context().close(), pb.context().close(), pc.context().close()]);
  });

  it('checkout tops up a short wallet, pays, and the reservation and its ticket (QR) appear; it can be refunded', async () => {
    const { concertId, scheduleId, seatIds } = await ctx.createSchedule({ rows: 1, seatsPerRow: 6, price: 30_000 });
    const buyer = await ctx.createUser({ balance: 10_000 });
    const page = await web.loggedIn(buyer.email);
    await page.goto(`${web.base}/concerts/${concertId}`);
    await ready(page);
    expect(await seriousViolations(page)).toEqual([]);
    await page.goto(`${web.base}/schedules/${scheduleId}`);
    await ready(page);
    expect(await seriousViolations(page)).toEqual([]);
    // Keyboard: focus the first seat, move right with the arrow key, select with Space.
    await page.focus(`[data-seat="${seatIds[0]}"]`);
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('Space');
    expect(await page.getAttribute(`[data-seat="${seatIds[1]}"]`, 'aria-pressed')).toBe('true');
    await page.click('#hold');
    await page.waitForSelector('#checkout:not([hidden]) #countdown');
    expect(await page.textContent('#countdown')).toMatch(/남은 시간 \d+:\d\d/);
    expect(await seriousViolations(page)).toEqual([]);
    // 10,000 in the wallet for a 30,000 seat: the top-up form is offered; paying first says why.
    await page.click('#pay');
    await page.locator('#message', { hasText: /잔액이 부족/ }).waitFor({ timeout: 30_000 });
    await page.fill('#topup-amount', '20000');
    await page.click('#topup button[type=submit]');
    await page.locator('#balance', { hasText: /30,000/ }).waitFor({ timeout: 30_000 });
    await page.click('#pay');
    await page.locator('#message', { hasText: /결제가 완료/ }).waitFor({ timeout: 60_000 });
    await page.click('#to-reservations');
    await ready(page);
    const card = await page.waitForSelector('[data-status="CONFIRMED"]');
    expect(await card.textContent()).toContain('30,000');
    expect(await seriousViolations(page)).toEqual([]);
    const [mine] = (await ctx.request('GET', '/api/v1/reservations', { token: buyer.token })).body.items;
    expect(mine).toMatchObject({ status: 'CONFIRMED', amount: 30_000 });
    // The purchase's ticket is on the card: its seat, its signed code, and its QR image drawn (the CSP lets it load).
    const [ticket] = (await ctx.request('GET', `/api/v1/reservations/${mine.id}/tickets`, { token: buyer.token })).body.items;
    const shown = page.locator(`[data-reservation="${mine.id}"] [data-ticket="${ticket.id}"]`);
    await shown.waitFor({ timeout: 30_000 });
    expect(await shown.getAttribute('data-status')).toBe('VALID');
    expect(await shown.locator('code').textContent()).toBe(ticket.code);
    expect(await shown.textContent()).toContain('A-A-2 · R · 사용 가능');
    expect(await shown.locator('img').getAttribute('alt')).toBe('A-A-2 좌석 티켓 QR 코드');
    // An image decodes after it is in the page (on a busy machine, well after): wait for it, then
    // read its width. A CSP that blocked the data: URL would reject the decode (width 0).
    const drawnWidth = await shown.locator('img').evaluate((el) => {
      const img = el as unknown as { naturalWidth: number; decode(): Promise<void> };
      return img.decode().then(() => img.naturalWidth, () => 0);
    });
    expect(drawnWidth).toBeGreaterThan(0);
    expect(await seriousViolations(page)).toEqual([]);
    // Refund from the page: the (now void) tickets leave the card.
    // A refund asks first: no sends nothing, yes refunds.
    await page.click('[data-status="CONFIRMED"] button.secondary');
    await page.click('[data-status="CONFIRMED"] .confirm button:not(.confirm-yes)');
    expect((await ctx.request('GET', `/api/v1/reservations/${mine.id}`, { token: buyer.token })).body.status).toBe('CONFIRMED');
    await page.click('[data-status="CONFIRMED"] button.secondary');
    await page.click('[data-status="CONFIRMED"] .confirm-yes');
    await page.locator('[data-reservation] .status', { hasText: /환불/ }).waitFor({ timeout: 60_000 });
    expect((await ctx.request('GET', `/api/v1/reservations/${mine.id}`, { token: buyer.token })).body.status).toBe('REFUNDED');
    expect(await page.locator(`[data-reservation="${mine.id}"] .tickets`).count()).toBe(0);
    await page.context().close();
  });

  it('explains a hold past the per-buyer ticket limit (TICKET_LIMIT) and keeps the page usable', async () => {
    const { scheduleId, seatIds } = await ctx.createSchedule({ rows: 1, seatsPerRow: 4 });
    const admin = await ctx.createUser({ role: 'ADMIN' });
    expect((await ctx.request('PATCH', `/api/v1/admin/schedules/${scheduleId}`, { token: admin.token, body: { maxTicketsPerUser: 1 } })).status).toBe(200);
    const buyer = await ctx.createUser({ balance: 100_000 });
    expect((await ctx.request('POST', '/api/v1/reservations', { token: buyer.token, body: { scheduleId, seatIds: [seatIds[0]] } })).status).toBe(201);
    const page = await web.loggedIn(buyer.email);
    await page.goto(`${web.base}/schedules/${scheduleId}`);
    await ready(page);
    await page.click(`[data-seat="${seatIds[3]}"]`);
    await page.click('#hold');
    await page.locator('#message', { hasText: /1인당 구매 한도.*한도 1매, 이미 1매/ }).waitFor({ timeout: 30_000 });
    expect(await page.isVisible('#checkout')).toBe(false);
    expect(await page.isEnabled('#hold')).toBe(true);
    // A schedule with a cap of 2 seats per reservation: the page says so before a third is picked.
    const small = await ctx.createSchedule({ rows: 1, seatsPerRow: 4, maxSeats: 2 });
    await page.goto(`${web.base}/schedules/${small.scheduleId}`);
    await ready(page);
    expect(await page.textContent('#hint')).toContain('최대 2석');
    for (const id of small.seatIds.slice(0, 3)) await page.click(`[data-seat="${id}"]`);
    await page.locator('#message', { hasText: /최대 2석/ }).waitFor({ timeout: 30_000 });
    expect(await page.getAttribute(`[data-seat="${small.seatIds[2]}"]`, 'aria-pressed')).toBe('false');
    await page.context().close();
  });

  it('has no serious axe-core violations on the public pages, in Korean and in English, and logs out', async () => {
    const user = await ctx.createUser();
    const page = await web.loggedIn(user.email);
    for (const path of ['/', '/login', '/signup', '/me/reservations']) {
      await page.goto(`${web.base}${path}`);
      await ready(page);
      expect(await seriousViolations(page), path).toEqual([]);
    }
    await page.goto(`${web.base}/`);
    await ready(page);
    await Promise.all([page.waitForEvent('load'), page.click('#lang-switch')]);
    await ready(page);
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    expect(await page.textContent('h1')).toBe('Concerts');
    expect(await seriousViolations(page)).toEqual([]);
    // Logging out ends the session, then reloads '/': wait for that load (the page is already at '/',
    // so its URL and its ready marker say nothing until the reload has happened).
    await Promise.all([page.waitForEvent('load'), page.click('#logout')]);
    await ready(page);
    expect(await page.isVisible('#logout')).toBe(false);
    expect((await page.request.get(`${web.base}/api/v1/me`)).status()).toBe(401);
    await page.context().close();
  });
});
