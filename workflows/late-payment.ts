import { patched, proxyActivities } from '@temporalio/workflow';
import type { BookingActivities } from '../activities/index.js';
import type { LatePaymentResult } from '../src/payment/card-payments.js';
import { CARD_QUEUE_PATCH, cardStepsOn } from './card-payment.js';

const { settleLatePayment } = proxyActivities<BookingActivities>({ startToCloseTimeout: '20s', retry: { initialInterval: '1s', maximumInterval: '1m' } });

export interface LatePaymentInput {
  providerPaymentId: string;
  reservationId: string;
  /** Payment's task queue (PAYMENT_TASK_QUEUE); absent in workflows started before CARD_QUEUE_PATCH. */
  paymentTaskQueue?: string;
}

/**
 * A card success that reached us after its reservation's workflow closed (EXPIRED, CANCELLED, or
 * paid otherwise). Durable: retried through provider outages until the money is back with the buyer
 * (or found to be the reservation's applied payment). One per provider payment: `late-payment-<id>`.
 */
export async function latePaymentWorkflow(input: LatePaymentInput): Promise<LatePaymentResult> {
  const request = { providerPaymentId: input.providerPaymentId, reason: `paid after reservation ${input.reservationId} closed` };
  if (patched(CARD_QUEUE_PATCH)) return cardStepsOn(input.paymentTaskQueue ?? 'payments').late.settleLatePayment(request);
  return settleLatePayment(request);
}
