import type { Kafka } from 'kafkajs';
import { EventConsumer, topicFor } from '../events/index.js';
import type { Logger } from '../platform/observability/logger.js';
import type { Metrics } from '../platform/observability/metrics.js';
import { webhookAggregateTypes } from './event-types.js';
import type { WebhooksService } from './service.js';

export const WEBHOOK_DISPATCHER = 'webhook-dispatcher';

/**
 * Reads the topics that carry concert events and starts a delivery workflow per matching endpoint.
 * A durable group read from the beginning on its first start; endpoints only receive events that
 * happened after they were registered, so reading old events again sends nothing new.
 */
export function webhookDispatchConsumer(deps: { kafka: Kafka; webhooks: Pick<WebhooksService, 'dispatch'>; log: Logger; metrics: Metrics; topicPrefix: string }): EventConsumer {
  return new EventConsumer(deps.kafka, deps.log, deps.metrics, {
    name: WEBHOOK_DISPATCHER,
    groupId: `${deps.topicPrefix}${WEBHOOK_DISPATCHER}`,
    topics: webhookAggregateTypes().map((t) => topicFor(deps.topicPrefix, t)),
    fromBeginning: true,
    autoCommit: true,
    handle: (event) => deps.webhooks.dispatch(event),
  });
}
