/** The payment reconciliation's contract: hourly, our card payments against the provider's (a Temporal Schedule starts it). */
export const RECONCILIATION_SCHEDULE_ID = 'payment-reconciliation';
export const RECONCILIATION_WORKFLOW_TYPE = 'paymentReconciliationWorkflow';
export type ReconciliationResult = { checked: number; applied: number; refunded: number; mismatches: number };
