import type { Kafka, Producer } from 'kafkajs';
import { createIdempotentProducer } from '../platform/kafka.js';
import type { EventPublisher, TopicMessages } from './relay.js';

/**
 * The relay's Kafka adapter. It connects lazily on the first publish, so the relay process starts
 * (and keeps its metrics and lease) while Kafka is down. After any failed send it drops the
 * producer and builds a fresh one next time: a new idempotent producer id avoids the stale
 * sequence numbers kafkajs keeps after a broker restart (OUT_OF_ORDER_SEQUENCE_NUMBER).
 */
export class KafkaEventPublisher implements EventPublisher {
  private producer: Producer | undefined;

  constructor(
    private readonly kafka: Kafka,
    /** Told of each request sent to Kafka (the relay counts them: round trips per event). */
    private readonly onRequest?: (api: string) => void,
  ) {}

  get connected(): boolean {
    return this.producer !== undefined;
  }

  async publish(topicMessages: TopicMessages[]): Promise<void> {
    const producer = (this.producer ??= await createIdempotentProducer(this.kafka, this.onRequest));
    try {
      await producer.sendBatch({ acks: -1, topicMessages });
    } catch (err) {
      await this.close();
      throw err;
    }
  }

  async close(): Promise<void> {
    const producer = this.producer;
    this.producer = undefined;
    await producer?.disconnect().catch(() => undefined);
  }
}
