import { log } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { ApplicationFailure, WorkflowNotFoundError } from '@temporalio/common';
import type { ReservationRepository } from '../../src/booking/repository.js';
import type { Counter } from 'prom-client';
import { reservationWorkflowId } from '../../workflows/booking/reservation-contract.js';

export interface SweeperDeps {
  reservations: ReservationRepository;
  temporal: Client;
  release: (input: { reservationId: string; status: 'EXPIRED'; reason: string }) => Promise<{ changed: boolean }>;
  fixed: Counter;
  graceMs: number;
}

export function sweeperActivities(deps: SweeperDeps) {
  return {
    /**
     * Releases HELD rows past their expiry whose workflow is no longer running (a lost workflow,
     * e.g. after a Temporal data loss). A running workflow owns its reservation: it is left alone.
     * Only "not found" or a closed workflow proves the workflow is gone; any other describe() error
     * (Temporal unreachable, a timeout) proves nothing, so that hold is kept and the activity fails
     * after the loop for Temporal to retry it (and the next scheduled sweep tries again).
     */
    async sweepExpiredHolds(): Promise<{ released: number }> {
      const overdue = await deps.reservations.overdueHolds(new Date(), deps.graceMs);
      let released = 0;
      const undecided: string[] = [];
      for (const reservationId of overdue) {
        let running: boolean;
        try {
          const desc = await deps.temporal.workflow.getHandle(reservationWorkflowId(reservationId)).describe();
          running = desc.status.name === 'RUNNING';
        } catch (err) {
          if (!(err instanceof WorkflowNotFoundError)) {
            undecided.push(reservationId);
            continue;
          }
          running = false; // not found: the workflow is gone
        }
        if (running) continue;
        const { changed } = await deps.release({ reservationId, status: 'EXPIRED', reason: 'expired (swept: workflow not running)' });
        if (changed) {
          released += 1;
          deps.fixed.inc();
          log.warn('sweeper released an orphaned hold', { reservationId });
        }
      }
      if (undecided.length > 0) {
        throw ApplicationFailure.retryable(`could not tell whether the workflows of ${undecided.length} overdue holds still run (released ${released}); retrying`, 'SweepIncomplete');
      }
      return { released };
    },
  };
}
