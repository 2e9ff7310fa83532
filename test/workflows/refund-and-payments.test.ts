/**
 * Unit tests of the short payment workflows: the refund of a confirmed reservation
 * (workflows/booking/refund.ts), the late-payment refund (workflows/payment/late-payment.ts), and
 * the two schedule-started ones, the hold sweeper and the payment reconciliation (one activity each).
 * Payment's steps run on payment's task queue (the file's own, passed in each input).
 *
 * Branches, and the test that covers each:
 *  refundReservationWorkflow (REFUND_MARK_PATCH)
 *   - refunded: booking's startRefund, payment's refundPurchase, then release REFUNDED,
 *     ReservationStatus=REFUNDED .............................................................. 'refunds, then releases'
 *   - nothing to refund (no payment, or refunded already): still releases (idempotent retry) .. 'a refund already done'
 *   - refused by startRefund (a ticket was admitted at the door): payment never asked, nothing
 *     released, TICKET_ADMITTED, ReservationStatus back to CONFIRMED (refused-refund-status) .... 'a refund refused'
 *   - a failing step is retried until it lands (no attempt limit) .............................. 'refunds, then releases'
 *   The older path (refundPayment on booking's queue, refused there) is only in recorded
 *   histories: test/replay (refund.v1-payment-guard, refund-refused.v2-payment-refuses).
 *  latePaymentWorkflow
 *   - REFUNDED / APPLIED / NOT_SUCCEEDED: payment's settlement's answer is the result .......... 'settles a late payment'
 *   - the provider unreachable: retried until it answers ...................................... 'settles a late payment'
 *  holdSweeperWorkflow, paymentReconciliationWorkflow: the activity's answer is the result ..... 'sweeps' / 'reconciles'
 */
import { describe, expect, it } from 'vitest';
import { recordHistory } from '../support/histories.js';
import { HOLD_AMOUNT, Scenario } from './fakes.js';
import {
  holdSweeperWorkflow,
  latePaymentWorkflow,
  paymentReconciliationWorkflow,
  refundReservationWorkflow,
  reservationStatusKey,
  testBedForThisFile,
} from './support.js';

const bed = testBedForThisFile();

/** Runs one refund; `record` names its history for test/replay (saved with RECORD_HISTORIES=1). */
async function refund(scenario: Scenario, record?: string) {
  const handle = await bed.client.workflow.start(refundReservationWorkflow, {
    workflowId: `${scenario.key}-refund`,
    taskQueue: bed.taskQueue,
    args: [{ reservationId: scenario.key, reason: 'cancelled by the user', paymentTaskQueue: bed.paymentTaskQueue }],
    // As the API starts it (src/booking/reservation-workflows.ts).
    typedSearchAttributes: [{ key: reservationStatusKey, value: 'REFUNDING' }],
  });
  const result = await handle.result();
  if (record) await recordHistory(handle, record);
  const status = (await handle.describe()).typedSearchAttributes.get(reservationStatusKey);
  return { result, status };
}

describe.concurrent('refund and payment workflows', () => {
  it('refunds, then releases the seats as REFUNDED (each step retried until it lands)', async () => {
    const scenario = new Scenario(bed.newId('r'), {
      startRefund: (_input, attempt) => {
        if (attempt === 1) throw new Error('booking database unreachable');
        return 'STARTED';
      },
      refundPurchase: (_input, attempt) => {
        if (attempt === 1) throw new Error('wallet database unreachable');
        return { refunded: true, amount: HOLD_AMOUNT };
      },
      releaseReservation: (_input, attempt) => {
        if (attempt === 1) throw new Error('booking database unreachable');
        return { changed: true };
      },
    });
    expect(await refund(scenario)).toEqual({ result: 'REFUNDED', status: 'REFUNDED' });
    expect(scenario.names()).toEqual(['startRefund', 'startRefund', 'refundPurchase', 'refundPurchase', 'releaseReservation', 'releaseReservation']);
    expect(scenario.calls.map((c) => c.queue)).toEqual(['booking', 'booking', 'payment', 'payment', 'booking', 'booking']);
    expect(scenario.inputs('startRefund')[0]).toEqual({ reservationId: scenario.key });
    expect(scenario.inputs('refundPurchase')[0]).toEqual({ reservationId: scenario.key, reason: 'cancelled by the user' });
    expect(scenario.inputs('releaseReservation')[0]).toEqual({ reservationId: scenario.key, status: 'REFUNDED', reason: 'cancelled by the user' });
  });

  it('a refund already done (nothing to refund) still releases: a retried refund finishes the job', async () => {
    const scenario = new Scenario(bed.newId('r'), { refundPurchase: () => ({ refunded: false, amount: 0 }), releaseReservation: () => ({ changed: false }) });
    expect(await refund(scenario)).toEqual({ result: 'REFUNDED', status: 'REFUNDED' });
    expect(scenario.names()).toEqual(['startRefund', 'refundPurchase', 'releaseReservation']);
  });

  it('a refund refused because a ticket was admitted releases nothing, and its workflow is not left REFUNDING', async () => {
    const scenario = new Scenario(bed.newId('r'), { startRefund: () => 'TICKET_ADMITTED' });
    expect(await refund(scenario, 'refund-refused')).toEqual({ result: 'TICKET_ADMITTED', status: 'CONFIRMED' });
    // Booking refused before payment was asked: no money moved, no seat released.
    expect(scenario.names()).toEqual(['startRefund']);
  });

  it.each(['REFUNDED', 'APPLIED', 'NOT_SUCCEEDED'] as const)('settles a late payment (%s), retried through a provider outage', async (answer) => {
    const providerPaymentId = `pi_${bed.newId('late')}`;
    const scenario = new Scenario(providerPaymentId, {
      settleLatePayment: (_input, attempt) => {
        if (attempt === 1) throw new Error('provider unreachable');
        return answer;
      },
    });
    const result = await bed.client.workflow.execute(latePaymentWorkflow, {
      workflowId: `late-payment-${providerPaymentId}`,
      taskQueue: bed.taskQueue,
      args: [{ providerPaymentId, reservationId: 'r-closed', paymentTaskQueue: bed.paymentTaskQueue }],
    });
    expect(result).toBe(answer);
    expect(scenario.queues('settleLatePayment')).toEqual(['payment', 'payment']);
    expect(scenario.inputs('settleLatePayment')).toEqual([
      { providerPaymentId, reason: 'paid after reservation r-closed closed' },
      { providerPaymentId, reason: 'paid after reservation r-closed closed' },
    ]);
  });
});

// The schedule-started workflows take no input, so their fakes are routed by activity name: one
// test at a time.
describe('schedule-started workflows', () => {
  it('sweeps: the sweep activity’s count is the result', async () => {
    const scenario = new Scenario('sweepExpiredHolds', { sweepExpiredHolds: () => ({ released: 3 }) });
    expect(await bed.client.workflow.execute(holdSweeperWorkflow, { workflowId: bed.newId('sweep'), taskQueue: bed.taskQueue })).toEqual({ released: 3 });
    expect(scenario.names()).toEqual(['sweepExpiredHolds']);
    scenario.dispose();
  });

  it('reconciles: the reconciliation’s counts are the result', async () => {
    const counts = { checked: 5, applied: 1, refunded: 1, mismatches: 0 };
    const scenario = new Scenario('reconcilePayments', { reconcilePayments: () => counts });
    expect(await bed.client.workflow.execute(paymentReconciliationWorkflow, { workflowId: bed.newId('reconcile'), taskQueue: bed.taskQueue, args: [{ paymentTaskQueue: bed.paymentTaskQueue }] })).toEqual(counts);
    expect(scenario.names()).toEqual(['reconcilePayments']);
    expect(scenario.queues('reconcilePayments')).toEqual(['payment']);
    scenario.dispose();
  });
});
