/**
 * Unit tests of the performance cancellation (workflows/schedule-cancellation.ts): real workflow
 * code, fake activities.
 *
 * Branches, and the test that covers each:
 *  - STOPPING_SALES: stopSales, liveAtStart recorded, phase published ................................ 'cancels a performance'
 *  - stopSales refuses (ScheduleNotFound, not retryable): the run fails, nothing else runs ........... 'an unknown schedule'
 *  - CANCELLING_RESERVATIONS: batches until liveReservationsOf is empty, outcomes summed ............. 'cancels a performance'
 *  - progress query and search attributes while a batch runs ........................................ 'reports its progress'
 *  - batchesPerRun reached: continue-as-new with the progress; the new run skips stopSales ........... 'continues as new'
 *  - (continueAsNewSuggested: the server's history-size hint; not reachable with a few events)
 *  - CLOSING: queue, waiting list, finishCancellation, DONE with finishedAt .......................... 'cancels a performance'
 *  - finishCancellation refused while reservations are still live: retried until none is .............. 'waits for the last live reservations'
 *  - admittedKept > 0 reported; 0 left out; an activity answering nothing (older worker) left out .... 'waits for ...' / 'cancels ...' / 'a finish step that answers nothing'
 *  - a run resumed in CLOSING (carried progress): only the closing steps ............................. 'a run resumed in CLOSING'
 */
import { randomInt } from 'node:crypto';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { Scenario, type Script } from './fakes.js';
import {
  cancellationPhaseKey,
  cancellationProcessedKey,
  cancellationProgressQuery,
  scheduleCancellationWorkflow,
  testBedForThisFile,
  type CancellationInput,
  type CancellationProgress,
} from './support.js';

const bed = testBedForThisFile();

/**
 * A schedule whose live reservations come in the given batches (then none). Ids starting with `h`
 * are holds (released), others purchases of 10,000 (refunded).
 */
function schedule(batches: string[][], script: Script = {}) {
  const scheduleId = randomInt(1, 2 ** 31);
  const scenario = new Scenario(`schedule-${scheduleId}`, {
    stopSales: () => ({ liveAtStart: batches.flat().length }),
    liveReservationsOf: (_input, attempt) => batches[attempt - 1] ?? [],
    cancelReservations: ({ reservationIds }) => {
      const purchases = reservationIds.filter((id) => !id.startsWith('h')).length;
      return { holdsReleased: reservationIds.length - purchases, purchasesRefunded: purchases, amountRefunded: purchases * 10_000 };
    },
    ...script,
  });
  for (const id of batches.flat()) scenario.alias(id);
  return { scheduleId, scenario };
}

async function start(scheduleId: number, opts: Partial<CancellationInput> = {}) {
  return bed.client.workflow.start(scheduleCancellationWorkflow, {
    workflowId: `${bed.newId('cancel')}-schedule-${scheduleId}`,
    taskQueue: bed.taskQueue,
    args: [{ scheduleId, adminId: 1, reason: 'artist ill', batchSize: 2, batchesPerRun: 10, ...opts }],
  });
}

const uniqueIds = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}-${bed.newId('r')}`);

describe.concurrent('performance cancellation workflow', () => {
  it('cancels a performance: stops sales, closes every live reservation in batches, closes the queue and the list, DONE', async () => {
    const [h1, h2] = uniqueIds('h', 2);
    const [p1, p2, p3] = uniqueIds('p', 3);
    const { scheduleId, scenario } = schedule([[h1!, p1!], [p2!, h2!], [p3!]]);
    const handle = await start(scheduleId);
    const result = await handle.result();
    expect(result).toMatchObject({
      scheduleId,
      phase: 'DONE',
      reason: 'artist ill',
      liveAtStart: 5,
      processed: 5,
      holdsReleased: 2,
      purchasesRefunded: 3,
      amountRefunded: 30_000,
      batches: 3,
      runs: 1,
    });
    expect(result.finishedAt).not.toBeNull();
    expect(result).not.toHaveProperty('admittedKept');
    expect(scenario.names()).toEqual([
      'stopSales',
      'liveReservationsOf',
      'cancelReservations',
      'liveReservationsOf',
      'cancelReservations',
      'liveReservationsOf',
      'cancelReservations',
      'liveReservationsOf',
      'closeScheduleQueue',
      'closeWaitingList',
      'finishCancellation',
    ]);
    expect(scenario.inputs('stopSales')).toEqual([{ scheduleId, adminId: 1 }]);
    expect(scenario.inputs('liveReservationsOf')[0]).toEqual({ scheduleId, limit: 2 });
    expect(scenario.inputs('cancelReservations')[0]).toEqual({ reservationIds: [h1, p1], reason: 'performance cancelled: artist ill' });
    const attrs = (await handle.describe()).typedSearchAttributes;
    expect(attrs.get(cancellationPhaseKey)).toBe('DONE');
    expect(attrs.get(cancellationProcessedKey)).toBe(5);
  });

  it('reports its progress (query and search attributes) while a batch runs', async () => {
    const ids = uniqueIds('p', 3);
    const { scheduleId, scenario } = schedule([[ids[0]!, ids[1]!], [ids[2]!]]);
    const batch = scenario.gate('cancelReservations');
    const handle = await start(scheduleId);
    await batch.reached;
    const progress: CancellationProgress = await handle.query(cancellationProgressQuery);
    expect(progress).toMatchObject({ phase: 'CANCELLING_RESERVATIONS', liveAtStart: 3, processed: 0, batches: 0, runs: 1 });
    const attrs = (await handle.describe()).typedSearchAttributes;
    expect(attrs.get(cancellationPhaseKey)).toBe('CANCELLING_RESERVATIONS');
    expect(attrs.get(cancellationProcessedKey)).toBe(0);
    batch.open();
    expect(await handle.result()).toMatchObject({ phase: 'DONE', processed: 3, purchasesRefunded: 3, amountRefunded: 30_000, batches: 2 });
  });

  it('continues as new after batchesPerRun batches, carrying its progress; the new run does not stop sales again', async () => {
    const ids = uniqueIds('h', 5);
    const { scheduleId, scenario } = schedule(ids.map((id) => [id]));
    const handle = await start(scheduleId, { batchSize: 1, batchesPerRun: 2 });
    const firstRunId = handle.firstExecutionRunId;
    const result = await handle.result();
    expect(result).toMatchObject({ phase: 'DONE', processed: 5, holdsReleased: 5, batches: 5, runs: 3 });
    expect(scenario.inputs('stopSales')).toHaveLength(1);
    expect(scenario.inputs('cancelReservations').map((i) => i.reservationIds)).toEqual(ids.map((id) => [id]));
    expect((await handle.describe()).runId).not.toBe(firstRunId);
  });

  it('waits for the last live reservations before marking the schedule CANCELLED, and reports purchases kept at the door', async () => {
    const { scheduleId, scenario } = schedule([], {
      finishCancellation: (_input, attempt) => {
        if (attempt === 1) throw ApplicationFailure.retryable('1 reservations of the schedule are still live', 'ReservationsStillLive');
        return { admittedKept: 2 };
      },
    });
    const result = await (await start(scheduleId)).result();
    expect(result).toMatchObject({ phase: 'DONE', processed: 0, batches: 0, admittedKept: 2 });
    expect(scenario.inputs('finishCancellation')).toHaveLength(2);
  });

  it('a finish step that answers nothing (a worker from before admittedKept) leaves admittedKept out', async () => {
    const { scheduleId } = schedule([], { finishCancellation: () => undefined as never });
    const result = await (await start(scheduleId)).result();
    expect(result.phase).toBe('DONE');
    expect(result).not.toHaveProperty('admittedKept');
  });

  it('an unknown schedule fails the run at once, and nothing else is done', async () => {
    const { scheduleId, scenario } = schedule([], {
      stopSales: () => {
        throw ApplicationFailure.create({ type: 'ScheduleNotFound', message: 'schedule does not exist', nonRetryable: true });
      },
    });
    const failure = await (await start(scheduleId)).result().catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    expect(((failure as WorkflowFailedError).cause?.cause as ApplicationFailure).type).toBe('ScheduleNotFound');
    expect(scenario.names()).toEqual(['stopSales']);
  });

  it('a run resumed in CLOSING (progress carried over) runs only the closing steps', async () => {
    const { scheduleId, scenario } = schedule([]);
    const progress: CancellationProgress = {
      scheduleId,
      phase: 'CLOSING',
      reason: 'artist ill',
      startedAt: new Date().toISOString(),
      finishedAt: null,
      liveAtStart: 4,
      processed: 4,
      holdsReleased: 1,
      purchasesRefunded: 3,
      amountRefunded: 30_000,
      batches: 2,
      runs: 1,
    };
    const result = await (await start(scheduleId, { progress })).result();
    expect(result).toMatchObject({ ...progress, phase: 'DONE', runs: 2, finishedAt: expect.any(String) });
    expect(scenario.names()).toEqual(['closeScheduleQueue', 'closeWaitingList', 'finishCancellation']);
  });
});
