import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Page } from 'playwright-core';
import { ApplicationFailure } from '@temporalio/common';
import { CHROMIUM, ready, seriousViolations, startBrowserStack } from '../support/browser.js';
import { CARDS, cardProvider } from '../support/card.js';
import { createTestContext, eventually, type TestContext } from '../support/harness.js';
import { checkInvariants, checkProviderAgreement } from '../support/invariants.js';
import { reservationWorkflowId } from '../../workflows/booking/reservation-contract.js';

/**
 * The checkout's card form (src/web/assets/card-payment.js) in real Chromium against the real stack
 * and localstripe: the provider's signed webhook, not the page, decides. Asserted is what the system
 * recorded (the reservation, its payment) and what the page then says, in Korean and in English.
 */
describe.skipIf(!existsSync(CHROMIUM) || !inject('stack').stripeUrl)('web app: card checkout in Chromium', () => {
  let ctx: TestContext;
  let web: Awaited<ReturnType<typeof startBrowserStack>>;
  let provider: Awaited<ReturnType<typeof cardProvider>>;

  beforeAll(async () => {
    ctx = await createTestContext();
    provider = await cardProvider(ctx); // serves the app where localstripe delivers this file's webhooks
    await provider.start();
    web = await startBrowserStack(ctx);
  });
  afterAll(async () => {
    if (ctx) {
      expect(await checkInvariants(ctx.pool, { atLeast: { confirmed: 3 } })).toEqual([]);
      expect(await checkProviderAgreement(ctx.pool, provider.stripe, { atLeastSucceeded: 2 })).toEqual([]);
    }
    await web?.close();
    await provider?.close();
    await ctx?.close();
  });

  /** A buyer with a hold of one seat, on its checkout page (in English if asked). */
  async function checkout(opts: { balance?: number; english?: boolean } = {}) {
    const buyer = await ctx.createUser({ balance: opts.balance ?? 0 });
    const { scheduleId, seatIds } = await ctx.createSchedule({ rows: 1, seatsPerRow: 2, price: 40_000 });
    const held = await ctx.request('POST', '/api/v1/reservations', { token: buyer.token, body: { scheduleId, seatIds: [seatIds[0]!] } });
    expect(held.status).toBe(201);
    const page = await web.loggedIn(buyer.email);
    if (opts.english) await page.context().addCookies([{ name: 'lang', value: 'en', url: web.base }]);
    await page.goto(`${web.base}/checkout/${held.body.id}`);
    await ready(page);
    await page.waitForSelector('#card-form');
    expect(await seriousViolations(page)).toEqual([]);
    const reservation = async () => (await ctx.request('GET', `/api/v1/reservations/${held.body.id}`, { token: buyer.token })).body;
    return { page, reservation };
  }
  const payWith = async (page: Page, card: string) => {
    await page.check(`#card-form input[value="${card}"]`);
    await page.click('#pay-card');
  };

  it("the success card: the provider's webhook confirms the reservation, then the page shows the confirmation", async () => {
    const { page, reservation } = await checkout();
    await payWith(page, CARDS.success);
    await page.waitForSelector('#confirmation', { timeout: 60_000 });
    expect(await reservation()).toMatchObject({ status: 'CONFIRMED', payment: { method: 'CARD', status: 'SUCCEEDED', failedAttempts: 0 } });
    expect(await page.textContent('#confirmation')).toContain('40,000');
    expect(await seriousViolations(page)).toEqual([]);
    await page.context().close();
  });

  it('the decline card (in English): the reason beside the form, the hold kept, then paid from the wallet', async () => {
    const { page, reservation } = await checkout({ balance: 40_000, english: true });
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    await payWith(page, CARDS.declined);
    const error = page.locator('#card-form #card-error', { hasText: /Your card was declined/ });
    await error.waitFor({ timeout: 60_000 });
    const after = await reservation();
    expect(after).toMatchObject({ status: 'HELD', payment: { method: 'CARD', status: 'FAILED', failedAttempts: 1 } });
    expect(await error.textContent()).toContain(after.payment.lastError);
    expect(await page.isDisabled('#pay-card')).toBe(true);
    expect(await seriousViolations(page)).toEqual([]);
    await page.click('#pay');
    await page.waitForSelector('#confirmation', { timeout: 60_000 });
    expect((await reservation()).status).toBe('CONFIRMED');
    await page.context().close();
  });

  it('the card that needs authentication: the buyer completes it with the provider, and the booking is confirmed', async () => {
    const { page, reservation } = await checkout();
    await payWith(page, CARDS.authentication);
    await page.click('#card-auth-ok', { timeout: 60_000 });
    await page.waitForSelector('#confirmation', { timeout: 60_000 });
    expect(await reservation()).toMatchObject({ status: 'CONFIRMED', payment: { method: 'CARD', status: 'SUCCEEDED' } });
    await page.context().close();
  });

  it("the emulator's card step refuses what is not a test card or not this payment's secret, and the page may reach only the provider besides itself", async () => {
    const buyer = await ctx.createUser();
    const { scheduleId, seatIds } = await ctx.createSchedule({ rows: 1, seatsPerRow: 1 });
    const held = await ctx.request('POST', '/api/v1/reservations', { token: buyer.token, body: { scheduleId, seatIds } });
    const started = await ctx.request('POST', `/api/v1/reservations/${held.body.id}/payment`, { token: buyer.token, body: { method: 'card' } });
    expect(started.status).toBe(202);
    const confirm = (body: unknown) => ctx.request('POST', '/web/payment-emulator/confirm', { body });
    const realCard = await confirm({ clientSecret: started.body.clientSecret, card: '5555555555554444' });
    expect([realCard.status, realCard.body.code]).toEqual([400, 'VALIDATION_FAILED']);
    expect(realCard.headers.get('content-type')).toContain('application/problem+json');
    expect((await confirm('not json')).body.code).toBe('VALIDATION_FAILED');
    const otherSecret = started.body.clientSecret.replace(/_secret_\w+$/, '_secret_guessed');
    expect((await confirm({ clientSecret: otherSecret, card: CARDS.success })).body.code).toBe('NOT_FOUND');
    // Nothing of the above touched the payment: still waiting for a card.
    expect((await ctx.request('GET', `/api/v1/reservations/${held.body.id}`, { token: buyer.token })).body).toMatchObject({ status: 'HELD', payment: { status: 'PENDING', failedAttempts: 0 } });
    const page = await ctx.request('GET', `/checkout/${held.body.id}`, { token: buyer.token });
    expect(page.headers.get('content-security-policy')).toContain(`connect-src 'self' ${new URL(ctx.config.STRIPE_API_BASE).origin}`);
    expect(String(page.body)).toContain('<meta name="payment-provider"');
    await ctx.request('DELETE', `/api/v1/reservations/${held.body.id}`, { token: buyer.token });
  });
});

/**
 * A late card payment in the browser: the hold expired (3 s) while the provider could not be reached,
 * then the card went through; the late-payment workflow refunds it, and the checkout and My
 * reservations say so. Its own context: the short hold would end the other tests' holds.
 */
describe.skipIf(!existsSync(CHROMIUM) || !inject('stack').stripeUrl)('web app: a late card payment refunded, in Chromium', () => {
  let ctx: TestContext;
  let web: Awaited<ReturnType<typeof startBrowserStack>>;
  let provider: Awaited<ReturnType<typeof cardProvider>>;
  beforeAll(async () => {
    ctx = await createTestContext({
      env: { HOLD_TTL_SECONDS: '3' },
      // Card steps run on payment's worker (CARD_QUEUE_PATCH).
      overridePaymentActivities: () => ({
        settleCardBeforeClose: async () => {
          throw ApplicationFailure.create({ type: 'ProviderUnavailable', message: 'injected: provider unreachable at expiry', nonRetryable: true });
        },
      }),
    });
    provider = await cardProvider(ctx);
    await provider.start();
    web = await startBrowserStack(ctx);
  });
  afterAll(async () => {
    if (ctx) expect(await checkProviderAgreement(ctx.pool, provider.stripe, { atLeastSucceeded: 1 })).toEqual([]);
    await web?.close();
    await provider?.close();
    await ctx?.close();
  });

  it('shows the refund of a card payment that succeeded after the hold expired, on the checkout and on My reservations', async () => {
    const buyer = await ctx.createUser();
    const { scheduleId, seatIds } = await ctx.createSchedule({ rows: 1, seatsPerRow: 1, price: 40_000 });
    const held = await ctx.request('POST', '/api/v1/reservations', { token: buyer.token, body: { scheduleId, seatIds } });
    const started = await ctx.request('POST', `/api/v1/reservations/${held.body.id}/payment`, { token: buyer.token, body: { method: 'card' } });
    expect(started.status).toBe(202);
    await ctx.temporal.workflow.getHandle(reservationWorkflowId(held.body.id)).result();
    expect(await provider.confirm(started.body.providerPaymentId, CARDS.success)).toBe(200);
    await eventually(async () => (await ctx.request('GET', `/api/v1/reservations/${held.body.id}`, { token: buyer.token })).body.payment?.status === 'LATE_REFUNDED', 30_000);
    const page = await web.loggedIn(buyer.email);
    await page.goto(`${web.base}/checkout/${held.body.id}`);
    await ready(page);
    await page.waitForSelector('#checkout .late-refund');
    expect(await seriousViolations(page)).toEqual([]);
    await page.goto(`${web.base}/me/reservations`);
    await ready(page);
    await page.waitForSelector(`[data-reservation="${held.body.id}"] .late-refund`);
    await page.context().close();
  });
});
