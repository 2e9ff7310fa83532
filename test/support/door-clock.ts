import type { TestContext } from './harness.js';

/**
 * Pins the door's clock (rotating codes' 15 s steps) of the test context's API to one instant: codes
 * served and scans checked all fall in the same step, so a burst of scans that a busy machine stretches
 * over 30 s is still decided on the ticket's state, not refused as CODE_EXPIRED. Tests of the time
 * rules themselves (test/integration/tickets-codes.test.ts) move it on purpose.
 */
export function pinDoorClock(ctx: TestContext, at = new Date()): { set(at: Date): void; release(): void } {
  const clock = ctx.services.tickets.clock;
  const real = clock.now;
  clock.now = () => at;
  return {
    set: (next) => {
      clock.now = () => next;
    },
    release: () => {
      clock.now = real;
    },
  };
}
