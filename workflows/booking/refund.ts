import { patched, proxyActivities, upsertSearchAttributes } from '@temporalio/workflow';
import type { BookingActivities } from '../../activities/index.js';
import type { PaymentActivities } from '../../activities/payment.js';
import { reservationStatusKey, type RefundInput, type RefundResult } from './refund-contract.js';

const retry = { initialInterval: '500ms', maximumInterval: '30s' };
const { refundPayment, releaseReservation, startRefund } = proxyActivities<BookingActivities>({ startToCloseTimeout: '15s', retry });

/**
 * Since this patch booking decides a refund in its own database (startRefund: the reservation's row
 * lock, ticketing's admission check, the "refund started" mark a door scan refuses on), then payment
 * refunds on its own task queue (card through the provider, else the wallet), then booking releases.
 * Before it, one booking activity refunded inside payment's tables (refundPayment).
 */
export const REFUND_MARK_PATCH = 'refund-started-mark';

/**
 * Since this patch a refused refund sets the workflow's ReservationStatus back to CONFIRMED (the
 * purchase stands); before it, the attribute stayed REFUNDING for good, so a search for refunds in
 * flight listed every refused one. It guards both refusals (booking's startRefund since
 * REFUND_MARK_PATCH, payment's refundPayment before), so histories of either kind replay.
 */
export const REFUSED_REFUND_STATUS_PATCH = 'refused-refund-status';

/**
 * Cancelling a CONFIRMED reservation (the API checked the cutoff): money back first, then the
 * seats, each step idempotent so a retry or a duplicate start changes nothing. A purchase whose
 * ticket was admitted at the door is not refunded: then nothing is released either.
 * (Histories recorded before the refusal existed carry no `refused` and replay the same commands.)
 */
export async function refundReservationWorkflow(input: RefundInput): Promise<RefundResult> {
  const request = { reservationId: input.reservationId, reason: input.reason };
  if (patched(REFUND_MARK_PATCH)) {
    if ((await startRefund({ reservationId: input.reservationId })) === 'TICKET_ADMITTED') return refused();
    const payment = proxyActivities<PaymentActivities>({ taskQueue: input.paymentTaskQueue ?? 'payments', startToCloseTimeout: '30s', retry });
    await payment.refundPurchase(request);
  } else {
    const refund = await refundPayment(request);
    if (refund.refused === 'TICKET_ADMITTED') return refused();
  }
  await releaseReservation({ reservationId: input.reservationId, status: 'REFUNDED', reason: input.reason });
  upsertSearchAttributes([{ key: reservationStatusKey, value: 'REFUNDED' }]);
  return 'REFUNDED';
}

/** The purchase stands: the search attribute says so again (see REFUSED_REFUND_STATUS_PATCH). */
function refused(): RefundResult {
  if (patched(REFUSED_REFUND_STATUS_PATCH)) upsertSearchAttributes([{ key: reservationStatusKey, value: 'CONFIRMED' }]);
  return 'TICKET_ADMITTED';
}
