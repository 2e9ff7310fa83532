import { condition, proxyActivities, setHandler } from '@temporalio/workflow';
import type { WebhookActivities } from '../../activities/webhooks.js';
import { stopDeliverySignal, webhookRetryDelayMs, type WebhookDeliveryInput, type WebhookDeliveryResult } from './delivery-contract.js';

// An attempt is one signed POST (WEBHOOK_TIMEOUT_MS, 30 s at most) and two writes. The activity's own
// retries cover our side failing (database down, worker lost): the receiver's answers never throw.
const { attemptWebhookDelivery } = proxyActivities<WebhookActivities>({ startToCloseTimeout: '1m', retry: { initialInterval: '1s', maximumInterval: '1m' } });

/**
 * One message to one endpoint (docs/webhooks.md): attempt, and while the receiver fails, wait on a
 * durable timer (exponential backoff) and attempt again, until a 2xx, a 410, the retry window's end
 * (3 days by default) or a stop signal (the endpoint was disabled or deleted). Survives worker and
 * server restarts; every attempt is logged by the activity.
 */
export async function webhookDeliveryWorkflow(input: WebhookDeliveryInput): Promise<WebhookDeliveryResult> {
  let stopped = false;
  setHandler(stopDeliverySignal, () => {
    stopped = true;
  });
  const startedAt = Date.now();
  for (let attempt = 1; !stopped; attempt++) {
    const delayMs = webhookRetryDelayMs(input.retry, attempt);
    const lastAttempt = Date.now() + delayMs - startedAt > input.retry.forMs;
    const outcome = await attemptWebhookDelivery({ deliveryId: input.deliveryId, run: input.run, attempt, retryInMs: lastAttempt ? null : delayMs });
    if (outcome !== 'RETRY') return outcome;
    // Woken early only by the stop signal.
    if (await condition(() => stopped, delayMs)) break;
  }
  return 'STOPPED';
}
