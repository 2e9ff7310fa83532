/**
 * The performance-cancellation workflow's contract: its type name, id, input and progress, the
 * progress query and its search attributes. Read by the workflow (sandbox), catalog's client
 * (src/catalog/schedule-cancellations.ts) and the activities; it imports only Temporal's definitions.
 * Names and ids are wire format (test/replay).
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { defineQuery } from '@temporalio/workflow';

/** The reservation's keys, so operators find a cancellation next to the schedule's reservations. */
export { concertIdKey, scheduleIdKey, userIdKey } from '../booking/reservation-contract.js';

export const SCHEDULE_CANCELLATION_WORKFLOW_TYPE = 'scheduleCancellationWorkflow';
/** One workflow per schedule (a repeated request joins it). */
export const scheduleCancellationWorkflowId = (scheduleId: number, prefix = '') => `${prefix}schedule-${scheduleId}-cancellation`;

/** STOPPING_SALES -> CANCELLING_RESERVATIONS (in batches) -> CLOSING (queue, waiting list, status) -> DONE. */
export type CancellationPhase = 'STOPPING_SALES' | 'CANCELLING_RESERVATIONS' | 'CLOSING' | 'DONE';

export interface CancellationProgress {
  scheduleId: number;
  phase: CancellationPhase;
  reason: string;
  startedAt: string;
  finishedAt: string | null;
  /** Live (HELD or CONFIRMED) reservations when sales stopped. */
  liveAtStart: number;
  /** Reservations closed so far (each counted once: a closed one is never listed again). */
  processed: number;
  holdsReleased: number;
  purchasesRefunded: number;
  /** KRW given back to wallets by this cancellation's refunds. */
  amountRefunded: number;
  /** Purchases neither refunded nor released because a ticket was admitted at the door (absent in runs before issue 25). */
  admittedKept?: number;
  batches: number;
  /** Workflow runs so far (continue-as-new starts a new run with the progress carried over). */
  runs: number;
}

export interface CancellationInput {
  scheduleId: number;
  adminId: number;
  reason: string;
  /** Reservations per batch activity. */
  batchSize: number;
  /** Batches per workflow run before continue-as-new (keeps each run's history short). */
  batchesPerRun: number;
  /** Carried over by continue-as-new. */
  progress?: CancellationProgress;
}

export interface BatchOutcome {
  holdsReleased: number;
  purchasesRefunded: number;
  amountRefunded: number;
}

/**
 * A cancellation's progress before its first batch: the one starting value, used by the workflow's
 * first run and by the API when it answers for a run it cannot query yet. `startedAt` is the
 * caller's clock (workflow time inside the workflow).
 */
export const startingProgress = (scheduleId: number, reason: string, startedAt: Date): CancellationProgress => ({
  scheduleId,
  phase: 'STOPPING_SALES',
  reason,
  startedAt: startedAt.toISOString(),
  finishedAt: null,
  liveAtStart: 0,
  processed: 0,
  holdsReleased: 0,
  purchasesRefunded: 0,
  amountRefunded: 0,
  batches: 0,
  runs: 0,
});

export type ScheduleCancellationWorkflow = (input: CancellationInput) => Promise<CancellationProgress>;
export const cancellationProgressQuery = defineQuery<CancellationProgress>('progress');
/** Its phase and how many reservations it closed, for the Web UI (`CancellationPhase != "DONE"`). */
export const cancellationPhaseKey = defineSearchAttributeKey('CancellationPhase', SearchAttributeType.KEYWORD);
export const cancellationProcessedKey = defineSearchAttributeKey('CancellationProcessed', SearchAttributeType.INT);
export const searchAttributes = [cancellationPhaseKey, cancellationProcessedKey];
