import type { Kafka } from 'kafkajs';
import { topicFor } from '../events/index.js';
import { EventConsumer } from '../events/index.js';
import type { Logger } from '../platform/observability/logger.js';
import type { Metrics } from '../platform/observability/metrics.js';
import type { RecommendationRepository } from './repository.js';

export const RECOMMENDATIONS_READ_MODEL = 'recommendations-read-model';

/**
 * Keeps the co-purchase counts from reservation events: one durable group shared by the relay
 * processes, from the beginning on first start; the ledger (recommendation_applied) makes each
 * event count once.
 */
export function recommendationsConsumer(deps: { kafka: Kafka; repo: RecommendationRepository; log: Logger; metrics: Metrics; topicPrefix: string }): EventConsumer {
  return new EventConsumer(deps.kafka, deps.log, deps.metrics, {
    name: RECOMMENDATIONS_READ_MODEL,
    groupId: `${deps.topicPrefix}${RECOMMENDATIONS_READ_MODEL}`,
    topics: [topicFor(deps.topicPrefix, 'reservation')],
    fromBeginning: true,
    autoCommit: true,
    handle: (event) => deps.repo.apply(event),
  });
}
