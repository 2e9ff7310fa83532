import { randomUUID } from 'node:crypto';
import {
  WithStartWorkflowOperation,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type Client,
} from '@temporalio/client';
import { ApplicationFailure, WorkflowIdReusePolicy } from '@temporalio/common';
import { REFUND_WORKFLOW_TYPE, refundWorkflowId, type RefundResult, type RefundWorkflow } from '../../workflows/booking/refund-contract.js';
import {
  cancelUpdate,
  cardPayUpdate,
  cardStartedSignal,
  concertIdKey,
  holdUpdate,
  payUpdate,
  REFUNDING,
  RESERVATION_WORKFLOW_TYPE,
  reservationStatusKey,
  reservationWorkflowId,
  scheduleIdKey,
  stateQuery,
  userIdKey,
  type CancelResult,
  type CardPayResult,
  type HoldResult,
  type PayResult,
  type ReservationInput,
  type ReservationWorkflow,
} from '../../workflows/booking/reservation-contract.js';

interface ReservationRef {
  userId: number;
  scheduleId: number;
  concertId: number;
}

const searchAttributes = (status: string, r: ReservationRef) => [
  { key: reservationStatusKey, value: status },
  { key: userIdKey, value: String(r.userId) },
  { key: scheduleIdKey, value: String(r.scheduleId) },
  { key: concertIdKey, value: String(r.concertId) },
];

/** Why Temporal refused an update: the validator's failure type, or the workflow being closed. */
export class UpdateRejected extends Error {
  /** `notFound`: no workflow with that id exists (yet): a waiting-list offer whose start has not landed. */
  constructor(
    readonly reason: string,
    readonly notFound = false,
  ) {
    super(reason);
  }
}

/** The API's port to the reservation workflows (Temporal behind it). */
export class ReservationWorkflows {
  constructor(
    private readonly client: Client,
    private readonly taskQueue: string,
    /** Where the workflow finds payment's worker (PAYMENT_TASK_QUEUE). */
    private readonly paymentTaskQueue = 'payments',
  ) {}

  /** Starts the reservation workflow and waits for its hold result in the same call (Update-with-Start). */
  async hold(input: ReservationInput): Promise<HoldResult> {
    const startWorkflowOperation = new WithStartWorkflowOperation<ReservationWorkflow>(RESERVATION_WORKFLOW_TYPE, {
      workflowId: reservationWorkflowId(input.reservationId),
      taskQueue: this.taskQueue,
      args: [{ ...input, paymentTaskQueue: this.paymentTaskQueue }],
      // A retry with the same Idempotency-Key joins the running workflow instead of failing.
      workflowIdConflictPolicy: 'USE_EXISTING',
      // A closed run is final (same key, same answer) unless it failed: then a retry starts anew.
      workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
      typedSearchAttributes: searchAttributes('PENDING', input),
    });
    try {
      // A fresh update id per request: the hold handler itself is idempotent (every caller gets the
      // one hold result), and a fixed id would make the server answer a retry after a failed run
      // with that run's outcome instead of starting the new run.
      return await this.client.workflow.executeUpdateWithStart(holdUpdate, { startWorkflowOperation, updateId: `hold-${randomUUID()}` });
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) throw new UpdateRejected('WORKFLOW_CLOSED');
      throw err;
    }
  }

  /**
   * Starts the workflow of a waiting-list offer, whose seats the release transaction already held for
   * the buyer: a plain start (nobody waits for the hold answer; the hold step finds the seats its
   * own). Idempotent by workflow id: a second start, running or closed, changes nothing.
   */
  async startOffer(input: ReservationInput): Promise<void> {
    try {
      await this.client.workflow.start<ReservationWorkflow>(RESERVATION_WORKFLOW_TYPE, {
        workflowId: reservationWorkflowId(input.reservationId),
        taskQueue: this.taskQueue,
        args: [{ ...input, paymentTaskQueue: this.paymentTaskQueue }],
        workflowIdConflictPolicy: 'USE_EXISTING',
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        typedSearchAttributes: searchAttributes('PENDING', input),
      });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
  }

  async pay(reservationId: string, updateId: string): Promise<PayResult> {
    return this.update(reservationId, () => this.handle(reservationId).executeUpdate(payUpdate, { updateId }));
  }

  /** Card: starts (or rejoins) the reservation's provider payment (docs/payments.md). */
  async payCard(reservationId: string, updateId: string): Promise<CardPayResult> {
    return this.update(reservationId, () => this.handle(reservationId).executeUpdate(cardPayUpdate, { updateId }));
  }

  /**
   * Card, since the API creates the provider payment itself: tells the workflow the payment's id (one
   * signal, durable before the buyer gets the client secret). CLOSED when the workflow has ended; a
   * waiting-list offer's workflow that has not started yet is waited for like an update.
   */
  async cardStarted(reservationId: string, providerPaymentId: string): Promise<'SIGNALLED' | 'CLOSED'> {
    const deadline = Date.now() + OFFER_START_GRACE_MS;
    for (;;) {
      try {
        await this.handle(reservationId).signal(cardStartedSignal, { providerPaymentId });
        return 'SIGNALLED';
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
        if (/already completed/i.test(err.message) || Date.now() > deadline) return 'CLOSED';
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  async cancelHeld(reservationId: string, updateId: string): Promise<CancelResult> {
    return this.update(reservationId, () => this.handle(reservationId).executeUpdate(cancelUpdate, { updateId }));
  }

  /**
   * Ends a hold's workflow through its own cancel update (a performance cancellation; the update id
   * is fixed per reservation, so a retried batch joins the first attempt). ENDED when the workflow is
   * closed or refused because it already left HELD; NOT_YET while it is still PENDING (its hold
   * result not yet recorded), which the caller retries.
   */
  async endHold(reservationId: string): Promise<'ENDED' | 'NOT_YET'> {
    try {
      await this.cancelHeld(reservationId, `performance-cancel-${reservationId}`);
      return 'ENDED';
    } catch (err) {
      if (!(err instanceof UpdateRejected)) throw err;
      if (err.reason === 'WORKFLOW_CLOSED') return 'ENDED';
      const state = await this.handle(reservationId).query(stateQuery).catch(() => undefined);
      return state?.status === 'PENDING' ? 'NOT_YET' : 'ENDED';
    }
  }

  /** Refund of a confirmed reservation: its own short workflow, one per reservation. */
  async refund(reservation: ReservationRef & { reservationId: string }, reason: string): Promise<RefundResult> {
    return this.client.workflow.execute<RefundWorkflow>(REFUND_WORKFLOW_TYPE, {
      workflowId: refundWorkflowId(reservation.reservationId),
      taskQueue: this.taskQueue,
      args: [{ reservationId: reservation.reservationId, reason, paymentTaskQueue: this.paymentTaskQueue }],
      workflowIdConflictPolicy: 'USE_EXISTING',
      // Same attributes as the reservation's own workflow: an operator filtering by user or
      // schedule finds the refund next to the purchase.
      typedSearchAttributes: searchAttributes(REFUNDING, reservation),
    });
  }

  private handle(reservationId: string) {
    return this.client.workflow.getHandle(reservationWorkflowId(reservationId));
  }

  /**
   * A waiting-list offer's workflow starts after its seats were already held for the buyer, who may
   * pay or decline before it has run its first step (or, for a moment, before it exists): such an
   * update is tried again for up to OFFER_START_GRACE_MS. A reservation held through the API has
   * answered its hold before the buyer ever sees it, so this never delays one.
   */
  private async update<T>(reservationId: string, call: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + OFFER_START_GRACE_MS;
    for (;;) {
      try {
        return await this.updateOnce(call);
      } catch (err) {
        if (!(err instanceof UpdateRejected) || Date.now() > deadline || !(await this.notStartedYet(reservationId, err))) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  /**
   * Cheap on the common refusals: a closed workflow (a paid or expired reservation) is never "not
   * started", and is told apart by describe() on the server, without the worker replaying it for a
   * query. Only a running workflow that refused as NOT_ALLOWED is asked for its state.
   */
  private async notStartedYet(reservationId: string, err: UpdateRejected): Promise<boolean> {
    if (err.notFound) return true;
    if (err.reason !== 'NOT_ALLOWED') return false;
    const handle = this.handle(reservationId);
    try {
      if ((await handle.describe()).status.name !== 'RUNNING') return false;
      return (await handle.query(stateQuery)).status === 'PENDING';
    } catch {
      return false;
    }
  }

  private async updateOnce<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) throw new UpdateRejected(err.cause.type ?? 'REJECTED');
      const message = String((err as Error).message);
      if (err instanceof WorkflowNotFoundError || /not found/i.test(message)) throw new UpdateRejected('WORKFLOW_CLOSED', true);
      if (/already completed/i.test(message)) throw new UpdateRejected('WORKFLOW_CLOSED');
      throw err;
    }
  }
}

const OFFER_START_GRACE_MS = 3_000;
