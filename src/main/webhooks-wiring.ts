import type { Client } from '@temporalio/client';
import type { Kafka } from 'kafkajs';
import type { NativeConnection } from '@temporalio/worker';
import { Worker } from '@temporalio/worker';
import { webhookActivities, type WebhookActivities } from '../../activities/webhooks.js';
import type { CatalogRepository } from '../catalog/index.js';
import type { Config } from '../config.js';
import type { Db } from '../platform/db/client.js';
import type { Logger } from '../platform/observability/logger.js';
import type { Metrics } from '../platform/observability/metrics.js';
import { encryptedDataConverter } from '../platform/temporal-codec.js';
import { createWebhooksModule, webhookDispatchConsumer, type ConcertDirectory, type WebhooksService } from '../webhooks/index.js';
import { workflowBundleFor } from './worker-app.js';
import type { WorkerOptions } from '@temporalio/worker';

/**
 * Catalog's public port as webhooks need it: does a concert exist, which concert holds a schedule.
 * A schedule never moves to another concert, so that answer is kept.
 */
export function concertDirectory(catalog: Pick<CatalogRepository, 'findConcert' | 'findSchedule'>): ConcertDirectory {
  const concertOf = new Map<number, number>();
  return {
    concertExists: async (concertId) => Boolean(await catalog.findConcert(concertId)),
    concertOfSchedule: async (scheduleId) => {
      const known = concertOf.get(scheduleId);
      if (known !== undefined) return known;
      const schedule = await catalog.findSchedule(scheduleId);
      if (schedule) concertOf.set(scheduleId, schedule.concertId);
      return schedule?.concertId;
    },
  };
}

export interface WebhooksWorkerDeps {
  config: Config;
  webhooksDb: Db;
  catalog: Pick<CatalogRepository, 'findConcert' | 'findSchedule'>;
  client: Client;
  connection: NativeConnection;
  kafka: Kafka;
  log: Logger;
  metrics: Metrics;
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** Tests replace the attempt (fault injection); production passes nothing. */
  overrideActivities?: (activities: WebhookActivities) => Partial<WebhookActivities>;
}

/**
 * Webhooks' side of a worker process: the delivery workflows and their activity on
 * WEBHOOKS_TASK_QUEUE (webhooks' database), and the Kafka consumer that starts them.
 */
export async function createWebhooksWorker(deps: WebhooksWorkerDeps): Promise<{ worker: Worker; webhooks: WebhooksService; consumer: ReturnType<typeof webhookDispatchConsumer> }> {
  const webhooks = createWebhooksModule({ config: deps.config, webhooksDb: deps.webhooksDb, client: deps.client, concerts: concertDirectory(deps.catalog) });
  const activities = webhookActivities({ webhooks });
  const worker = await Worker.create({
    connection: deps.connection,
    namespace: deps.config.TEMPORAL_NAMESPACE,
    taskQueue: deps.config.WEBHOOKS_TASK_QUEUE,
    dataConverter: encryptedDataConverter(deps.config.DATA_ENCRYPTION_KEY, deps.config.DATA_ENCRYPTION_KEY_PREVIOUS),
    workflowBundle: deps.workflowBundle ?? (await workflowBundleFor(deps.config)),
    activities: { ...activities, ...(deps.overrideActivities?.(activities) ?? {}) },
    maxConcurrentActivityTaskExecutions: deps.config.WORKER_MAX_CONCURRENT_ACTIVITIES,
    shutdownGraceTime: '10s',
  });
  const consumer = webhookDispatchConsumer({ kafka: deps.kafka, webhooks, log: deps.log, metrics: deps.metrics, topicPrefix: deps.config.KAFKA_TOPIC_PREFIX });
  return { worker, webhooks, consumer };
}
