import { proxyActivities } from '@temporalio/workflow';
import type { BookingActivities } from '../../activities/index.js';
import type { SweeperResult } from './sweeper-contract.js';

const { sweepExpiredHolds } = proxyActivities<BookingActivities>({ startToCloseTimeout: '50s', retry: { maximumAttempts: 2 } });

/** Run every minute by a Temporal Schedule: the safety net for holds whose workflow is gone. */
export async function holdSweeperWorkflow(): Promise<SweeperResult> {
  return sweepExpiredHolds();
}
