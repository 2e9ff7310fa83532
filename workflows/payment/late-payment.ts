import { proxyActivities } from '@temporalio/workflow';
import type { BookingActivities } from '../../activities/index.js';
import type { LatePaymentInput, LatePaymentResult } from './late-payment-contract.js';

const { settleLatePayment } = proxyActivities<BookingActivities>({ startToCloseTimeout: '20s', retry: { initialInterval: '1s', maximumInterval: '1m' } });

/**
 * A card success that reached us after its reservation's workflow closed (EXPIRED, CANCELLED, or
 * paid otherwise). Durable: retried through provider outages until the money is back with the buyer
 * (or found to be the reservation's applied payment). One per provider payment: `late-payment-<id>`.
 */
export async function latePaymentWorkflow(input: LatePaymentInput): Promise<LatePaymentResult> {
  return settleLatePayment({ providerPaymentId: input.providerPaymentId, reason: `paid after reservation ${input.reservationId} closed` });
}
