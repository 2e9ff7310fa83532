import type { Client } from '@temporalio/client';
import type { Config } from '../config.js';
import type { Db } from '../platform/db/client.js';
import { WebhookDeliveries } from './deliveries.js';
import { DeliveryWorkflows } from './delivery-workflows.js';
import { WebhookEndpoints } from './endpoints.js';
import { WebhooksService, type ConcertDirectory } from './service.js';

type WebhookConfig = Pick<
  Config,
  'NODE_ENV' | 'WEBHOOKS_TASK_QUEUE' | 'WEBHOOK_ALLOW_HTTP_LOCALHOST' | 'WEBHOOK_TIMEOUT_MS' | 'WEBHOOK_RETRY_INITIAL_MS' | 'WEBHOOK_RETRY_MAX_MS' | 'WEBHOOK_RETRY_FOR_MS' | 'WEBHOOK_SECRET_OVERLAP_MS'
>;

/** Webhooks' service on its own database, with catalog's port and the Temporal client. */
export function createWebhooksModule(deps: { config: WebhookConfig; webhooksDb: Db; client: Client; concerts: ConcertDirectory }): WebhooksService {
  const { config } = deps;
  const workflows = new DeliveryWorkflows(deps.client, config.WEBHOOKS_TASK_QUEUE, {
    initialMs: config.WEBHOOK_RETRY_INITIAL_MS,
    maxMs: config.WEBHOOK_RETRY_MAX_MS,
    forMs: config.WEBHOOK_RETRY_FOR_MS,
  });
  return new WebhooksService(new WebhookEndpoints(deps.webhooksDb), new WebhookDeliveries(deps.webhooksDb), workflows, deps.concerts, {
    allowHttpLocalhost: config.WEBHOOK_ALLOW_HTTP_LOCALHOST && config.NODE_ENV !== 'production',
    timeoutMs: config.WEBHOOK_TIMEOUT_MS,
    secretOverlapMs: config.WEBHOOK_SECRET_OVERLAP_MS,
  });
}
