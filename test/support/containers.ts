import { setTimeout as sleep } from 'node:timers/promises';
import { Connection } from '@temporalio/client';
import { Kafka, logLevel } from 'kafkajs';
import { MariaDbContainer } from '@testcontainers/mariadb';
import { RedisContainer } from '@testcontainers/redis';
import { GenericContainer, Wait, type StartedTestContainer } from 'testcontainers';
import { searchAttributeFlags } from './search-attributes.js';

// The images docker-compose.yml runs (test/unit/compose.test.ts checks that they stay the same).
export const IMAGES = { mariadb: 'mariadb:10.11', redis: 'redis:7', kafka: 'apache/kafka:3.9.1', temporal: 'temporalio/temporal:1.9.1' } as const;
const KAFKA_PORT = 9092; // the listener clients use, advertised as the mapped host port
const TEMPORAL_PORT = 7233;
const KAFKA_START_SCRIPT = '/tmp/testcontainers-start.sh';

/** Testcontainers fallback for the test stack (TEST_STACK=docker); needs a Docker engine. */
export async function startContainers(): Promise<{
  endpoints: { mysqlServerUrl: string; redisUrl: string; temporalAddress: string; kafkaBrokers: string };
  stop: () => Promise<void>;
}> {
  const [mariadb, redis, kafka, temporal] = await Promise.all([
    new MariaDbContainer(IMAGES.mariadb).start(),
    new RedisContainer(IMAGES.redis).start(),
    startKafka(),
    new GenericContainer(IMAGES.temporal)
      .withCommand([
        'server', 'start-dev', '--ip', '0.0.0.0', '--headless',
        ...searchAttributeFlags.flatMap((a) => ['--search-attribute', a]),
      ])
      .withExposedPorts(TEMPORAL_PORT)
      .withWaitStrategy(Wait.forListeningPorts())
      .withStartupTimeout(120_000)
      .start(),
  ]);
  // If one container failed to start, Promise.all rejects and the others are left to Ryuk.
  const started: StartedTestContainer[] = [mariadb, redis, kafka, temporal];
  const stop = async () => void (await Promise.allSettled(started.map((c) => c.stop())));

  const temporalAddress = `${temporal.getHost()}:${temporal.getMappedPort(TEMPORAL_PORT)}`;
  try {
    await waitForTemporal(temporalAddress);
  } catch (err) {
    await stop();
    throw err;
  }

  return {
    endpoints: {
      // root, no database path: test files create their own databases.
      mysqlServerUrl: `mysql://root:${encodeURIComponent(mariadb.getRootPassword())}@${mariadb.getHost()}:${mariadb.getPort()}`,
      redisUrl: `redis://${redis.getHost()}:${redis.getPort()}`,
      temporalAddress,
      kafkaBrokers: kafkaBrokers(kafka),
    },
    stop,
  };
}

const kafkaBrokers = (kafka: StartedTestContainer) => `${kafka.getHost()}:${kafka.getMappedPort(KAFKA_PORT)}`;

/**
 * The compose image (apache/kafka, KRaft, one broker+controller) through the generic container.
 * Clients must be told the host's mapped port, known only once the container runs: the container
 * waits for a start script, which we write then (the same trick as @testcontainers/kafka), and
 * which starts the image's own entrypoint with the advertised listener. Brokers talk to each other
 * on a listener of their own inside the container.
 */
async function startKafka(): Promise<StartedTestContainer> {
  const kafka = await new GenericContainer(IMAGES.kafka)
    .withEnvironment({
      KAFKA_NODE_ID: '1',
      KAFKA_PROCESS_ROLES: 'broker,controller',
      KAFKA_CONTROLLER_QUORUM_VOTERS: '1@localhost:9093',
      KAFKA_LISTENERS: 'PLAINTEXT://:9092,CONTROLLER://:9093,BROKER://:9094',
      KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,BROKER:PLAINTEXT',
      KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
      KAFKA_INTER_BROKER_LISTENER_NAME: 'BROKER',
      CLUSTER_ID: '4L6g3nShT-eMCtK--X86sw',
      KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
      KAFKA_NUM_PARTITIONS: '3',
      KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'true',
      KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
    })
    .withExposedPorts(KAFKA_PORT)
    .withEntrypoint(['sh', '-c', `echo waiting for the start script; while [ ! -f ${KAFKA_START_SCRIPT} ]; do sleep 0.1; done; exec sh ${KAFKA_START_SCRIPT}`])
    .withWaitStrategy(Wait.forLogMessage('waiting for the start script'))
    .withStartupTimeout(120_000)
    .start();
  try {
    const advertised = `PLAINTEXT://${kafkaBrokers(kafka)},BROKER://localhost:9094`;
    await kafka.copyContentToContainer([{ content: `export KAFKA_ADVERTISED_LISTENERS='${advertised}'\nexec /etc/kafka/docker/run\n`, target: KAFKA_START_SCRIPT }]);
    await waitForKafka(kafkaBrokers(kafka));
    return kafka;
  } catch (err) {
    await kafka.stop();
    throw err;
  }
}

/** Polls until the broker answers metadata requests (up to 90 s). */
async function waitForKafka(broker: string): Promise<void> {
  const admin = new Kafka({ brokers: [broker], clientId: 'testcontainers-wait', logLevel: logLevel.NOTHING, retry: { retries: 0 } }).admin();
  const deadline = Date.now() + 90_000;
  for (;;) {
    try {
      await admin.connect();
      await admin.listTopics();
      await admin.disconnect();
      return;
    } catch (err) {
      await admin.disconnect().catch(() => undefined);
      if (Date.now() >= deadline) throw new Error(`Kafka at ${broker} not ready after 90 s`, { cause: err });
    }
    await sleep(500);
  }
}

/** The frontend port can open before the server answers RPCs: poll GetSystemInfo for up to 60 s. */
async function waitForTemporal(address: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    let connection: Connection | undefined;
    try {
      connection = await Connection.connect({ address });
      await connection.workflowService.getSystemInfo({});
      return;
    } catch (err) {
      if (Date.now() >= deadline) throw new Error(`Temporal at ${address} not ready after 60 s`, { cause: err });
    } finally {
      await connection?.close();
    }
    await sleep(500);
  }
}
