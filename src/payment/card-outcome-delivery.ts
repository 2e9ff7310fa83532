import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import { cardOutcomeSignal, reservationWorkflowId, type CardOutcome } from '../../workflows/booking/reservation-contract.js';
import { LATE_PAYMENT_WORKFLOW_TYPE, latePaymentWorkflowId, type LatePaymentWorkflow } from '../../workflows/payment/late-payment-contract.js';

/**
 * Hands the provider's verdict on a card payment to the reservation's workflow (a signal). When that
 * workflow has closed (expired, cancelled, paid otherwise), a success goes to a durable
 * `late-payment-<id>` workflow instead, which refunds it (docs/payments.md).
 */
export class CardOutcomeDelivery {
  constructor(
    private readonly client: Client,
    private readonly taskQueue: string,
    /** Where the late-payment workflow finds payment's worker (PAYMENT_TASK_QUEUE). */
    private readonly paymentTaskQueue = 'payments',
  ) {}

  async deliver(reservationId: string, outcome: CardOutcome): Promise<'SIGNALLED' | 'LATE_PAYMENT' | 'IGNORED'> {
    try {
      await this.client.workflow.getHandle(reservationWorkflowId(reservationId)).signal(cardOutcomeSignal, outcome);
      return 'SIGNALLED';
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
    if (outcome.status !== 'SUCCEEDED') return 'IGNORED';
    await this.startLatePayment(reservationId, outcome.providerPaymentId);
    return 'LATE_PAYMENT';
  }

  async startLatePayment(reservationId: string, providerPaymentId: string): Promise<void> {
    try {
      await this.client.workflow.start<LatePaymentWorkflow>(LATE_PAYMENT_WORKFLOW_TYPE, {
        workflowId: latePaymentWorkflowId(providerPaymentId),
        taskQueue: this.taskQueue,
        args: [{ providerPaymentId, reservationId, paymentTaskQueue: this.paymentTaskQueue }],
        // One per payment, ever: a second delivery (or the reconciliation) joins or finds the first.
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
  }
}
