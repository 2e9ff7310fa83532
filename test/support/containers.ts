import { setTimeout as sleep } from 'node:timers/promises';
import { Connection } from '@temporalio/client';
import { KafkaContainer } from '@testcontainers/kafka';
import { MariaDbContainer } from '@testcontainers/mariadb';
import { RedisContainer } from '@testcontainers/redis';
import { GenericContainer, Wait, type StartedTestContainer } from 'testcontainers';

const KAFKA_PORT = 9093; // the PLAINTEXT listener KafkaContainer advertises on the mapped host port
const TEMPORAL_PORT = 7233;

/** Testcontainers fallback for the test stack (TEST_STACK=docker); needs a Docker engine. */
export async function startContainers(): Promise<{
  endpoints: { mysqlServerUrl: string; redisUrl: string; temporalAddress: string; kafkaBrokers: string };
  stop: () => Promise<void>;
}> {
  const [mariadb, redis, kafka, temporal] = await Promise.all([
    new MariaDbContainer('mariadb:10.11').start(),
    new RedisContainer('redis:7').start(),
    new KafkaContainer('confluentinc/cp-kafka:7.9.0').withKraft().start(),
    new GenericContainer('temporalio/temporal:1.9.1')
      .withCommand([
        'server', 'start-dev', '--ip', '0.0.0.0', '--headless',
        '--search-attribute', 'ReservationStatus=Keyword',
        '--search-attribute', 'UserId=Keyword',
        '--search-attribute', 'ScheduleId=Keyword',
        '--search-attribute', 'ConcertId=Keyword',
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
      kafkaBrokers: `${kafka.getHost()}:${kafka.getMappedPort(KAFKA_PORT)}`,
    },
    stop,
  };
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
