import { defineSignal } from '@temporalio/workflow';

/** The webhook delivery workflow's contract (docs/webhooks.md): one run per (endpoint, event), one more per replay. */
export const WEBHOOK_DELIVERY_WORKFLOW_TYPE = 'webhookDeliveryWorkflow';

/**
 * The first run's id is the (endpoint, event) pair, started with a reuse policy that refuses a second
 * run of it: a Kafka message seen twice cannot deliver twice. A replay gets its own id.
 */
export const webhookDeliveryWorkflowId = (endpointId: number, eventId: string, replay = 0) =>
  `webhook-${endpointId}-${eventId}${replay > 0 ? `-replay-${replay}` : ''}`;

/** Backoff between attempts: exponential from `initialMs`, at most `maxMs`, given up after `forMs`. */
export interface WebhookRetrySchedule {
  initialMs: number;
  maxMs: number;
  forMs: number;
}

export interface WebhookDeliveryInput {
  deliveryId: number;
  /** 0 for the first run, n for the n-th replay (the attempt log keeps them apart). */
  run: number;
  retry: WebhookRetrySchedule;
}

/** How a run ended: delivered (2xx), the endpoint is gone (410, now disabled), retries ran out, or stopped (endpoint disabled or deleted). */
export type WebhookDeliveryResult = 'DELIVERED' | 'GONE' | 'GAVE_UP' | 'STOPPED';

/** Sent when the endpoint is disabled or deleted: the run ends without another attempt. */
export const stopDeliverySignal = defineSignal('stopDelivery');

/** The delay before attempt `attempt + 1` (attempt counts from 1): initial, then doubling, capped. */
export function webhookRetryDelayMs(schedule: WebhookRetrySchedule, attempt: number): number {
  return Math.min(schedule.maxMs, schedule.initialMs * 2 ** Math.min(attempt - 1, 40));
}

export type WebhookDeliveryWorkflow = (input: WebhookDeliveryInput) => Promise<WebhookDeliveryResult>;
