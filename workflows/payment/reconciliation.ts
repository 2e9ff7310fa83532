import { proxyActivities } from '@temporalio/workflow';
import type { BookingActivities } from '../../activities/index.js';
import type { ReconciliationResult } from './reconciliation-contract.js';

const { reconcilePayments } = proxyActivities<BookingActivities>({ startToCloseTimeout: '10m', retry: { maximumAttempts: 3, initialInterval: '30s' } });

/** Run hourly by a Temporal Schedule: our card payments against the provider's (docs/payments.md). */
export async function paymentReconciliationWorkflow(): Promise<ReconciliationResult> {
  return reconcilePayments();
}
