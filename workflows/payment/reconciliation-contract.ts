/** The payment reconciliation's contract: hourly, our card payments against the provider's (a Temporal Schedule starts it). */
export const RECONCILIATION_SCHEDULE_ID = 'payment-reconciliation';
export const RECONCILIATION_WORKFLOW_TYPE = 'paymentReconciliationWorkflow';
/** Since this patch the reconciliation runs on payment's task queue (the schedule passes it; older schedules pass nothing). */
export { CARD_QUEUE_PATCH } from '../booking/reservation-contract.js';
export interface ReconciliationInput {
  paymentTaskQueue?: string;
}
export type ReconciliationResult = { checked: number; applied: number; refunded: number; mismatches: number };
