import { Kafka, logLevel, type Producer } from 'kafkajs';

process.env.KAFKAJS_NO_PARTITIONER_WARNING ??= '1';

export interface KafkaSettings {
  brokers: string[];
  clientId: string;
}

/** kafkajs is in maintenance mode; it stays behind this module so a maintained client can replace it. */
export function createKafka(settings: KafkaSettings): Kafka {
  return new Kafka({
    clientId: settings.clientId,
    brokers: settings.brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3000,
    retry: { retries: 3, initialRetryTime: 200 },
  });
}

/** `onRequest` is told of every request the producer sends (its Kafka API: Produce, Metadata, ...): one round trip each. */
export async function createIdempotentProducer(kafka: Kafka, onRequest?: (api: string) => void): Promise<Producer> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: true });
  if (onRequest) producer.on(producer.events.REQUEST, (event) => onRequest(event.payload.apiName));
  await producer.connect();
  return producer;
}
