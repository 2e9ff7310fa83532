import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Kafka } from 'kafkajs';
import type { Logger } from '../../platform/observability/logger.js';
import type { Metrics } from '../../platform/observability/metrics.js';
import { topicFor } from '../catalog.js';
import { EventConsumer } from '../consumer.js';
import type { NotificationHub } from '../notification-hub.js';
import { RecentIds } from '../recent-ids.js';

/** The aggregates whose events a buyer sees on their stream. */
export const NOTIFIED_AGGREGATES = ['reservation', 'payment', 'wallet', 'queue', 'waitlist'] as const;

/**
 * Feeds this API process's SSE streams. Each process is its own consumer group, so every process
 * sees every event and serves whichever users are connected to it; the group starts at the latest
 * offsets (a stream shows what happens from now on) and commits nothing (there is nothing to
 * resume after a restart). Redeliveries are dropped by event id in a bounded in-memory LRU.
 */
export function notificationsConsumer(deps: { kafka: Kafka; hub: NotificationHub; log: Logger; metrics: Metrics; topicPrefix: string; dedupSize: number }): EventConsumer {
  const seen = new RecentIds(deps.dedupSize);
  const instance = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  return new EventConsumer(deps.kafka, deps.log, deps.metrics, {
    name: 'notifications',
    groupId: `${deps.topicPrefix}notifications-${instance}`,
    topics: NOTIFIED_AGGREGATES.map((a) => topicFor(deps.topicPrefix, a)),
    fromBeginning: false,
    autoCommit: false,
    handle: async (event) => {
      if (!seen.add(event.id)) return false;
      deps.hub.publish(event);
      return true;
    },
  });
}
