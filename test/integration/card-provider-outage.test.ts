import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { CARDS, cardProvider } from '../support/card.js';
import { canKillServices, ensureStackRunning, killService, restartService } from '../support/chaos.js';
import { createTestContext, eventually, type TestContext } from '../support/harness.js';
import { checkInvariants, checkProviderAgreement } from '../support/invariants.js';

/**
 * The provider down (localstripe killed -9 on this run's own stack): holds and wallet payments keep
 * working, card payments answer 503 with Retry-After and lose nothing; a webhook lost meanwhile is
 * repaired by `npm run reconcile` (docs/payments.md).
 */
describe.skipIf(!inject('stack').stripeUrl || !canKillServices())('card payments with the provider down', () => {
  let ctx: TestContext;
  let provider: Awaited<ReturnType<typeof cardProvider>>;
  const hold = (token: string, scheduleId: number, seatIds: number[]) => ctx.request('POST', '/api/v1/reservations', { token, body: { scheduleId, seatIds } });
  const pay = (token: string, id: string, method: 'card' | 'wallet') => ctx.request('POST', `/api/v1/reservations/${id}/payment`, { token, body: { method } });
  const reservation = async (token: string, id: string) => (await ctx.request('GET', `/api/v1/reservations/${id}`, { token })).body;

  beforeAll(async () => {
    ctx = await createTestContext();
    provider = await cardProvider(ctx);
    await provider.start();
  });
  afterAll(async () => {
    ensureStackRunning();
    if (ctx) {
      expect(await checkInvariants(ctx.pool, { atLeast: { confirmed: 3 } })).toEqual([]);
      expect(await checkProviderAgreement(ctx.pool, provider.stripe, { atLeastSucceeded: 2 })).toEqual([]);
    }
    await provider?.close();
    await ctx?.close();
  });

  it('holds and wallet keep working, card is 503 + Retry-After; a lost webhook is repaired by the reconciliation', async () => {
    const startedAt = new Date(Date.now() - 60_000);
    const user = await ctx.createUser({ balance: 100_000 });
    const { scheduleId, seatIds } = await ctx.createSchedule({ price: 10_000 });
    const a = await hold(user.token, scheduleId, [seatIds[0]!]);
    const pendingA = await pay(user.token, a.body.id, 'card');
    expect(pendingA.status).toBe(202);

    await killService('stripe');
    try {
      const b = await hold(user.token, scheduleId, [seatIds[1]!]);
      expect(b.status).toBe(201);
      const paidB = await pay(user.token, b.body.id, 'wallet');
      expect(paidB.status).toBe(200);
      const c = await hold(user.token, scheduleId, [seatIds[2]!]);
      const refused = await pay(user.token, c.body.id, 'card');
      expect(refused.status).toBe(503);
      expect(refused.headers.get('content-type')).toContain('application/problem+json');
      expect(refused.headers.get('retry-after')).toBeTruthy();
      expect(refused.body.code).toBe('SERVICE_UNAVAILABLE');
      // Nothing lost: the hold stands, no card payment was recorded for it.
      expect(await reservation(user.token, c.body.id)).toMatchObject({ status: 'HELD', payment: null });

      await restartService('stripe');
      // localstripe forgot the registered endpoints: A's success webhook goes nowhere (lost).
      await provider.register('http://127.0.0.1:9/lost');
      expect(await provider.confirm(pendingA.body.providerPaymentId, CARDS.success)).toBe(200);
      await new Promise((r) => setTimeout(r, 2_500)); // localstripe's delivery attempt (after ~1 s) fails
      expect(await reservation(user.token, a.body.id)).toMatchObject({ status: 'HELD', payment: { status: 'PENDING' } });

      // The reconciliation finds the success and hands it to the workflow.
      const run = await promisify(execFile)('npx', ['tsx', 'scripts/reconcile.ts', '--since', startedAt.toISOString()], {
        env: {
          ...process.env,
          NODE_ENV: 'test',
          MYSQL_URL: ctx.config.MYSQL_URL,
          // Payment's card rows are in payment's database, reached as payment's own user.
          MYSQL_URL_PAYMENT: ctx.databaseUrls.payment,
          TEMPORAL_ADDRESS: ctx.config.TEMPORAL_ADDRESS,
          TEMPORAL_TASK_QUEUE: ctx.config.TEMPORAL_TASK_QUEUE,
          PAYMENT_TASK_QUEUE: ctx.config.PAYMENT_TASK_QUEUE,
          STRIPE_API_BASE: ctx.config.STRIPE_API_BASE,
          STRIPE_WEBHOOK_SECRET: ctx.config.STRIPE_WEBHOOK_SECRET,
        },
        timeout: 120_000,
      });
      const report = JSON.parse(run.stdout);
      expect(report.applied).toContain(pendingA.body.providerPaymentId);
      expect(report.mismatches).toEqual([]);
      await eventually(async () => (await reservation(user.token, a.body.id)).status === 'CONFIRMED', 30_000);

      // The provider is back: card payments work again for the hold that was refused.
      await provider.register();
      const retried = await pay(user.token, c.body.id, 'card');
      expect(retried.status).toBe(202);
      expect(await provider.confirm(retried.body.providerPaymentId, CARDS.success)).toBe(200);
      await eventually(async () => (await reservation(user.token, c.body.id)).status === 'CONFIRMED', 30_000);
    } finally {
      ensureStackRunning();
    }
  });
});
