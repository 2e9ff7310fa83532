import { randomUUID } from 'node:crypto';
import { WithStartWorkflowOperation, WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure, WorkflowIdReusePolicy } from '@temporalio/common';
import {
  acceptUpdate,
  declineUpdate,
  offerUpdate,
  TRANSFER_WORKFLOW_TYPE,
  transferWorkflowId,
  withdrawUpdate,
  type OfferResult,
  type TransferInput,
  type TransferOutcome,
} from '../../workflows/ticketing/transfer-contract.js';

/** An accept, decline or withdraw the workflow refused (its validator's type), or a closed workflow. */
export class TransferUpdateRefused extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

/** What ticketing's service needs from the transfer workflows (Temporal behind it). */
export interface TransferWorkflowPort {
  /** Starts the transfer's workflow and waits for its offer to be recorded (or refused); undefined when its workflow already closed. */
  offer(input: TransferInput): Promise<OfferResult | undefined>;
  accept(transferId: string, userId: number, updateId: string): Promise<TransferOutcome>;
  decline(transferId: string, updateId: string): Promise<TransferOutcome>;
  withdraw(transferId: string, updateId: string): Promise<TransferOutcome>;
}

export class TransferWorkflows implements TransferWorkflowPort {
  constructor(
    private readonly client: Client,
    private readonly taskQueue: string,
  ) {}

  async offer(input: TransferInput): Promise<OfferResult | undefined> {
    const startWorkflowOperation = new WithStartWorkflowOperation(TRANSFER_WORKFLOW_TYPE, {
      workflowId: transferWorkflowId(input.transferId),
      taskQueue: this.taskQueue,
      args: [input],
      // A retry with the same Idempotency-Key joins the running workflow; a closed one is final.
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
    });
    try {
      return await this.client.workflow.executeUpdateWithStart(offerUpdate, { startWorkflowOperation, updateId: `offer-${randomUUID()}` });
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) return undefined;
      throw err;
    }
  }

  accept(transferId: string, userId: number, updateId: string) {
    return this.update(() => this.handle(transferId).executeUpdate(acceptUpdate, { args: [{ userId }], updateId }));
  }

  decline(transferId: string, updateId: string) {
    return this.update(() => this.handle(transferId).executeUpdate(declineUpdate, { updateId }));
  }

  withdraw(transferId: string, updateId: string) {
    return this.update(() => this.handle(transferId).executeUpdate(withdrawUpdate, { updateId }));
  }

  private handle(transferId: string) {
    return this.client.workflow.getHandle(transferWorkflowId(transferId));
  }

  private async update(call: () => Promise<TransferOutcome>): Promise<TransferOutcome> {
    try {
      return await call();
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) throw new TransferUpdateRefused(err.cause.type ?? 'TRANSFER_CLOSED');
      const message = String((err as Error).message);
      if (err instanceof WorkflowNotFoundError || /not found|already completed/i.test(message)) throw new TransferUpdateRefused('TRANSFER_CLOSED');
      throw err;
    }
  }
}
