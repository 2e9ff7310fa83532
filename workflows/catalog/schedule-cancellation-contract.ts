/**
 * Types shared by the performance-cancellation workflow, its activities and the API. Types only: the
 * workflow sandbox imports this file, so it must stay free of runtime dependencies.
 */

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
