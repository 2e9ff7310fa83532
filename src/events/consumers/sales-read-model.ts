import type { Kafka } from 'kafkajs';
import type { Db } from '../../platform/db/client.js';
import type { Logger } from '../../platform/observability/logger.js';
import type { Metrics } from '../../platform/observability/metrics.js';
import { topicFor } from '../catalog.js';
import { EventConsumer } from '../consumer.js';
import { salesAggregateTypes } from '../sales-projection.js';
import { SalesRepository } from '../sales-repository.js';

export const SALES_READ_MODEL = 'sales-read-model';

/**
 * Maintains schedule_sales from reservation events (and the schedules it counts from catalog's). One durable consumer group shared by every
 * relay process (Kafka splits the partitions between them), reading from the beginning on first
 * start so the read model covers the whole log; its ledger (schedule_sales_applied) makes each event count once.
 * `eventsDb` is the events database (its own user, domainDatabaseUrl(config, 'events')), where the read model lives.
 */
export function salesReadModelConsumer(deps: { kafka: Kafka; eventsDb: Db; log: Logger; metrics: Metrics; topicPrefix: string }): EventConsumer {
  const sales = new SalesRepository(deps.eventsDb);
  return new EventConsumer(deps.kafka, deps.log, deps.metrics, {
    name: SALES_READ_MODEL,
    groupId: `${deps.topicPrefix}${SALES_READ_MODEL}`,
    topics: salesAggregateTypes.map((t) => topicFor(deps.topicPrefix, t)),
    fromBeginning: true,
    autoCommit: true,
    handle: (event) => sales.apply(event),
  });
}
