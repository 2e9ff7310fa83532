/**
 * The reservation workflow's update validators (rejectUnlessHeld in workflows/reservation.ts, shared
 * by pay, cancel and payCard): every status the workflow can be in while it still runs, each
 * update, the refusal type the API maps to its problem code, and no trace of a refusal in the
 * history. A workflow is held open in a closed status by gating its last step (the late refund
 * of a card success it did not apply).
 *
 * Status (how the test reaches it)                     pay                   cancel               payCard
 *  PENDING   (sent with the start)                      NOT_ALLOWED           NOT_ALLOWED          NOT_ALLOWED
 *  HELD                                                 accepted: reservation.test.ts and card-payment.test.ts
 *  REJECTED  (hold failed; its undo gated)              NOT_ALLOWED           NOT_ALLOWED          NOT_ALLOWED
 *  EXPIRED   (expired with a success to refund)         RESERVATION_EXPIRED   RESERVATION_EXPIRED  RESERVATION_EXPIRED
 *  CONFIRMED (paid with a success to refund)            ALREADY_PAID          NOT_ALLOWED          ALREADY_PAID
 *  CANCELLED (cancelled with a success to refund)       NOT_ALLOWED           NOT_ALLOWED          NOT_ALLOWED
 *  FAILED    (confirmation failed, a success to refund) NOT_ALLOWED           NOT_ALLOWED          NOT_ALLOWED
 * One test per row ('refuses every update while <STATUS>'; PENDING: one per update).
 */
import type { WorkflowHandle } from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { cardPaymentId, confirmationRejected } from './fakes.js';
import { expiringHoldWithCardPending, holdReservation, reservationScenario, startWithUpdate } from './reservations.js';
import {
  cancelUpdate,
  cardOutcomeSignal,
  cardPayUpdate,
  expectRefusal,
  expectRefused,
  holdUpdate,
  payUpdate,
  refusedUpdateId,
  stateQuery,
  updatesInHistory,
  testBedForThisFile,
  type reservationWorkflow,
} from './support.js';

const bed = testBedForThisFile();

type Handle = WorkflowHandle<typeof reservationWorkflow>;

/**
 * The three updates one after another, each on an idle workflow: a refusal then leaves not a single
 * event. (Sent at once, the second waits for the first one's speculative task, and the server
 * records the task it then runs: no update events still, but two task events.)
 */
async function expectAllRefused(handle: Handle, types: { pay: string; cancel: string; payCard: string }) {
  await expectRefused(handle, (updateId) => handle.executeUpdate(payUpdate, { updateId }), types.pay);
  await expectRefused(handle, (updateId) => handle.executeUpdate(cancelUpdate, { updateId }), types.cancel);
  await expectRefused(handle, (updateId) => handle.executeUpdate(cardPayUpdate, { updateId }), types.payCard);
}

const NOT_ALLOWED = { pay: 'NOT_ALLOWED', cancel: 'NOT_ALLOWED', payCard: 'NOT_ALLOWED' };

describe.concurrent('reservation workflow: update validators', () => {
  it.each([
    ['pay', payUpdate],
    ['cancel', cancelUpdate],
    ['payCard', cardPayUpdate],
  ] as const)('refuses %s while PENDING (the hold not answered yet)', async (_name, update) => {
    const scenario = reservationScenario(bed);
    const updateId = refusedUpdateId();
    // Sent with the start: validated in the workflow's first task, before the hold step can answer.
    const { handle, err } = await startWithUpdate(bed, scenario, update as UpdateDefinition<unknown, []>, updateId);
    expectRefusal(err, 'NOT_ALLOWED', updateId);
    // The workflow carries on: the refusal changed nothing and left no update in its history.
    expect(await handle.executeUpdate(holdUpdate)).toMatchObject({ ok: true });
    expect((await handle.query(stateQuery)).status).toBe('HELD');
    expect(await updatesInHistory(handle)).not.toContain(updateId);
    const cancelId = 'cancel-after-hold';
    await handle.executeUpdate(cancelUpdate, { updateId: cancelId });
    // The check above could fail: an accepted update is found in the history.
    expect(await updatesInHistory(handle)).toContain(cancelId);
    await handle.result();
  });

  it('refuses every update while REJECTED (a failed hold being undone)', async () => {
    const scenario = reservationScenario(bed, {
      holdSeats: () => {
        throw new Error('MySQL unreachable');
      },
    });
    const undo = scenario.gate('releaseFailedHold');
    const { handle } = await holdReservation(bed, { scenario });
    await undo.reached;
    await expectAllRefused(handle, NOT_ALLOWED);
    undo.open();
    await handle.result().catch(() => undefined);
  });

  it('refuses every update while EXPIRED', async () => {
    const { handle, reservationId, prepared } = await expiringHoldWithCardPending(bed, {
      setup: (s) => ({ release: s.gate('releaseReservation'), refund: s.gate('settleLatePayment') }),
    });
    await prepared.release.reached;
    await handle.signal(cardOutcomeSignal, { providerPaymentId: cardPaymentId(reservationId), status: 'SUCCEEDED' });
    prepared.release.open();
    await prepared.refund.reached;
    await expectAllRefused(handle, { pay: 'RESERVATION_EXPIRED', cancel: 'RESERVATION_EXPIRED', payCard: 'RESERVATION_EXPIRED' });
    prepared.refund.open();
    expect((await handle.result()).status).toBe('EXPIRED');
  });

  it('refuses every update while CONFIRMED', async () => {
    const scenario = reservationScenario(bed, { recordCardSuccess: () => ({ ok: false, code: 'ALREADY_PAID', detail: 'paid otherwise' }) });
    const refund = scenario.gate('settleLatePayment');
    const { handle, reservationId } = await holdReservation(bed, { scenario });
    await handle.signal(cardOutcomeSignal, { providerPaymentId: cardPaymentId(reservationId, 2), status: 'SUCCEEDED' });
    await scenario.called('recordCardSuccess');
    await handle.executeUpdate(payUpdate);
    await refund.reached;
    await expectAllRefused(handle, { pay: 'ALREADY_PAID', cancel: 'NOT_ALLOWED', payCard: 'ALREADY_PAID' });
    refund.open();
    expect((await handle.result()).status).toBe('CONFIRMED');
  });

  it('refuses every update while CANCELLED', async () => {
    const scenario = reservationScenario(bed, { settleCardBeforeClose: () => 'SUCCEEDED' });
    const refund = scenario.gate('settleLatePayment');
    const { handle } = await holdReservation(bed, { scenario });
    await handle.executeUpdate(cardPayUpdate);
    await handle.executeUpdate(cancelUpdate);
    await refund.reached;
    await expectAllRefused(handle, NOT_ALLOWED);
    refund.open();
    expect((await handle.result()).status).toBe('CANCELLED');
  });

  it('refuses every update while FAILED', async () => {
    const scenario = reservationScenario(bed, { confirmReservation: confirmationRejected });
    const release = scenario.gate('releaseReservation');
    const refund = scenario.gate('settleLatePayment');
    const { handle, reservationId } = await holdReservation(bed, { scenario });
    const pay = await handle.startUpdate(payUpdate, { waitForStage: 'ACCEPTED' });
    await release.reached;
    await handle.signal(cardOutcomeSignal, { providerPaymentId: cardPaymentId(reservationId, 2), status: 'SUCCEEDED' });
    release.open();
    await refund.reached;
    await expectAllRefused(handle, NOT_ALLOWED);
    refund.open();
    expect(await pay.result()).toMatchObject({ ok: false, code: 'PAYMENT_FAILED', status: 'FAILED' });
    expect((await handle.result()).status).toBe('FAILED');
  });
});
