import { writeFileSync } from 'node:fs';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import type { WorkflowHandle } from '@temporalio/client';

export const historiesDir = new URL('../replay/histories/', import.meta.url);

/**
 * With RECORD_HISTORIES=1, saves a finished workflow's history for the replay tests
 * (test/replay/replay.test.ts). Re-record only when a workflow change is meant to be incompatible
 * and running workflows have been drained or patched.
 */
export async function recordHistory(handle: WorkflowHandle, name: string): Promise<void> {
  if (process.env.RECORD_HISTORIES !== '1') return;
  await handle.result().catch(() => undefined);
  const history = await handle.fetchHistory();
  writeFileSync(new URL(`${name}.json`, historiesDir), historyToJSON(history));
}
