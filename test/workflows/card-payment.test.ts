/**
 * Unit tests of the card payment paths of the reservation workflow (workflows/booking/reservation-card-payment.ts,
 * run from workflows/booking/reservation.ts's loop): real workflow code, fake activities, the provider's verdict
 * sent as the `cardOutcome` signal the webhook sends.
 *
 * Every card step is payment's activity on payment's task queue (CARD_QUEUE_PATCH); the older
 * local-activity path is only in recorded histories (test/replay).
 *
 * Branches, and the test that covers each:
 *  payCard update (step: requested > answered)
 *   - startCardPayment ok: PAYMENT_PENDING with the client secret, the hold's amount charged ...... 'starts a card payment'
 *   - payCard again: rejoins (startCardPayment again, idempotent by reservation id) ............... 'starts a card payment'
 *   - startCardPayment answers PROVIDER_UNAVAILABLE: answered with the HELD status, hold stays ..... 'a provider that does not answer'
 *   - startCardPayment throws (both attempts): the same answer, not a failed workflow .............. 'a provider that does not answer'
 *  cardOutcome signal (step: an outcome queued)
 *   - SUCCEEDED, recorded: confirmReservation, CONFIRMED, nothing refunded ........................ 'a success webhook confirms'
 *   - SUCCEEDED, recorded, confirmation rejected: refundPurchase, release FAILED ................... 'a card success whose seats cannot be confirmed'
 *   - SUCCEEDED, recordCardSuccess ALREADY_PAID: kept, refunded as a late payment at close ......... 'a card success for a reservation already paid'
 *   - SUCCEEDED, recordCardSuccess UNKNOWN_PAYMENT: ignored, never refunded by this workflow ....... 'a success the payments table does not know'
 *   - FAILED (decline): recordCardFailure with the reason, the hold stays, the wallet can pay ...... 'a decline'
 *  settleBeforeClose at expiry (apply = true)
 *   - no provider payment started: nothing asked of the provider .................................. reservation.test.ts 'expires'
 *   - provider CANCELED the pending payment: EXPIRED ............................................... 'expiry with a pending card payment'
 *   - provider says SUCCEEDED (expiry racing a success): recorded and confirmed, not released ...... 'expiry racing a success the provider already took'
 *   - provider unreachable: EXPIRED; a success signalled meanwhile is refunded (late payment) ...... 'expiry racing a success signal'
 *  settleBeforeClose on cancel (apply = false)
 *   - provider CANCELED: CANCELLED, nothing refunded ............................................... 'cancel with a pending card payment'
 *   - provider SUCCEEDED: CANCELLED, the money refunded as a late payment ........................... 'cancel racing a card success'
 *  answerClosed (a payCard accepted while the reservation was closing)
 *   - closed EXPIRED: RESERVATION_EXPIRED ........................................................... 'a card payment that races the expiry'
 *   - closed CANCELLED: RESERVATION_NOT_PAYABLE ..................................................... 'cancel racing a card success'
 *  refundUnapplied: the applied payment is never refunded, even when its success is signalled twice 'expiry racing a success the provider already took'
 *  cardStarted signal (CARD_STARTED_BY_API_PATCH: the API created the payment; no update, no start step)
 *   - then the success webhook: recorded and confirmed, nothing else asked ........................ 'started by the API: a success'
 *   - then cancel: the close step cancels it at the provider ....................................... 'started by the API: cancel'
 *   - then paid by wallet: cancelled at the provider when the workflow closes ...................... 'started by the API: paid by wallet'
 *   - after its success webhook (payment did not know it yet): that success tried again .......... 'started by the API after its success webhook'
 *   - landing after the close step (expiry released first): settled at close; a success refunded .. 'started by the API while the hold expired'
 */
import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { cardPaymentId, confirmationRejected, HOLD_AMOUNT } from './fakes.js';
import { expiringHoldWithCardPending, expiryWithSuccessSignalled, holdReservation, reservationScenario, SHORT_EXPIRY_MS, startReservation, updateDuringExpiry } from './reservations.js';
import { cancelUpdate, cardOutcomeSignal, cardPayUpdate, cardStartedSignal, payUpdate, stateQuery, testBedForThisFile } from './support.js';

const bed = testBedForThisFile();

const pending = (reservationId: string) => ({
  ok: true,
  status: 'PAYMENT_PENDING',
  providerPaymentId: cardPaymentId(reservationId),
  clientSecret: 'secret',
  amount: HOLD_AMOUNT,
  currency: 'krw',
});

describe.concurrent('reservation workflow: card payments', () => {
  it('starts a card payment for the held amount, and a second payCard rejoins it', async () => {
    const { handle, scenario, reservationId } = await holdReservation(bed);
    expect(await handle.executeUpdate(cardPayUpdate)).toEqual(pending(reservationId));
    expect(scenario.inputs('startCardPayment')).toEqual([{ reservationId, userId: 7, amount: HOLD_AMOUNT }]);
    expect(await handle.executeUpdate(cardPayUpdate)).toEqual(pending(reservationId));
    expect(scenario.inputs('startCardPayment')).toHaveLength(2);
    // Pending is not paid: the hold stays as it was.
    expect((await handle.query(stateQuery)).status).toBe('HELD');
    await handle.executeUpdate(cancelUpdate);
    await handle.result();
  });

  it('a provider that does not answer is an answer (PROVIDER_UNAVAILABLE), the hold stays, the wallet can still pay', async () => {
    const { handle, scenario } = await holdReservation(bed, {
      script: {
        startCardPayment: (_input, attempt) => {
          if (attempt <= 2) throw ApplicationFailure.create({ type: 'ProviderUnavailable', message: 'connect ECONNREFUSED' });
          return { ok: false, code: 'PROVIDER_UNAVAILABLE', detail: 'provider timeout' };
        },
      },
    });
    // Both attempts of the local activity threw: caught in the workflow, not a failed run.
    expect(await handle.executeUpdate(cardPayUpdate)).toMatchObject({ ok: false, code: 'PROVIDER_UNAVAILABLE', status: 'HELD' });
    expect(scenario.inputs('startCardPayment')).toHaveLength(2);
    // The activity's own answer.
    expect(await handle.executeUpdate(cardPayUpdate)).toEqual({ ok: false, code: 'PROVIDER_UNAVAILABLE', detail: 'provider timeout', status: 'HELD' });
    expect(await handle.executeUpdate(payUpdate)).toMatchObject({ ok: true, status: 'CONFIRMED' });
    expect((await handle.result()).status).toBe('CONFIRMED');
    // No provider payment was ever created: nothing to cancel or refund.
    expect(scenario.names()).not.toContain('settleCardBeforeClose');
    expect(scenario.names()).not.toContain('settleLatePayment');
  });

  it('a success webhook confirms the reservation', async () => {
    const { handle, scenario, reservationId } = await holdReservation(bed);
    await handle.executeUpdate(cardPayUpdate);
    await handle.signal(cardOutcomeSignal, { providerPaymentId: cardPaymentId(reservationId), status: 'SUCCEEDED' });
    expect(await handle.result()).toMatchObject({ status: 'CONFIRMED' });
    expect(scenario.names()).toEqual(['holdSeats', 'startCardPayment', 'recordCardSuccess', 'confirmReservation']);
    expect(scenario.calls.map((c) => c.queue)).toEqual(['booking', 'payment', 'payment', 'booking']);
    expect(scenario.inputs('recordCardSuccess')).toEqual([{ reservationId, providerPaymentId: cardPaymentId(reservationId) }]);
  });

  it('a card success whose seats cannot be confirmed is refunded, then the seats released as FAILED', async () => {
    const { handle, scenario, reservationId } = await holdReservation(bed, { script: { confirmReservation: confirmationRejected } });
    await handle.executeUpdate(cardPayUpdate);
    await handle.signal(cardOutcomeSignal, { providerPaymentId: cardPaymentId(reservationId), status: 'SUCCEEDED' });
    expect(await handle.result()).toMatchObject({ status: 'FAILED', reason: 'confirmation failed after payment; refunded' });
    expect(scenario.names()).toEqual(['holdSeats', 'startCardPayment', 'recordCardSuccess', 'confirmReservation', 'refundPurchase', 'releaseReservation']);
    expect(scenario.queues('refundPurchase')).toEqual(['payment']);
    // Refunded once, through payment's refundPurchase (by the way it was paid), not again as a late payment.
    expect(scenario.names()).not.toContain('settleLatePayment');
  });

  it('a card success for a reservation already paid is kept and refunded as a late payment when the reservation closes', async () => {
    const { handle, scenario, reservationId } = await holdReservation(bed, {
      script: { recordCardSuccess: () => ({ ok: false, code: 'ALREADY_PAID', detail: 'paid by wallet' }) },
    });
    const second = cardPaymentId(reservationId, 2);
    await handle.signal(cardOutcomeSignal, { providerPaymentId: second, status: 'SUCCEEDED' });
    await scenario.called('recordCardSuccess');
    expect((await handle.query(stateQuery)).status).toBe('HELD');
    expect(await handle.executeUpdate(payUpdate)).toMatchObject({ ok: true, status: 'CONFIRMED' });
    expect((await handle.result()).status).toBe('CONFIRMED');
    expect(scenario.inputs('settleLatePayment')).toEqual([{ providerPaymentId: second, reason: `reservation ${reservationId} is CONFIRMED` }]);
  });

  it('a success the payments table does not know is ignored (never refunded by this workflow)', async () => {
    const { handle, scenario, reservationId } = await holdReservation(bed, {
      script: { recordCardSuccess: () => ({ ok: false, code: 'UNKNOWN_PAYMENT', detail: 'no such payment' }) },
    });
    await handle.signal(cardOutcomeSignal, { providerPaymentId: cardPaymentId(reservationId, 2), status: 'SUCCEEDED' });
    await scenario.called('recordCardSuccess');
    expect((await handle.query(stateQuery)).status).toBe('HELD');
    await handle.executeUpdate(cancelUpdate);
    expect((await handle.result()).status).toBe('CANCELLED');
    expect(scenario.names()).not.toContain('settleLatePayment');
  });

  it('a decline is recorded with its reason; the hold stays and the wallet can pay', async () => {
    const { handle, scenario, reservationId } = await holdReservation(bed);
    await handle.executeUpdate(cardPayUpdate);
    await handle.signal(cardOutcomeSignal, { providerPaymentId: cardPaymentId(reservationId), status: 'FAILED', reason: 'card_declined' });
    await scenario.called('recordCardFailure');
    expect(scenario.inputs('recordCardFailure')).toEqual([{ reservationId, providerPaymentId: cardPaymentId(reservationId), reason: 'card_declined' }]);
    expect((await handle.query(stateQuery)).status).toBe('HELD');
    expect(await handle.executeUpdate(payUpdate)).toMatchObject({ ok: true, status: 'CONFIRMED' });
    expect((await handle.result()).status).toBe('CONFIRMED');
    // The wallet paid; the card payment's pending intent is the late-payment path's concern, not refunded here.
    expect(scenario.names()).not.toContain('recordCardSuccess');
  });

  it('expiry with a pending card payment cancels it at the provider, then releases', async () => {
    const { handle, scenario } = await expiringHoldWithCardPending(bed, { setup: () => ({}) });
    expect(await handle.result()).toMatchObject({ status: 'EXPIRED' });
    expect(scenario.names()).toEqual(['holdSeats', 'startCardPayment', 'settleCardBeforeClose', 'releaseReservation']);
    expect(scenario.inputs('releaseReservation')[0]).toMatchObject({ status: 'EXPIRED' });
  });

  it('expiry racing a success the provider already took: the seats are sold, not released, and the payment never refunded', async () => {
    // The webhook's signal for the same payment lands while the expiry asks the provider.
    const { handle, scenario } = await expiryWithSuccessSignalled(bed, () => 'SUCCEEDED');
    expect(await handle.result()).toMatchObject({ status: 'CONFIRMED' });
    expect(scenario.names()).toEqual(['holdSeats', 'startCardPayment', 'settleCardBeforeClose', 'recordCardSuccess', 'confirmReservation']);
  });

  it('expiry racing a success signal with the provider unreachable: EXPIRED, and the success refunded as a late payment', async () => {
    const { handle, scenario, reservationId } = await expiryWithSuccessSignalled(bed, () => {
      throw ApplicationFailure.create({ type: 'ProviderUnavailable', message: 'provider down', nonRetryable: true });
    });
    expect(await handle.result()).toMatchObject({ status: 'EXPIRED' });
    expect(scenario.names()).toEqual(['holdSeats', 'startCardPayment', 'settleCardBeforeClose', 'releaseReservation', 'settleLatePayment']);
    expect(scenario.inputs('settleLatePayment')).toEqual([{ providerPaymentId: cardPaymentId(reservationId), reason: `reservation ${reservationId} is EXPIRED` }]);
    expect(scenario.calls.map((c) => c.queue)).toEqual(['booking', 'payment', 'payment', 'booking', 'payment']);
  });

  it('a card payment that races the expiry (accepted while releasing) is answered RESERVATION_EXPIRED', async () => {
    const { handle, scenario, answer } = await updateDuringExpiry(bed, cardPayUpdate);
    expect(answer).toEqual({ ok: false, code: 'RESERVATION_EXPIRED', detail: 'reservation is EXPIRED', status: 'EXPIRED' });
    expect((await handle.result()).status).toBe('EXPIRED');
    expect(scenario.names()).not.toContain('startCardPayment');
  });

  it('cancel with a pending card payment cancels it at the provider; nothing to refund', async () => {
    const { handle, scenario } = await holdReservation(bed);
    await handle.executeUpdate(cardPayUpdate);
    expect(await handle.executeUpdate(cancelUpdate)).toEqual({ ok: true, status: 'CANCELLED' });
    expect((await handle.result()).status).toBe('CANCELLED');
    expect(scenario.names()).toEqual(['holdSeats', 'startCardPayment', 'settleCardBeforeClose', 'releaseReservation']);
  });

  it('cancel racing a card success: CANCELLED, the money refunded as a late payment, a payCard meanwhile answered NOT_PAYABLE', async () => {
    const { handle, scenario, reservationId } = await holdReservation(bed, { script: { settleCardBeforeClose: () => 'SUCCEEDED' } });
    await handle.executeUpdate(cardPayUpdate);
    const settle = scenario.gate('settleCardBeforeClose');
    const cancel = await handle.startUpdate(cancelUpdate, { waitForStage: 'ACCEPTED' });
    await settle.reached;
    const payCard = await handle.startUpdate(cardPayUpdate, { waitForStage: 'ACCEPTED' });
    settle.open();
    expect(await cancel.result()).toEqual({ ok: true, status: 'CANCELLED' });
    expect(await payCard.result()).toEqual({ ok: false, code: 'RESERVATION_NOT_PAYABLE', detail: 'reservation is CANCELLED', status: 'CANCELLED' });
    expect((await handle.result()).status).toBe('CANCELLED');
    expect(scenario.names()).toEqual(['holdSeats', 'startCardPayment', 'settleCardBeforeClose', 'releaseReservation', 'settleLatePayment']);
    expect(scenario.inputs('settleLatePayment')).toEqual([{ providerPaymentId: cardPaymentId(reservationId), reason: `reservation ${reservationId} is CANCELLED` }]);
  });
});

describe.concurrent('reservation workflow: card payments started by the API (cardStarted signal)', () => {
  const started = (reservationId: string) => ({ providerPaymentId: cardPaymentId(reservationId) });

  it('started by the API: a success webhook confirms, with no start step and nothing to settle', async () => {
    const { handle, scenario, reservationId } = await holdReservation(bed);
    await handle.signal(cardStartedSignal, started(reservationId));
    await handle.signal(cardOutcomeSignal, { providerPaymentId: cardPaymentId(reservationId), status: 'SUCCEEDED' });
    expect(await handle.result()).toMatchObject({ status: 'CONFIRMED' });
    expect(scenario.names()).toEqual(['holdSeats', 'recordCardSuccess', 'confirmReservation']);
  });

  it('started by the API: cancel cancels it at the provider before the seats are released', async () => {
    const { handle, scenario, reservationId } = await holdReservation(bed);
    await handle.signal(cardStartedSignal, started(reservationId));
    expect(await handle.executeUpdate(cancelUpdate)).toEqual({ ok: true, status: 'CANCELLED' });
    expect((await handle.result()).status).toBe('CANCELLED');
    expect(scenario.names()).toEqual(['holdSeats', 'settleCardBeforeClose', 'releaseReservation']);
  });

  it('started by the API, then paid by wallet: the card payment is cancelled at the provider when the workflow closes', async () => {
    const { handle, scenario, reservationId } = await holdReservation(bed);
    await handle.signal(cardStartedSignal, started(reservationId));
    expect(await handle.executeUpdate(payUpdate)).toMatchObject({ ok: true, status: 'CONFIRMED' });
    expect((await handle.result()).status).toBe('CONFIRMED');
    expect(scenario.names()).toEqual(['holdSeats', 'debitWallet', 'confirmReservation', 'settleCardBeforeClose']);
    expect(scenario.inputs('settleCardBeforeClose')).toEqual([{ reservationId }]);
    expect(scenario.names()).not.toContain('settleLatePayment');
  });

  it('started by the API after its success webhook (payment did not know the payment yet): applied once the signal comes', async () => {
    let calls = 0;
    const { handle, scenario, reservationId } = await holdReservation(bed, {
      script: { recordCardSuccess: () => (++calls === 1 ? { ok: false, code: 'UNKNOWN_PAYMENT', detail: 'not recorded yet' } : { ok: true, paymentId: 12, amount: HOLD_AMOUNT }) },
    });
    await handle.signal(cardOutcomeSignal, { providerPaymentId: cardPaymentId(reservationId), status: 'SUCCEEDED' });
    await scenario.called('recordCardSuccess');
    expect((await handle.query(stateQuery)).status).toBe('HELD');
    await handle.signal(cardStartedSignal, started(reservationId));
    expect((await handle.result()).status).toBe('CONFIRMED');
    expect(scenario.names()).toEqual(['holdSeats', 'recordCardSuccess', 'recordCardSuccess', 'confirmReservation']);
    expect(scenario.names()).not.toContain('settleLatePayment');
  });

  it('started by the API while the hold expired (signal after the close step): settled at close, a success refunded as a late payment', async () => {
    const scenario = reservationScenario(bed, { settleCardBeforeClose: () => 'SUCCEEDED' });
    const release = scenario.gate('releaseReservation');
    const { handle, reservationId } = await startReservation(bed, { scenario, holdTtlMs: SHORT_EXPIRY_MS });
    await release.reached;
    // The expiry's close step ran without a payment to cancel; the API's signal lands now.
    await handle.signal(cardStartedSignal, started(reservationId));
    release.open();
    expect((await handle.result()).status).toBe('EXPIRED');
    expect(scenario.names()).toEqual(['holdSeats', 'releaseReservation', 'settleCardBeforeClose', 'settleLatePayment']);
    expect(scenario.inputs('settleLatePayment')).toEqual([{ providerPaymentId: cardPaymentId(reservationId), reason: `reservation ${reservationId} is EXPIRED` }]);
  });
});
