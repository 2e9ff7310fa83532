import type { WaitlistRepository } from '../src/waitlist/repository.js';

export interface WaitlistActivityDeps {
  waitlist: Pick<WaitlistRepository, 'closeWaitingList'>;
}

export function waitlistActivities(deps: WaitlistActivityDeps) {
  return {
    /**
     * Closes a schedule's waiting list for good: live entries CLOSED, no more offers (the
     * performance-cancellation workflow runs it before releasing the holds). Idempotent.
     */
    async closeWaitingList(input: { scheduleId: number }): Promise<{ entriesClosed: number }> {
      return deps.waitlist.closeWaitingList(input.scheduleId);
    },
  };
}
