import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { reconciliationMismatches } from '../../src/main/worker-app.js';
import { CardOutcomeDelivery } from '../../src/payment/card-outcome-delivery.js';
import { CardPayments } from '../../src/payment/card-payments.js';
import { createPaymentProvider } from '../../src/payment/provider-factory.js';
import { Reconciliation, type Mismatch, type ReconciliationSink } from '../../src/payment/reconciliation.js';
import { Metrics } from '../../src/platform/observability/metrics.js';
import { CARDS, cardProvider } from '../support/card.js';
import { createTestContext, eventually, type TestContext } from '../support/harness.js';
import { checkInvariants, checkProviderAgreement } from '../support/invariants.js';

/**
 * The reconciliation the other way round (docs/payments.md): card payments we record as paid that
 * the provider does not list as succeeded in the window are reported (a PaymentMismatch event, the
 * payment_reconciliation_mismatches_total metric, the CardSaleWithoutProviderPayment alert), and a
 * real success the provider's list left out (created just before the window) is not.
 *
 * The disagreements are made on our side (the card rows are edited, then put back): the provider
 * is the shared localstripe, where nothing may be deleted.
 */
describe.skipIf(!inject('stack').stripeUrl)('card reconciliation: recorded successes the provider does not have', () => {
  let ctx: TestContext;
  let provider: Awaited<ReturnType<typeof cardProvider>>;
  const hold = (token: string, scheduleId: number, seatIds: number[]) => ctx.request('POST', '/api/v1/reservations', { token, body: { scheduleId, seatIds } });
  const payByCard = (token: string, id: string) => ctx.request('POST', `/api/v1/reservations/${id}/payment`, { token, body: { method: 'card' } });
  const reservation = async (token: string, id: string) => (await ctx.request('GET', `/api/v1/reservations/${id}`, { token })).body;
  const card = async (reservationId: string) => {
    const [[row]] = (await ctx.paymentPool.query('SELECT provider_payment_id, status FROM card_payments WHERE reservation_id = ?', [reservationId])) as any;
    return row as { provider_payment_id: string; status: string };
  };
  /** Rows edited by the test, with what to put back before the invariants are checked. */
  const restore: Array<{ reservationId: string; providerPaymentId: string; status: string }> = [];

  beforeAll(async () => {
    ctx = await createTestContext();
    provider = await cardProvider(ctx);
    await provider.start();
  });
  afterAll(async () => {
    if (ctx) {
      for (const r of restore) await ctx.paymentPool.query('UPDATE card_payments SET provider_payment_id = ?, status = ? WHERE reservation_id = ?', [r.providerPaymentId, r.status, r.reservationId]);
      expect(await checkInvariants(ctx.pool, { atLeast: { confirmed: 1 } })).toEqual([]);
      expect(await checkProviderAgreement(ctx.pool, provider.stripe, { atLeastSucceeded: 1 })).toEqual([]);
    }
    await provider?.close();
    await ctx?.close();
  });

  it('reports a success the provider has not got, and one it says did not succeed; not a success it has', async () => {
    const user = await ctx.createUser();
    const { scheduleId, seatIds } = await ctx.createSchedule({ price: 12_000 });

    // A: a real card sale.
    const a = await hold(user.token, scheduleId, [seatIds[0]!]);
    const paidA = await payByCard(user.token, a.body.id);
    expect(paidA.status).toBe(202);
    expect(await provider.confirm(paidA.body.providerPaymentId, CARDS.success)).toBe(200);
    await eventually(async () => (await reservation(user.token, a.body.id)).status === 'CONFIRMED', 30_000);

    // B and C: card payments started, then the holds cancelled (cancelled at the provider too).
    const cancelledAfterCard = async (seatId: number) => {
      const h = await hold(user.token, scheduleId, [seatId]);
      expect((await payByCard(user.token, h.body.id)).status).toBe(202);
      const cancelled = await ctx.request('DELETE', `/api/v1/reservations/${h.body.id}`, { token: user.token, headers: { 'idempotency-key': `cancel-${h.body.id}` } });
      expect(cancelled.status).toBe(200);
      await eventually(async () => (await card(h.body.id)).status === 'CANCELED', 30_000);
      return h.body.id as string;
    };
    const b = await cancelledAfterCard(seatIds[1]!);
    const c = await cancelledAfterCard(seatIds[2]!);

    // Our side now claims the money moved: B on a payment id the provider never issued, C on its
    // own payment, which the provider has as cancelled.
    const missingId = `pi_missing_${ctx.id}`;
    for (const [id, providerPaymentId] of [[b, missingId], [c, undefined]] as const) {
      const before = await card(id);
      restore.push({ reservationId: id, providerPaymentId: before.provider_payment_id, status: before.status });
      await ctx.paymentPool.query('UPDATE card_payments SET status = ?, provider_payment_id = ? WHERE reservation_id = ?', ['SUCCEEDED', providerPaymentId ?? before.provider_payment_id, id]);
    }
    const cPaymentId = (await card(c)).provider_payment_id;

    // The window starts after every provider payment above was created (so the provider lists none
    // of them) and our three rows are dated inside it: what is compared is our rows, one by one.
    await new Promise((r) => setTimeout(r, 1_100));
    const since = new Date();
    const until = new Date(since.getTime() + 10_000);
    await ctx.paymentPool.query('UPDATE card_payments SET created_at = ? WHERE reservation_id IN (?)', [new Date(since.getTime() + 1_000), [a.body.id, b, c]]);

    // The shared emulator lists other test files' payments too: only this file's reservations are
    // handed to the workflows; any other is left alone. Card rows and PaymentMismatch events are in
    // payment's database (its own connection), reservations in booking's.
    const delivery = new CardOutcomeDelivery(ctx.temporal, ctx.config.TEMPORAL_TASK_QUEUE, ctx.config.PAYMENT_TASK_QUEUE);
    const ours = async (reservationId: string) => ((await ctx.pool.query('SELECT id FROM reservations WHERE id = ?', [reservationId])) as any)[0].length > 0;
    const sink: ReconciliationSink = {
      deliver: async (reservationId, outcome) => ((await ours(reservationId)) ? delivery.deliver(reservationId, outcome) : 'not this file'),
      startLatePayment: async (reservationId, id) => void ((await ours(reservationId)) && (await delivery.startLatePayment(reservationId, id))),
    };
    const metrics = new Metrics('reconciliation-test', false);
    const counter = reconciliationMismatches(metrics);
    const paymentProvider = createPaymentProvider(ctx.config)!;
    const reconciliation = new Reconciliation(ctx.paymentDb, paymentProvider, new CardPayments(ctx.paymentDb, paymentProvider), sink, (m) => counter.inc({ kind: m.kind }));
    const report = await reconciliation.run(since, until);

    const mine = report.mismatches.filter((m) => [a.body.id, b, c].includes(m.reservationId));
    expect(mine.sort((x, y) => x.kind.localeCompare(y.kind))).toEqual<Mismatch[]>([
      { kind: 'RECORDED_SUCCESS_NOT_AT_PROVIDER', providerPaymentId: cPaymentId, reservationId: c, detail: 'we record SUCCEEDED, the provider says CANCELED' },
      { kind: 'RECORDED_SUCCESS_UNKNOWN_TO_PROVIDER', providerPaymentId: missingId, reservationId: b, detail: 'we record SUCCEEDED, the provider has no such payment' },
    ]);
    // A's real success, outside the provider's list for the window, is asked for by id and agrees.
    expect(report.applied).not.toContain(paidA.body.providerPaymentId);
    expect(report.refunded).not.toContain(paidA.body.providerPaymentId);

    // Reported: an event per mismatch, and the metric the alert reads.
    const [events] = (await ctx.paymentPool.query(`SELECT aggregate_id, payload FROM domain_events WHERE type = 'PaymentMismatch' ORDER BY aggregate_id`)) as any;
    const payloads = (events as Array<{ payload: unknown }>).map((e) => (typeof e.payload === 'string' ? JSON.parse(e.payload) : e.payload));
    expect(payloads).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'RECORDED_SUCCESS_UNKNOWN_TO_PROVIDER', reservationId: b, providerPaymentId: missingId }),
        expect.objectContaining({ kind: 'RECORDED_SUCCESS_NOT_AT_PROVIDER', reservationId: c, providerPaymentId: cPaymentId }),
      ]),
    );
    expect(payloads.filter((p) => p.reservationId === a.body.id)).toEqual([]);
    const values = (await counter.get()).values;
    const count = (kind: string) => values.find((v) => v.labels.kind === kind)?.value ?? 0;
    for (const kind of ['RECORDED_SUCCESS_UNKNOWN_TO_PROVIDER', 'RECORDED_SUCCESS_NOT_AT_PROVIDER']) {
      expect(count(kind), kind).toBe(report.mismatches.filter((m) => m.kind === kind).length);
      expect(count(kind), kind).toBeGreaterThanOrEqual(1);
    }
  });
});
