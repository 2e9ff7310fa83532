import { continueAsNew, proxyActivities, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { BookingActivities } from '../../activities/index.js';
import {
  cancellationPhaseKey,
  cancellationProcessedKey,
  cancellationProgressQuery,
  type CancellationInput,
  type CancellationProgress,
  startingProgress,
} from './schedule-cancellation-contract.js';

// Every step is idempotent and must finish: retried without an attempt limit. A batch heartbeats per
// reservation, so a killed worker's batch is retried elsewhere after the heartbeat timeout, not
// after the whole start-to-close budget.
const steps = proxyActivities<BookingActivities>({
  startToCloseTimeout: '5m',
  heartbeatTimeout: '30s',
  retry: { initialInterval: '1s', maximumInterval: '30s', nonRetryableErrorTypes: ['ScheduleNotFound'] },
});

/**
 * Cancels a performance (docs/catalog-lifecycle.md): stop sales (the schedule becomes CANCELLING,
 * every later hold is refused, the waiting room closes), then close every live reservation in
 * batches (holds released through their own workflow's cancel path, purchases refunded) until none
 * is left, then close the waiting list and mark the schedule CANCELLED. Progress is a query and two
 * search attributes; after `batchesPerRun` batches the run continues as new with its progress, so
 * the history stays short however many reservations there are.
 */
export async function scheduleCancellationWorkflow(input: CancellationInput): Promise<CancellationProgress> {
  const progress: CancellationProgress = input.progress ?? startingProgress(input.scheduleId, input.reason, new Date());
  progress.runs += 1;
  setHandler(cancellationProgressQuery, () => ({ ...progress }));
  const publish = () =>
    upsertSearchAttributes([
      { key: cancellationPhaseKey, value: progress.phase },
      { key: cancellationProcessedKey, value: progress.processed },
    ]);
  publish();

  if (progress.phase === 'STOPPING_SALES') {
    const { liveAtStart } = await steps.stopSales({ scheduleId: input.scheduleId, adminId: input.adminId });
    progress.liveAtStart = liveAtStart;
    progress.phase = 'CANCELLING_RESERVATIONS';
    publish();
  }

  if (progress.phase === 'CANCELLING_RESERVATIONS') {
    for (let batchesThisRun = 0; ; batchesThisRun++) {
      if (batchesThisRun >= input.batchesPerRun || workflowInfo().continueAsNewSuggested) {
        await continueAsNew<typeof scheduleCancellationWorkflow>({ ...input, progress });
      }
      const reservationIds = await steps.liveReservationsOf({ scheduleId: input.scheduleId, limit: input.batchSize });
      if (reservationIds.length === 0) break;
      const outcome = await steps.cancelReservations({ reservationIds, reason: `performance cancelled: ${input.reason}` });
      progress.processed += reservationIds.length;
      progress.holdsReleased += outcome.holdsReleased;
      progress.purchasesRefunded += outcome.purchasesRefunded;
      progress.amountRefunded += outcome.amountRefunded;
      progress.batches += 1;
      publish();
    }
    progress.phase = 'CLOSING';
    publish();
  }

  await steps.closeScheduleQueue({ scheduleId: input.scheduleId });
  await steps.closeWaitingList({ scheduleId: input.scheduleId });
  const finished = await steps.finishCancellation({ scheduleId: input.scheduleId });
  // The same command as before; a history recorded when the step returned nothing replays the same.
  if (finished?.admittedKept) progress.admittedKept = finished.admittedKept;
  progress.phase = 'DONE';
  progress.finishedAt = new Date().toISOString();
  publish();
  return { ...progress };
}
