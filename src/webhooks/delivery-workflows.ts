import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import { stopDeliverySignal, WEBHOOK_DELIVERY_WORKFLOW_TYPE, type WebhookDeliveryInput, type WebhookRetrySchedule } from '../../workflows/webhooks/delivery-contract.js';

/** Starts and stops delivery workflows on webhooks' task queue (the Temporal side of the capability). */
export class DeliveryWorkflows {
  constructor(
    private readonly client: Client,
    private readonly taskQueue: string,
    private readonly retry: WebhookRetrySchedule,
  ) {}

  /**
   * Starts the run; false when a run with this id exists or existed (a redelivered event): the id
   * may never be used again, whatever became of the first run.
   */
  async start(workflowId: string, deliveryId: number, run: number): Promise<boolean> {
    const input: WebhookDeliveryInput = { deliveryId, run, retry: this.retry };
    try {
      await this.client.workflow.start(WEBHOOK_DELIVERY_WORKFLOW_TYPE, { taskQueue: this.taskQueue, workflowId, args: [input], workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE });
      return true;
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) return false;
      throw err;
    }
  }

  /** Tells runs to end without another attempt; a run that already ended is fine. */
  async stop(workflowIds: string[]): Promise<void> {
    for (const id of workflowIds) {
      await this.client.workflow
        .getHandle(id)
        .signal(stopDeliverySignal)
        .catch((err: unknown) => {
          if (!(err instanceof WorkflowNotFoundError)) throw err;
        });
    }
  }
}
