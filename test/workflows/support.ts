/**
 * The workflow unit tests' one door to the code under test: every workflow function, contract
 * (updates, signals, queries, search attributes, patch names) and payload type they use is imported
 * here and nowhere else under test/workflows. When workflows/ and activities/ move (capability
 * folders, one contract per workflow, payment activities on their own task queue), this file is the
 * only one to edit.
 *
 * The environment: `TestWorkflowEnvironment.createFromExistingServer` on the run's Temporal (the
 * shared stack, or the one global-setup starts), with the workflow bundle global-setup made once
 * per run. Not `createLocal`: the Temporal CLI's dev server it would start cannot skip time either
 * (only the Java test server can, and this machine cannot download it), and starting one more server
 * per file costs seconds and breaks its 5 s start limit on a busy machine. Timers stay real, so the
 * tests make them short: a fake hold answers an expiry a second or two away.
 */
import { randomBytes } from 'node:crypto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { Runtime, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, expect, inject } from 'vitest';
import type { BookingActivities } from '../../activities/index.js';
import type { PaymentActivities } from '../../activities/payment.js';
import type { WebhookActivities } from '../../activities/webhooks.js';
import { fakeActivities, fakePaymentActivities, openAllGates } from './fakes.js';

export { cancellationPhaseKey, cancellationProcessedKey, cancellationProgressQuery } from '../../workflows/catalog/schedule-cancellation-contract.js';
export {
  cancelUpdate,
  cardOutcomeSignal,
  CARD_QUEUE_PATCH,
  cardPayUpdate,
  cardStartedSignal,
  holdUpdate,
  payUpdate,
  reservationStatusKey,
  reservationWorkflowId,
  stateQuery,
} from '../../workflows/booking/reservation-contract.js';
export {
  holdSweeperWorkflow,
  latePaymentWorkflow,
  paymentReconciliationWorkflow,
  refundReservationWorkflow,
  reservationWorkflow,
  scheduleCancellationWorkflow,
  webhookDeliveryWorkflow,
} from '../../workflows/index.js';
export { stopDeliverySignal, webhookRetryDelayMs } from '../../workflows/webhooks/delivery-contract.js';
export type { WebhookDeliveryInput, WebhookDeliveryResult } from '../../workflows/webhooks/delivery-contract.js';
export type { WebhookActivities } from '../../activities/webhooks.js';
export { LOCAL_PAYMENT_PATCH, PAYMENT_QUEUE_PATCH, RELEASE_FAILED_HOLD_PATCH } from '../../workflows/booking/reservation.js';
export { CARD_PAYMENT_PATCH } from '../../workflows/booking/reservation-card-payment.js';
export { REFUND_MARK_PATCH, REFUSED_REFUND_STATUS_PATCH } from '../../workflows/booking/refund.js';
export { ticketTransferWorkflow } from '../../workflows/index.js';
export { acceptUpdate, declineUpdate, offerUpdate, transferStateQuery, withdrawUpdate } from '../../workflows/ticketing/transfer-contract.js';
export type { OfferResult, TransferInput, TransferOutcome } from '../../workflows/ticketing/transfer-contract.js';
export type { TransferActivities } from '../../activities/index.js';
export type { BookingActivities } from '../../activities/index.js';
export type { PaymentActivities } from '../../activities/payment.js';
export type { HoldResult, ReservationInput, ReservationState } from '../../workflows/booking/reservation-contract.js';
export type { CancellationInput, CancellationProgress } from '../../workflows/catalog/schedule-cancellation-contract.js';

let runtimeInstalled = false;
function quietRuntime() {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  try {
    Runtime.install({ logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: (m) => console.error(m) } });
  } catch {
    /* another file in this worker process installed it */
  }
}

export type WorkflowTestBed = Awaited<ReturnType<typeof workflowTestBed>>;

/**
 * One environment and two workers per test file, each on a task queue of its own: booking's, running
 * the real workflow code with the given activities (fakes: plain functions, replaced at the worker
 * boundary), and payment's, serving payment's activities only (as src/main/payment-worker.ts does).
 * Every workflow a test starts names the file's payment queue in its input (`paymentTaskQueue`):
 * the default 'payments' would be shared by every file and run.
 */
export async function workflowTestBed(activities: BookingActivities, paymentActivities: PaymentActivities) {
  quietRuntime();
  const stack = inject('stack');
  const env = await TestWorkflowEnvironment.createFromExistingServer({ address: stack.temporalAddress, namespace: 'default' });
  const suffix = randomBytes(4).toString('hex');
  const taskQueue = `wf-unit-${suffix}`;
  const paymentTaskQueue = `wf-unit-payments-${suffix}`;
  // A failed test may leave an activity retrying for good: do not let it hold the file's end.
  const shutdown = { shutdownGraceTime: '1s', shutdownForceTime: '10s' } as const;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: { codePath: stack.workflowBundlePath },
    activities,
    // Tests run their workflows side by side; a few slots each keep them from queueing on one another.
    maxConcurrentWorkflowTaskExecutions: 20,
    maxConcurrentLocalActivityExecutions: 50,
    ...shutdown,
  });
  const paymentWorker = await Worker.create({ connection: env.nativeConnection, taskQueue: paymentTaskQueue, activities: paymentActivities, ...shutdown });
  const running = Promise.all([worker.run(), paymentWorker.run()]);
  return {
    env,
    client: env.client,
    taskQueue,
    paymentTaskQueue,
    /** A fresh id per test: workflows of one file never share an id, nor those of two runs. */
    newId: (prefix: string) => `${prefix}-${randomBytes(5).toString('hex')}`,
    async close() {
      openAllGates();
      worker.shutdown();
      paymentWorker.shutdown();
      await running;
      await env.teardown();
    },
  };
}

/** The file's test bed, with the fake activities: set up before its tests, closed after them. */
export function testBedForThisFile(): WorkflowTestBed {
  const bed = {} as WorkflowTestBed;
  beforeAll(async () => {
    Object.assign(bed, await workflowTestBed(fakeActivities, fakePaymentActivities));
  });
  afterAll(async () => {
    await bed.close?.();
  });
  return bed;
}

/**
 * The webhook delivery workflow's bed: the real workflow code on a task queue of its own, with the
 * given attempt activity (webhooks' task queue holds nothing else).
 */
export async function webhookTestBed(activities: WebhookActivities) {
  quietRuntime();
  const stack = inject('stack');
  const env = await TestWorkflowEnvironment.createFromExistingServer({ address: stack.temporalAddress, namespace: 'default' });
  const taskQueue = `wf-unit-webhooks-${randomBytes(4).toString('hex')}`;
  const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: { codePath: stack.workflowBundlePath }, activities, shutdownGraceTime: '1s', shutdownForceTime: '10s' });
  const running = worker.run();
  return {
    client: env.client,
    taskQueue,
    newId: (prefix: string) => `${prefix}-${randomBytes(5).toString('hex')}`,
    async close() {
      worker.shutdown();
      await running;
      await env.teardown();
    },
  };
}

/** The ids of the updates a workflow's history records (a refused update leaves none). */
export async function updatesInHistory(handle: WorkflowHandle): Promise<string[]> {
  const { events } = await handle.fetchHistory();
  return (events ?? []).flatMap((e) => {
    const id = e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.meta?.updateId ?? e.workflowExecutionUpdateRejectedEventAttributes?.rejectedRequest?.meta?.updateId;
    return id ? [id] : [];
  });
}

/** `err` is the refusal of update `updateId` by the workflow's validator, with failure type `type`. */
export function expectRefusal(err: unknown, type: string, updateId: string): void {
  expect(err, `update ${updateId} should have been refused`).toBeInstanceOf(WorkflowUpdateFailedError);
  const cause = (err as WorkflowUpdateFailedError).cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  expect((cause as ApplicationFailure).type).toBe(type);
}

export const refusedUpdateId = () => `refused-${randomBytes(4).toString('hex')}`;

/**
 * Sends an update the validator of an idle workflow must refuse, and checks the refusal: its failure
 * type, and that it left no trace in the history, not a single event (the server drops the
 * speculative task that ran the validator).
 */
export async function expectRefused(handle: WorkflowHandle, send: (updateId: string) => Promise<unknown>, type: string): Promise<void> {
  const before = (await handle.fetchHistory()).events?.length ?? 0;
  const updateId = refusedUpdateId();
  const err = await send(updateId).then(
    () => undefined,
    (e: unknown) => e,
  );
  expectRefusal(err, type, updateId);
  expect(await updatesInHistory(handle)).not.toContain(updateId);
  expect((await handle.fetchHistory()).events?.length ?? 0).toBe(before);
}
