import { pino } from 'pino';
import { KafkaEventPublisher } from '../../src/events/kafka-publisher.js';
import { OutboxRelay } from '../../src/events/relay.js';
import { Metrics } from '../../src/platform/observability/metrics.js';
import type { TestContext } from './harness.js';

/** An in-process outbox relay for one test file's database and topic prefix (starts even while Kafka is down). */
export async function startRelay(ctx: TestContext) {
  const producer = new KafkaEventPublisher(ctx.kafka);
  const metrics = new Metrics(`relay-${ctx.id}`, false);
  const relay = new OutboxRelay(ctx.db, ctx.pool, producer, pino({ level: 'silent' }), metrics, {
    topicPrefix: ctx.config.KAFKA_TOPIC_PREFIX,
    batchSize: 200,
    pollMs: 50,
    lockName: `${ctx.id}-relay`,
  });
  // Payment's own outbox (payment's database), relayed beside booking's as src/main/relay.ts does.
  const paymentRelay = new OutboxRelay(ctx.paymentDb, ctx.paymentPool, producer, pino({ level: 'silent' }), metrics, {
    topicPrefix: ctx.config.KAFKA_TOPIC_PREFIX,
    batchSize: 200,
    pollMs: 50,
    lockName: `${ctx.id}-relay-payment`,
  });
  // The waiting list's outbox (its own database), likewise.
  const waitlistRelay = new OutboxRelay(ctx.waitlistDb, ctx.waitlistPool, producer, pino({ level: 'silent' }), metrics, {
    topicPrefix: ctx.config.KAFKA_TOPIC_PREFIX,
    batchSize: 200,
    pollMs: 50,
    lockName: `${ctx.id}-relay-waitlist`,
  });
  // Identity's outbox (its own database): sign-ups, security events, the admin actions identity records.
  const identityRelay = new OutboxRelay(ctx.identityDb, ctx.identityPool, producer, pino({ level: 'silent' }), metrics, {
    topicPrefix: ctx.config.KAFKA_TOPIC_PREFIX,
    batchSize: 200,
    pollMs: 50,
    lockName: `${ctx.id}-relay-identity`,
  });
  relay.start();
  paymentRelay.start();
  waitlistRelay.start();
  identityRelay.start();
  return {
    relay,
    paymentRelay,
    waitlistRelay,
    identityRelay,
    metrics,
    stop: async () => {
      await relay.stop();
      await paymentRelay.stop();
      await waitlistRelay.stop();
      await identityRelay.stop();
      await producer.close();
    },
  };
}
