import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { CARDS, cardProvider } from '../support/card.js';
import { createTestContext, eventually, type TestContext } from '../support/harness.js';
import { recordHistory } from '../support/histories.js';
import { checkInvariants, checkProviderAgreement } from '../support/invariants.js';
import { reservationWorkflowId } from '../../workflows/booking/reservation-contract.js';

/**
 * Card payments through the provider (docs/payments.md) on the real stack with localstripe: the API
 * serves its webhook on a real port, the test plays the buyer's client (Stripe.js) with test cards.
 */
describe.skipIf(!inject('stack').stripeUrl)('card payments', () => {
  let ctx: TestContext;
  let provider: Awaited<ReturnType<typeof cardProvider>>;
  const hold = (token: string, scheduleId: number, seatIds: number[]) => ctx.request('POST', '/api/v1/reservations', { token, body: { scheduleId, seatIds } });
  const payByCard = (token: string, id: string, key?: string) =>
    ctx.request('POST', `/api/v1/reservations/${id}/payment`, { token, body: { method: 'card' }, headers: key ? { 'idempotency-key': key } : {} });
  const reservation = async (token: string, id: string) => (await ctx.request('GET', `/api/v1/reservations/${id}`, { token })).body;
  const signed = (body: string, timestamp?: number) =>
    Stripe.webhooks.generateTestHeaderString({ payload: body, secret: ctx.config.STRIPE_WEBHOOK_SECRET, ...(timestamp ? { timestamp } : {}) });
  const postWebhook = (body: string, signature?: string) => ctx.request('POST', '/webhooks/stripe', { body, headers: signature ? { 'stripe-signature': signature } : {} });
  const event = (id: string, type: string, paymentIntentId: string) => JSON.stringify({ id, object: 'event', type, created: Math.floor(Date.now() / 1000), data: { object: { id: paymentIntentId, object: 'payment_intent' } } });

  // Set by the early-webhook test: the payment is confirmed, and its webhook handled (the success
  // signalled to the workflow), as soon as the provider created it: before the API recorded it in
  // payment's database and before its cardStarted signal.
  let confirmBeforeReturning = false;

  beforeAll(async () => {
    ctx = await createTestContext({
      wrapApiPaymentProvider: (p) =>
        Object.assign(Object.create(p) as typeof p, {
          createPayment: async (...args: Parameters<typeof p.createPayment>) => {
            const created = await p.createPayment(...args);
            if (!confirmBeforeReturning) return created;
            expect(await provider.confirm(created.id, CARDS.success)).toBe(200);
            await eventually(async () => {
              const [[row]] = (await ctx.paymentPool.query(`SELECT COUNT(*) n FROM provider_events WHERE provider_payment_id = ?`, [created.id])) as any;
              return Number(row.n) > 0;
            });
            return created;
          },
        }),
    });
    provider = await cardProvider(ctx);
    await provider.start();
  });
  afterAll(async () => {
    if (ctx) {
      expect(await checkInvariants(ctx.pool, { atLeast: { confirmed: 2 } })).toEqual([]);
      expect(await checkProviderAgreement(ctx.pool, provider.stripe, { atLeastSucceeded: 2 })).toEqual([]);
    }
    await provider?.close();
    await ctx?.close();
  });

  it('a card success confirms the reservation through the webhook: seats SOLD, tickets issued', async () => {
    const user = await ctx.createUser();
    const { scheduleId, seatIds } = await ctx.createSchedule({ price: 25_000 });
    const held = await hold(user.token, scheduleId, [seatIds[0]!, seatIds[1]!]);
    expect(held.status).toBe(201);

    const pending = await payByCard(user.token, held.body.id, 'card-key-1');
    expect(pending.status).toBe(202);
    expect(pending.body).toMatchObject({ reservationId: held.body.id, status: 'PAYMENT_PENDING', amount: 50_000, currency: 'KRW' });
    expect(pending.body.clientSecret).toMatch(/^pi_.+_secret_/);
    // One provider payment per reservation: another request (another key) rejoins it.
    const again = await payByCard(user.token, held.body.id, 'card-key-2');
    expect(again.body.providerPaymentId).toBe(pending.body.providerPaymentId);
    expect((await reservation(user.token, held.body.id)).payment).toMatchObject({ method: 'CARD', status: 'PENDING' });

    expect(await provider.confirm(pending.body.providerPaymentId, CARDS.success)).toBe(200);
    const done = await eventually(async () => {
      const r = await reservation(user.token, held.body.id);
      return r.status === 'CONFIRMED' && r;
    });
    expect(done.payment).toMatchObject({ method: 'CARD', status: 'SUCCEEDED' });
    const sold = await ctx.request('GET', `/api/v1/schedules/${scheduleId}/seats?status=SOLD`);
    expect(sold.body.items.map((s: { id: number }) => s.id)).toEqual([seatIds[0], seatIds[1]]);
    const tickets = await ctx.request('GET', `/api/v1/reservations/${held.body.id}/tickets`, { token: user.token });
    expect(tickets.body.items ?? tickets.body).toHaveLength(2);
    // Paying a confirmed reservation by card again is refused; no second provider payment.
    expect((await payByCard(user.token, held.body.id, 'card-key-3')).body.code).toBe('ALREADY_PAID');
    await recordHistory(ctx.temporal.workflow.getHandle(reservationWorkflowId(held.body.id)), 'card-pay-confirm');
  });

  it('a declined card records the attempt and keeps the seats HELD; the wallet can still pay', async () => {
    const user = await ctx.createUser({ balance: 20_000 });
    const { scheduleId, seatIds } = await ctx.createSchedule({ price: 20_000 });
    const held = await hold(user.token, scheduleId, [seatIds[0]!]);
    const pending = await payByCard(user.token, held.body.id);
    expect(pending.status).toBe(202);
    expect(await provider.confirm(pending.body.providerPaymentId, CARDS.declined)).toBe(402);
    const failed = await eventually(async () => {
      const r = await reservation(user.token, held.body.id);
      return r.payment?.status === 'FAILED' && r;
    });
    expect(failed).toMatchObject({ status: 'HELD', payment: { method: 'CARD', failedAttempts: 1 } });
    expect(failed.payment.lastError).toMatch(/declined/i);

    const paid = await ctx.request('POST', `/api/v1/reservations/${held.body.id}/payment`, { token: user.token, body: { method: 'wallet' } });
    expect(paid.status).toBe(200);
    expect(paid.body.reservation.status).toBe('CONFIRMED');
    expect((await reservation(user.token, held.body.id)).payment).toMatchObject({ method: 'WALLET', status: 'SUCCEEDED' });
    await recordHistory(ctx.temporal.workflow.getHandle(reservationWorkflowId(held.body.id)), 'card-declined-then-wallet');
  });

  it('a webhook with a bad, missing or replayed old signature is 400 and changes nothing', async () => {
    const user = await ctx.createUser();
    const { scheduleId, seatIds } = await ctx.createSchedule();
    const held = await hold(user.token, scheduleId, [seatIds[0]!]);
    const pending = await payByCard(user.token, held.body.id);
    // The provider's own delivery goes nowhere for this test: only the forged ones arrive.
    await provider.register('http://127.0.0.1:9/nowhere');
    try {
      expect(await provider.confirm(pending.body.providerPaymentId, CARDS.success)).toBe(200);
      const body = event(`evt_forged_${held.body.id}`, 'payment_intent.succeeded', pending.body.providerPaymentId);
      const wrongSecret = Stripe.webhooks.generateTestHeaderString({ payload: body, secret: 'whsec_not_ours_at_all' });
      const old = signed(body, Math.floor(Date.now() / 1000) - ctx.config.STRIPE_WEBHOOK_TOLERANCE_SECONDS - 60);
      for (const signature of [wrongSecret, undefined, old, signed(`${body} `)]) {
        const res = await postWebhook(body, signature);
        expect(res.status).toBe(400);
        expect(res.headers.get('content-type')).toContain('application/problem+json');
        expect(res.body.code).toBe('VALIDATION_FAILED');
      }
      // Nothing moved: still HELD, no event recorded, so the genuine event is still handled.
      expect((await reservation(user.token, held.body.id)).status).toBe('HELD');
      const good = await postWebhook(body, signed(body));
      expect(good.status).toBe(200);
      await eventually(async () => (await reservation(user.token, held.body.id)).status === 'CONFIRMED');
    } finally {
      await provider.register();
    }
  });

  it('webhooks delivered twice and out of order (failed after succeeded) change nothing wrong: the provider is asked', async () => {
    const user = await ctx.createUser();
    const { scheduleId, seatIds } = await ctx.createSchedule();
    const held = await hold(user.token, scheduleId, [seatIds[0]!]);
    const pending = await payByCard(user.token, held.body.id);
    const pi = pending.body.providerPaymentId as string;
    await provider.register('http://127.0.0.1:9/nowhere');
    try {
      expect(await provider.confirm(pi, CARDS.success)).toBe(200);
      // A stale "failed" event first: the provider says succeeded, so it confirms, never records a failure.
      const failedFirst = event(`evt_failed_${held.body.id}`, 'payment_intent.payment_failed', pi);
      expect((await postWebhook(failedFirst, signed(failedFirst))).body).toEqual({ received: true, duplicate: false });
      await eventually(async () => (await reservation(user.token, held.body.id)).status === 'CONFIRMED');
      const succeeded = event(`evt_ok_${held.body.id}`, 'payment_intent.succeeded', pi);
      expect((await postWebhook(succeeded, signed(succeeded))).body).toEqual({ received: true, duplicate: false });
      // The same event id again: a no-op.
      expect((await postWebhook(succeeded, signed(succeeded))).body).toEqual({ received: true, duplicate: true });
      const r = await reservation(user.token, held.body.id);
      expect(r).toMatchObject({ status: 'CONFIRMED', payment: { method: 'CARD', status: 'SUCCEEDED', failedAttempts: 0 } });
      const [[row]] = (await ctx.paymentPool.query(`SELECT COUNT(*) n FROM payments WHERE reservation_id = ?`, [held.body.id])) as any;
      expect(Number(row.n)).toBe(1);
    } finally {
      await provider.register();
    }
  });

  it('a webhook that arrives before the API recorded the payment and answered 202 still confirms', async () => {
    const user = await ctx.createUser();
    const { scheduleId, seatIds } = await ctx.createSchedule();
    const held = await hold(user.token, scheduleId, [seatIds[0]!]);
    confirmBeforeReturning = true;
    try {
      const pending = await payByCard(user.token, held.body.id);
      // The 202 came after the webhook's success signal was already in the workflow.
      expect(pending.status).toBe(202);
    } finally {
      confirmBeforeReturning = false;
    }
    const done = await eventually(async () => {
      const r = await reservation(user.token, held.body.id);
      return r.status === 'CONFIRMED' && r;
    });
    expect(done.payment).toMatchObject({ method: 'CARD', status: 'SUCCEEDED' });
  });

  const paidByCard = async (user: { token: string }, scheduleId: number, seatId: number) => {
    const held = await hold(user.token, scheduleId, [seatId]);
    const pending = await payByCard(user.token, held.body.id);
    expect(await provider.confirm(pending.body.providerPaymentId, CARDS.success)).toBe(200);
    await eventually(async () => (await reservation(user.token, held.body.id)).status === 'CONFIRMED');
    return { id: held.body.id as string, pi: pending.body.providerPaymentId as string };
  };
  const providerRefunds = async (pi: string) => (await provider.stripe('GET', `/v1/refunds?payment_intent=${pi}`)).body.data as Array<{ amount: number }>;

  it("a buyer's cancellation refunds the card through the provider, once, and the back office shows it", async () => {
    const user = await ctx.createUser();
    const admin = await ctx.createUser({ role: 'ADMIN' });
    const { scheduleId, seatIds } = await ctx.createSchedule({ price: 15_000 });
    const { id, pi } = await paidByCard(user, scheduleId, seatIds[0]!);
    const cancelled = await ctx.request('DELETE', `/api/v1/reservations/${id}`, { token: user.token, headers: { 'idempotency-key': `cancel-${id}` } });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('REFUNDED');
    // A repeat (another key) changes nothing: still one refund at the provider.
    await ctx.request('DELETE', `/api/v1/reservations/${id}`, { token: user.token, headers: { 'idempotency-key': `cancel-again-${id}` } });
    expect(await providerRefunds(pi)).toEqual([expect.objectContaining({ amount: 15_000 })]);
    expect((await reservation(user.token, id)).payment).toMatchObject({ method: 'CARD', status: 'REFUNDED' });
    const refunds = await ctx.request('GET', `/api/v1/admin/refunds?userId=${user.id}`, { token: admin.token });
    expect(refunds.body.items).toEqual([expect.objectContaining({ reservationId: id, amount: 15_000 })]);
    expect(refunds.body.items[0].reason).toMatch(/^card: /);
  });

  it('a performance cancellation refunds card purchases through the provider', async () => {
    const admin = await ctx.createUser({ role: 'ADMIN' });
    const buyers = [await ctx.createUser(), await ctx.createUser()];
    const { scheduleId, seatIds } = await ctx.createSchedule({ price: 12_000 });
    const bought = [await paidByCard(buyers[0]!, scheduleId, seatIds[0]!), await paidByCard(buyers[1]!, scheduleId, seatIds[1]!)];
    const res = await ctx.request('POST', `/api/v1/admin/schedules/${scheduleId}/cancellation`, { token: admin.token, body: { reason: 'artist ill' }, headers: { 'idempotency-key': `perf-cancel-${scheduleId}` } });
    expect(res.status).toBeLessThan(300);
    await eventually(async () => (await ctx.request('GET', `/api/v1/admin/schedules/${scheduleId}/cancellation`, { token: admin.token })).body.phase === 'DONE', 60_000, 250);
    for (const [i, b] of bought.entries()) {
      expect(await providerRefunds(b.pi)).toEqual([expect.objectContaining({ amount: 12_000 })]);
      expect(await reservation(buyers[i]!.token, b.id)).toMatchObject({ status: 'REFUNDED', payment: { method: 'CARD', status: 'REFUNDED' } });
    }
  });
});
