import { condition, defineUpdate, setHandler } from '@temporalio/workflow';

/** The orchestration floor for the booking benchmark: Update-with-Start of a workflow that does nothing. */
export const pingUpdate = defineUpdate<string>('ping');

export async function emptyWorkflow(): Promise<void> {
  let answered = false;
  setHandler(pingUpdate, () => {
    answered = true;
    return 'pong';
  });
  await condition(() => answered);
}
