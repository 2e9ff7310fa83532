/** The late-payment workflow's contract: a card success that reached us after its reservation closed is refunded by it. */
/** Since this patch the settlement runs on payment's task queue (the reservation's card steps move under the same patch). */
export { CARD_QUEUE_PATCH } from '../booking/reservation-contract.js';

export const LATE_PAYMENT_WORKFLOW_TYPE = 'latePaymentWorkflow';
/** One per provider payment. */
export const latePaymentWorkflowId = (providerPaymentId: string) => `late-payment-${providerPaymentId}`;

export interface LatePaymentInput {
  providerPaymentId: string;
  reservationId: string;
  /** Payment's task queue (PAYMENT_TASK_QUEUE); absent in workflows started before CARD_QUEUE_PATCH. */
  paymentTaskQueue?: string;
}
/** What settling did: the money went back, it was the reservation's applied payment after all, or it never succeeded. */
export type LatePaymentResult = 'APPLIED' | 'REFUNDED' | 'NOT_SUCCEEDED';
export type LatePaymentWorkflow = (input: LatePaymentInput) => Promise<LatePaymentResult>;
