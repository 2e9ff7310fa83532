import { condition, defineSignal, defineUpdate, setHandler } from '@temporalio/workflow';

/**
 * Bench-only workflows (not part of the product): the orchestration floor the booking benchmarks
 * compare against.
 *  - emptyWorkflow: Update-with-Start of a workflow that does nothing (what a hold costs in Temporal).
 *  - emptyPurchaseWorkflow: started by Update-with-Start (ping), then given one more update
 *    (confirm): the two Temporal round trips a purchase (hold, then pay) costs. It also takes a
 *    signal (nudge) that does nothing: what the card webhook's signal costs.
 */
export const pingUpdate = defineUpdate<string>('ping');
export const confirmUpdate = defineUpdate<string>('confirm');
export const nudgeSignal = defineSignal('nudge');

export async function emptyWorkflow(): Promise<void> {
  let answered = false;
  setHandler(pingUpdate, () => {
    answered = true;
    return 'pong';
  });
  await condition(() => answered);
}

export async function emptyPurchaseWorkflow(): Promise<void> {
  let confirmed = false;
  setHandler(pingUpdate, () => 'pong');
  setHandler(nudgeSignal, () => undefined);
  setHandler(confirmUpdate, () => {
    confirmed = true;
    return 'confirmed';
  });
  await condition(() => confirmed);
}
