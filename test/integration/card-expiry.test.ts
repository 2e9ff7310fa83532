import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { latePaymentWorkflowId } from '../../workflows/payment/late-payment-contract.js';
import { CARDS, cardProvider } from '../support/card.js';
import { createTestContext, eventually, type TestContext } from '../support/harness.js';
import { recordHistory } from '../support/histories.js';
import { checkInvariants, checkProviderAgreement } from '../support/invariants.js';
import { reservationWorkflowId } from '../../workflows/booking/reservation-contract.js';

/**
 * A card payment racing its hold's expiry (3 s TTL): the workflow cancels the provider payment
 * first and confirms if the provider says it already succeeded; a success that lands after the
 * workflow closed is refunded by the late-payment workflow (docs/payments.md).
 */
describe.skipIf(!inject('stack').stripeUrl)('card payments at expiry', () => {
  const TTL_S = 3;
  let ctx: TestContext;
  let provider: Awaited<ReturnType<typeof cardProvider>>;
  // Set by the late-payment test: the provider cannot be reached when the hold expires.
  let providerUnreachableAtExpiry = false;
  const hold = (token: string, scheduleId: number, seatIds: number[]) => ctx.request('POST', '/api/v1/reservations', { token, body: { scheduleId, seatIds } });
  const payByCard = (token: string, id: string) => ctx.request('POST', `/api/v1/reservations/${id}/payment`, { token, body: { method: 'card' } });
  const reservation = async (token: string, id: string) => (await ctx.request('GET', `/api/v1/reservations/${id}`, { token })).body;
  const providerRefunds = async (pi: string) => (await provider.stripe('GET', `/v1/refunds?payment_intent=${pi}`)).body.data as Array<{ amount: number }>;

  beforeAll(async () => {
    ctx = await createTestContext({
      env: { HOLD_TTL_SECONDS: String(TTL_S) },
      // Card steps run on payment's worker (CARD_QUEUE_PATCH).
      overridePaymentActivities: (a) => ({
        settleCardBeforeClose: async (input) => {
          if (providerUnreachableAtExpiry) throw ApplicationFailure.create({ type: 'ProviderUnavailable', message: 'injected: provider unreachable', nonRetryable: true });
          return a.settleCardBeforeClose(input);
        },
      }),
    });
    provider = await cardProvider(ctx);
    await provider.start();
  });
  afterAll(async () => {
    if (ctx) {
      expect(await checkInvariants(ctx.pool, { atLeast: { confirmed: 1 } })).toEqual([]);
      expect(await checkProviderAgreement(ctx.pool, provider.stripe, { atLeastSucceeded: 2 })).toEqual([]);
    }
    await provider?.close();
    await ctx?.close();
  });

  it('a success after the hold expired (the cancel never reached the provider) is refunded and told to the buyer', async () => {
    const user = await ctx.createUser();
    const { scheduleId, seatIds } = await ctx.createSchedule({ price: 18_000 });
    // The payment must start inside the 3 s hold: on a busy machine the hold may expire first
    // (400 RESERVATION_EXPIRED, the system's decision), and then the next seat is tried.
    let held!: Awaited<ReturnType<typeof hold>>;
    let pending!: Awaited<ReturnType<typeof payByCard>>;
    let seatId = seatIds[0]!;
    for (let i = 0; i < 10; i++) {
      seatId = seatIds[i]!;
      held = await hold(user.token, scheduleId, [seatId]);
      pending = await payByCard(user.token, held.body.id);
      if (pending.body?.code !== 'RESERVATION_EXPIRED') break;
    }
    expect(pending.status).toBe(202);
    const pi = pending.body.providerPaymentId as string;
    providerUnreachableAtExpiry = true;
    try {
      await eventually(async () => (await reservation(user.token, held.body.id)).status === 'EXPIRED', 30_000);
      await ctx.temporal.workflow.getHandle(reservationWorkflowId(held.body.id)).result();
    } finally {
      providerUnreachableAtExpiry = false;
    }
    // The buyer's card goes through after all: the money must go back, the seats stay released.
    expect(await provider.confirm(pi, CARDS.success)).toBe(200);
    const refunded = await eventually(async () => {
      const r = await reservation(user.token, held.body.id);
      return r.payment?.status === 'LATE_REFUNDED' && r;
    }, 30_000);
    expect(refunded.status).toBe('EXPIRED');
    expect(await providerRefunds(pi)).toEqual([expect.objectContaining({ amount: 18_000 })]);
    const [events] = (await ctx.paymentPool.query(`SELECT payload FROM domain_events WHERE type = 'LatePaymentRefunded' AND aggregate_id = ?`, [`card-${pi}`])) as any;
    expect(events).toHaveLength(1);
    const seat = await ctx.request('GET', `/api/v1/schedules/${scheduleId}/seats?status=AVAILABLE`);
    expect(seat.body.items.map((s: { id: number }) => s.id)).toContain(seatId);
    const late = ctx.temporal.workflow.getHandle(latePaymentWorkflowId(pi));
    expect(await late.result()).toBe('REFUNDED');
    await recordHistory(late, 'late-payment-refund');
    await recordHistory(ctx.temporal.workflow.getHandle(reservationWorkflowId(held.body.id)), 'card-expired-provider-unreachable');
  });

  it('the provider-side cancel at expiry racing a success: both outcomes happen, each with money and seats agreeing', async () => {
    const user = await ctx.createUser();
    const { scheduleId, seatIds } = await ctx.createSchedule({ rows: 4, seatsPerRow: 10 });
    const seen = new Set<string>();
    // Confirm a little before and a little after the timer: which one wins is the system's decision.
    const offsets = [-400, 600, -250, 900, -100, 300, -600, 1_200];
    for (let i = 0; i < 24 && seen.size < 2; i++) {
      const held = await hold(user.token, scheduleId, [seatIds[i]!]);
      const pending = await payByCard(user.token, held.body.id);
      expect(pending.status).toBe(202);
      const at = Date.parse(held.body.expiresAt) + offsets[i % offsets.length]!;
      await new Promise((r) => setTimeout(r, Math.max(0, at - Date.now())));
      const confirmed = await provider.confirm(pending.body.providerPaymentId, CARDS.success);
      await ctx.temporal.workflow.getHandle(reservationWorkflowId(held.body.id)).result();
      const r = await eventually(async () => {
        const got = await reservation(user.token, held.body.id);
        return got.status !== 'HELD' && got;
      });
      if (r.status === 'CONFIRMED') {
        expect(confirmed).toBe(200);
        expect(r.payment).toMatchObject({ method: 'CARD', status: 'SUCCEEDED' });
        if (!seen.has('CONFIRMED')) await recordHistory(ctx.temporal.workflow.getHandle(reservationWorkflowId(held.body.id)), 'card-success-at-expiry');
      } else {
        expect(r.status).toBe('EXPIRED');
        // The cancel reached the provider first: the card could not be charged any more.
        expect(confirmed).toBe(400);
        expect(r.payment).toMatchObject({ method: 'CARD', status: 'CANCELED' });
      }
      seen.add(r.status);
      expect(await checkProviderAgreement(ctx.pool, provider.stripe)).toEqual([]);
    }
    expect([...seen].sort()).toEqual(['CONFIRMED', 'EXPIRED']);
  });
});
