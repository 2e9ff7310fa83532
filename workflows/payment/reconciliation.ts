import { patched, proxyActivities } from '@temporalio/workflow';
import type { BookingActivities } from '../../activities/index.js';
import type { PaymentActivities } from '../../activities/payment.js';
import { CARD_QUEUE_PATCH, type ReconciliationInput, type ReconciliationResult } from './reconciliation-contract.js';

const options = { startToCloseTimeout: '10m', retry: { maximumAttempts: 3, initialInterval: '30s' } } as const;
const { reconcilePayments } = proxyActivities<BookingActivities>(options);

/**
 * Run hourly by a Temporal Schedule: our card payments against the provider's (docs/payments.md), on
 * payment's task queue since CARD_QUEUE_PATCH (the schedule passes it; older schedules pass nothing).
 */
export async function paymentReconciliationWorkflow(input?: ReconciliationInput): Promise<ReconciliationResult> {
  if (patched(CARD_QUEUE_PATCH)) return proxyActivities<PaymentActivities>({ taskQueue: input?.paymentTaskQueue ?? 'payments', ...options }).reconcilePayments();
  return reconcilePayments();
}
