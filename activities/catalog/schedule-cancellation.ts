import { Context, log } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { PerformanceCancellation } from '../../src/booking/index.js';
import type { BatchOutcome } from '../../workflows/catalog/schedule-cancellation-contract.js';
import type { ScheduleLifecycle } from '../../src/catalog/lifecycle.js';

/** The waiting list's hook (src/waitlist): closes a cancelled schedule's list for good. Idempotent. */
export interface WaitingListCloser {
  close(scheduleId: number): Promise<void>;
}

export interface CancellationActivityDeps {
  lifecycle: Pick<ScheduleLifecycle, 'beginCancellation' | 'finishCancellation'>;
  cancellation: PerformanceCancellation;
  /** Ends the schedule's waiting room for everyone (reason CLOSED). */
  closeQueue: (scheduleId: number) => Promise<void>;
  waitingList: WaitingListCloser;
  /** Reservations closed at once inside one batch. */
  parallelism?: number;
}

/**
 * The performance cancellation's activities (workflows/schedule-cancellation.ts): thin, each one
 * call into catalog or booking code, each idempotent so a retry after a worker crash is safe.
 */
export function scheduleCancellationActivities(deps: CancellationActivityDeps) {
  return {
    async stopSales(input: { scheduleId: number; adminId: number }): Promise<{ liveAtStart: number }> {
      const moved = await deps.lifecycle.beginCancellation(input.scheduleId, input.adminId);
      if (!moved) throw ApplicationFailure.create({ type: 'ScheduleNotFound', message: `schedule ${input.scheduleId} does not exist`, nonRetryable: true });
      await deps.closeQueue(input.scheduleId);
      // Closed before any hold is released, so no released seat becomes a waiting-list offer on a
      // performance being cancelled (the workflow's closing step closes it again, harmlessly).
      await deps.waitingList.close(input.scheduleId);
      return { liveAtStart: await deps.cancellation.countLive(input.scheduleId) };
    },

    async liveReservationsOf(input: { scheduleId: number; limit: number }): Promise<string[]> {
      return deps.cancellation.liveReservations(input.scheduleId, input.limit);
    },

    /** Closes a batch, a few reservations at a time, heartbeating after each one. */
    async cancelReservations(input: { reservationIds: string[]; reason: string }): Promise<BatchOutcome> {
      const outcome: BatchOutcome = { holdsReleased: 0, purchasesRefunded: 0, amountRefunded: 0 };
      const queue = [...input.reservationIds];
      const worker = async () => {
        for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
          const r = await deps.cancellation.cancelOne(id, input.reason);
          if (r.outcome === 'HOLD_RELEASED') outcome.holdsReleased += 1;
          if (r.outcome === 'PURCHASE_REFUNDED') {
            outcome.purchasesRefunded += 1;
            outcome.amountRefunded += r.amount;
          }
          Context.current().heartbeat(id);
        }
      };
      await Promise.all(Array.from({ length: Math.min(deps.parallelism ?? 8, queue.length) }, worker));
      return outcome;
    },

    async closeScheduleQueue(input: { scheduleId: number }): Promise<void> {
      await deps.closeQueue(input.scheduleId);
    },

    async closeWaitingList(input: { scheduleId: number }): Promise<void> {
      await deps.waitingList.close(input.scheduleId);
    },

    /**
     * Marks the schedule CANCELLED, but only once no live reservation is left (else retried), and
     * reports the purchases kept because a ticket was admitted at the door (never refunded).
     */
    async finishCancellation(input: { scheduleId: number }): Promise<{ admittedKept: number }> {
      const live = await deps.cancellation.countLive(input.scheduleId);
      if (live > 0) throw ApplicationFailure.retryable(`${live} reservations of schedule ${input.scheduleId} are still live`, 'ReservationsStillLive');
      await deps.lifecycle.finishCancellation(input.scheduleId);
      const admittedKept = await deps.cancellation.countAdmittedKept(input.scheduleId);
      log.info('performance cancelled', { scheduleId: input.scheduleId, admittedKept });
      return { admittedKept };
    },
  };
}
