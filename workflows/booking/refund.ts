import { patched, proxyActivities, upsertSearchAttributes } from '@temporalio/workflow';
import type { BookingActivities } from '../../activities/index.js';
import { reservationStatusKey, type RefundInput, type RefundResult } from './refund-contract.js';

const { refundPayment, releaseReservation } = proxyActivities<BookingActivities>({
  startToCloseTimeout: '15s',
  retry: { initialInterval: '500ms', maximumInterval: '30s' },
});

/**
 * Since this patch a refused refund sets the workflow's ReservationStatus back to CONFIRMED (the
 * purchase stands); before it, the attribute stayed REFUNDING for good, so a search for refunds in
 * flight listed every refused one.
 */
export const REFUSED_REFUND_STATUS_PATCH = 'refused-refund-status';

/**
 * Cancelling a CONFIRMED reservation (the API checked the cutoff): money back first, then the
 * seats, each step idempotent so a retry or a duplicate start changes nothing. Payment refuses the
 * refund of a purchase whose ticket was admitted at the door: then nothing is released either.
 * (Histories recorded before the refusal existed carry no `refused` and replay the same commands.)
 */
export async function refundReservationWorkflow(input: RefundInput): Promise<RefundResult> {
  const refund = await refundPayment({ reservationId: input.reservationId, reason: input.reason });
  if (refund.refused === 'TICKET_ADMITTED') {
    if (patched(REFUSED_REFUND_STATUS_PATCH)) upsertSearchAttributes([{ key: reservationStatusKey, value: 'CONFIRMED' }]);
    return 'TICKET_ADMITTED';
  }
  await releaseReservation({ reservationId: input.reservationId, status: 'REFUNDED', reason: input.reason });
  upsertSearchAttributes([{ key: reservationStatusKey, value: 'REFUNDED' }]);
  return 'REFUNDED';
}
