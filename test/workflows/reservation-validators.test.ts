/**
 * The reservation workflow's update validators (rejectUnlessHeld in workflows/reservation.ts, shared
 * by pay, cancel and payCard): every status the workflow can be in while it still runs, each
 * update, the refusal type the API maps to its problem code, and no trace of a refusal in the
 * history. A workflow is held open in a closed status by gating its last step (the late refund
 * of a card success it did not apply).
 *
 * Status (how the test reaches it)                     pay                   cancel               payCard
 *  PENDING   (hold step gated)                          NOT_ALLOWED           NOT_ALLOWED          NOT_ALLOWED
 *  HELD                                                 accepted: reservation.test.ts and card-payment.test.ts
 *  REJECTED  (hold failed; its undo gated)              NOT_ALLOWED           NOT_ALLOWED          NOT_ALLOWED
 *  EXPIRED   (expired with a success to refund)         RESERVATION_EXPIRED   RESERVATION_EXPIRED  RESERVATION_EXPIRED
 *  CONFIRMED (paid with a success to refund)            ALREADY_PAID          NOT_ALLOWED          ALREADY_PAID
 *  CANCELLED (cancelled with a success to refund)       NOT_ALLOWED           NOT_ALLOWED          NOT_ALLOWED
 *  FAILED    (confirmation failed, a success to refund) NOT_ALLOWED           NOT_ALLOWED          NOT_ALLOWED
 * One test per row ('refuses every update while <STATUS>').
 */
import type { WorkflowHandle } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cardPaymentId, confirmationRejected, fakeActivities } from './fakes.js';
import { expiringHoldWithCardPending, holdReservation, reservationScenario, startReservation } from './reservations.js';
import type { reservationWorkflow} from './support.js';
import { cancelUpdate, cardOutcomeSignal, cardPayUpdate, expectRefused, payUpdate, stateQuery, workflowTestBed, type WorkflowTestBed } from './support.js';

let bed: WorkflowTestBed;
beforeAll(async () => {
  bed = await workflowTestBed(fakeActivities);
});
afterAll(async () => {
  await bed?.close();
});

type Handle = WorkflowHandle<typeof reservationWorkflow>;

async function expectAllRefused(handle: Handle, types: { pay: string; cancel: string; payCard: string }, opts?: { idle: boolean }) {
  await expectRefused(handle, (updateId) => handle.executeUpdate(payUpdate, { updateId }), types.pay, opts);
  await expectRefused(handle, (updateId) => handle.executeUpdate(cancelUpdate, { updateId }), types.cancel, opts);
  await expectRefused(handle, (updateId) => handle.executeUpdate(cardPayUpdate, { updateId }), types.payCard, opts);
}

const NOT_ALLOWED = { pay: 'NOT_ALLOWED', cancel: 'NOT_ALLOWED', payCard: 'NOT_ALLOWED' };

describe.concurrent('reservation workflow: update validators', () => {
  it('refuses every update while PENDING (the hold not answered yet)', async () => {
    const scenario = reservationScenario(bed);
    const hold = scenario.gate('holdSeats');
    // A short workflow task timeout: the worker heartbeats the task running the (local) hold step
    // sooner, which is when the server hands the workflow the updates that arrived meanwhile.
    const { handle } = await startReservation(bed, { scenario, workflowTaskTimeout: '2s' });
    await hold.reached;
    // The task that delivers the update is a real one here (it carries the hold's heartbeat), so
    // only the absence of update events is checked, not an unchanged length.
    await expectAllRefused(handle, NOT_ALLOWED, { idle: false });
    hold.open();
    expect((await handle.query(stateQuery)).status).toBe('HELD');
    await handle.executeUpdate(cancelUpdate);
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
