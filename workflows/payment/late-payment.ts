import { patched, proxyActivities } from '@temporalio/workflow';
import type { BookingActivities } from '../../activities/index.js';
import type { PaymentActivities } from '../../activities/payment.js';
import { CARD_QUEUE_PATCH, type LatePaymentInput, type LatePaymentResult } from './late-payment-contract.js';

// Money back for a success we did not apply: retried through any provider outage.
const options = { startToCloseTimeout: '20s', retry: { initialInterval: '1s', maximumInterval: '1m' } } as const;
const { settleLatePayment } = proxyActivities<BookingActivities>(options);

/**
 * A card success that reached us after its reservation's workflow closed (EXPIRED, CANCELLED, or
 * paid otherwise). Durable: retried through provider outages until the money is back with the buyer
 * (or found to be the reservation's applied payment), on payment's task queue since CARD_QUEUE_PATCH.
 * One per provider payment: `late-payment-<id>`.
 */
export async function latePaymentWorkflow(input: LatePaymentInput): Promise<LatePaymentResult> {
  const request = { providerPaymentId: input.providerPaymentId, reason: `paid after reservation ${input.reservationId} closed` };
  if (patched(CARD_QUEUE_PATCH)) return proxyActivities<PaymentActivities>({ taskQueue: input.paymentTaskQueue ?? 'payments', ...options }).settleLatePayment(request);
  return settleLatePayment(request);
}
