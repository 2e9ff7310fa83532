import type { WebhooksService } from '../src/webhooks/index.js';

/**
 * Webhooks' activities, on webhooks' own task queue (WEBHOOKS_TASK_QUEUE) and database. An attempt
 * may run twice (a worker lost after the POST): the receiver sees the same `webhook-id` and dedupes,
 * and the attempt log shows both requests.
 */
export function webhookActivities(deps: { webhooks: Pick<WebhooksService, 'attempt'> }) {
  return {
    async attemptWebhookDelivery(input: { deliveryId: number; run: number; attempt: number; retryInMs: number | null }) {
      return deps.webhooks.attempt(input);
    },
  };
}

export type WebhookActivities = ReturnType<typeof webhookActivities>;
