/**
 * Starting one reservation workflow for a test, the way the API does (Update-with-Start of `hold`),
 * with its own scenario of fake activities (fakes.ts). A test that gates a step creates the
 * scenario first (`reservationScenario`), sets its gates, then starts: a gate set after the start
 * could come too late.
 */
import { WithStartWorkflowOperation, type WorkflowHandle } from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import { cardPaymentId, Scenario, type Script } from './fakes.js';
import { cardOutcomeSignal, cardPayUpdate, holdUpdate, reservationWorkflow, reservationWorkflowId, type HoldResult, type ReservationInput, type WorkflowTestBed } from './support.js';

/** Long enough that no test's expiry fires unless the test wants it to. */
export const NO_EXPIRY_MS = 10 * 60_000;
/** Short enough to wait out: the tests that let a hold expire untouched. */
export const SHORT_EXPIRY_MS = 1_000;

export interface StartedReservation {
  reservationId: string;
  scenario: Scenario;
  handle: WorkflowHandle<typeof reservationWorkflow>;
  input: ReservationInput;
}

/** A new reservation id and its scenario; card payment ids 1 and 2 of it route to the same scenario. */
export function reservationScenario(bed: WorkflowTestBed, script: Script = {}): Scenario {
  const reservationId = bed.newId('r');
  return new Scenario(reservationId, script).alias(cardPaymentId(reservationId, 1)).alias(cardPaymentId(reservationId, 2));
}

/** As the API starts it, with the test file's own payment queue (never the shared default). */
const inputOf = (bed: WorkflowTestBed, scenario: Scenario, holdTtlMs: number): ReservationInput => ({
  reservationId: scenario.key,
  userId: 7,
  scheduleId: 3,
  concertId: 2,
  seatIds: [101, 102],
  holdTtlMs,
  paymentTaskQueue: bed.paymentTaskQueue,
});

interface StartOptions {
  scenario?: Scenario;
  script?: Script;
  holdTtlMs?: number;
}

/** Starts the workflow and waits for its hold answer, like POST /reservations. */
export async function holdReservation(bed: WorkflowTestBed, opts: StartOptions = {}): Promise<StartedReservation & { held: HoldResult }> {
  const scenario = opts.scenario ?? reservationScenario(bed, opts.script);
  const input = inputOf(bed, scenario, opts.holdTtlMs ?? NO_EXPIRY_MS);
  const startWorkflowOperation = new WithStartWorkflowOperation(reservationWorkflow, {
    workflowId: reservationWorkflowId(input.reservationId),
    taskQueue: bed.taskQueue,
    args: [input],
    workflowIdConflictPolicy: 'FAIL',
  });
  const held = await bed.client.workflow.executeUpdateWithStart(holdUpdate, { startWorkflowOperation });
  const handle = await startWorkflowOperation.workflowHandle();
  return { reservationId: input.reservationId, scenario, handle, input, held };
}

/** Starts the workflow without waiting for the hold (a waiting-list offer's start). */
export async function startReservation(bed: WorkflowTestBed, opts: StartOptions & { workflowTaskTimeout?: string } = {}): Promise<StartedReservation> {
  const scenario = opts.scenario ?? reservationScenario(bed, opts.script);
  const input = inputOf(bed, scenario, opts.holdTtlMs ?? NO_EXPIRY_MS);
  const handle = await bed.client.workflow.start(reservationWorkflow, {
    workflowId: reservationWorkflowId(input.reservationId),
    taskQueue: bed.taskQueue,
    args: [input],
    ...(opts.workflowTaskTimeout ? { workflowTaskTimeout: opts.workflowTaskTimeout } : {}),
  });
  return { reservationId: input.reservationId, scenario, handle, input };
}

/**
 * A hold that will expire soon, with a card payment started on it: the tests of what expiry does to
 * a pending card payment. Starting the payment races the hold's timer, so a machine too slow to
 * start it within the hold gets another try with a longer hold (slow, never wrong): a try counts
 * only when the payment was answered PAYMENT_PENDING. `setup` sets the scenario's gates before
 * each start.
 */
export async function expiringHoldWithCardPending<T>(bed: WorkflowTestBed, opts: { script?: Script; setup: (scenario: Scenario) => T }): Promise<StartedReservation & { prepared: T }> {
  for (const holdTtlMs of [3_000, 15_000, 60_000]) {
    const scenario = reservationScenario(bed, opts.script);
    const prepared = opts.setup(scenario);
    const started = await holdReservation(bed, { scenario, holdTtlMs });
    const answer = await started.handle.executeUpdate(cardPayUpdate).catch(() => undefined);
    if (answer?.ok) return { ...started, prepared };
    // Expired first: let this run finish (opening its gates) and try a longer hold.
    for (const open of gatesOf(prepared)) open();
    await started.handle.result().catch(() => undefined);
    scenario.dispose();
  }
  throw new Error('no card payment could be started within a 60 s hold');
}

const gatesOf = (prepared: unknown): (() => void)[] =>
  Object.values(prepared ?? {}).flatMap((g) => (g && typeof g === 'object' && 'open' in g && typeof g.open === 'function' ? [g.open as () => void] : []));

/**
 * Starts the workflow with `update` in its first task (Update-with-Start), so the update is
 * validated before the hold step has answered: the one way to reach a PENDING workflow for sure.
 */
export async function startWithUpdate(bed: WorkflowTestBed, scenario: Scenario, update: UpdateDefinition<unknown, []>, updateId: string) {
  const input = inputOf(bed, scenario, NO_EXPIRY_MS);
  const startWorkflowOperation = new WithStartWorkflowOperation(reservationWorkflow, {
    workflowId: reservationWorkflowId(input.reservationId),
    taskQueue: bed.taskQueue,
    args: [input],
    workflowIdConflictPolicy: 'FAIL',
  });
  const outcome = await bed.client.workflow.executeUpdateWithStart(update, { startWorkflowOperation, updateId }).then(
    () => undefined,
    (e: unknown) => e,
  );
  return { handle: await startWorkflowOperation.workflowHandle(), err: outcome };
}

/**
 * Sends `update` while the expiry is releasing the hold (the release step held at a gate: the
 * workflow is still HELD, so the validator lets the update in), then lets the release finish.
 * Answers the update's result; the hold's own workflow is the caller's to check.
 */
export async function updateDuringExpiry<R>(bed: WorkflowTestBed, update: UpdateDefinition<R, []>) {
  const scenario = reservationScenario(bed);
  const release = scenario.gate('releaseReservation');
  const { handle } = await startReservation(bed, { scenario, holdTtlMs: SHORT_EXPIRY_MS });
  await release.reached;
  const accepted = await handle.startUpdate(update, { waitForStage: 'ACCEPTED' });
  release.open();
  return { handle, scenario, answer: await accepted.result() };
}

/**
 * A pending card payment whose hold expires, with the webhook's success signal landing while the
 * expiry asks the provider to cancel (settleCardBeforeClose held at a gate; its answer scripted).
 */
export async function expiryWithSuccessSignalled(bed: WorkflowTestBed, settleCardBeforeClose: NonNullable<Script['settleCardBeforeClose']>) {
  const started = await expiringHoldWithCardPending(bed, {
    script: { settleCardBeforeClose },
    setup: (s) => ({ settle: s.gate('settleCardBeforeClose') }),
  });
  await started.prepared.settle.reached;
  await started.handle.signal(cardOutcomeSignal, { providerPaymentId: cardPaymentId(started.reservationId), status: 'SUCCEEDED' });
  started.prepared.settle.open();
  return started;
}
