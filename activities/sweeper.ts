import { log } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { ReservationRepository } from '../src/booking/repository.js';
import type { Counter } from 'prom-client';

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
     */
    async sweepExpiredHolds(): Promise<{ released: number }> {
      const overdue = await deps.reservations.overdueHolds(new Date(), deps.graceMs);
      let released = 0;
      for (const reservationId of overdue) {
        let running = false;
        try {
          const desc = await deps.temporal.workflow.getHandle(`reservation-${reservationId}`).describe();
          running = desc.status.name === 'RUNNING';
        } catch {
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
      return { released };
    },
  };
}
