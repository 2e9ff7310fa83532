import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';
import type { Config } from '../../src/config.js';
import { redisClusterEnv } from '../../src/platform/redis.js';
import { domainDatabaseUrl } from '../../src/platform/db/domains.js';
import { eventually } from './harness.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

/**
 * The real worker process (src/main/worker.ts) on a test context's database, Redis and task queue,
 * as test/integration/booking-worker-crash.test.ts runs it: a test can SIGKILL it mid-way (no drain).
 */
export async function startWorkerProcess(config: Config, env: Record<string, string> = {}): Promise<ChildProcess> {
  return (await startChild('src/main/worker.ts', 'worker started', config, env)).child;
}

/**
 * The webhooks worker process (src/main/webhooks-worker.ts: delivery workflows and the Kafka
 * dispatcher) on a test context's databases, task queue and topics, to be SIGKILLed by a test.
 */
export async function startWebhooksWorkerProcess(config: Config, env: Record<string, string> = {}): Promise<ChildProcess> {
  return (await startChild('src/main/webhooks-worker.ts', 'webhooks worker started', config, env)).child;
}

/**
 * An API process's periodic queue work (driver and admission controller, test/support/queue-process.ts)
 * in a child process on the test context's database and Redis, to be SIGKILLed by a test. `owner` is
 * its admission controller's lease owner id.
 */
export async function startQueueProcess(config: Config, env: Record<string, string> = {}): Promise<{ child: ChildProcess; owner: string }> {
  const { child, output } = await startChild('test/support/queue-process.ts', 'queue process started', config, { QUEUE_ENFORCED: 'true', ...env });
  return { child, owner: /queue process started (\S+)/.exec(output())![1]! };
}

async function startChild(script: string, readyLine: string, config: Config, env: Record<string, string>): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: root,
    env: {
      ...process.env,
      NODE_ENV: 'test',
      LOG_LEVEL: 'info',
      MYSQL_URL: config.MYSQL_URL,
      // Payment's own database and task queue (the process serves both queues, as in development).
      MYSQL_URL_PAYMENT: domainDatabaseUrl(config, 'payment'),
      MYSQL_URL_WAITLIST: domainDatabaseUrl(config, 'waitlist'),
      MYSQL_URL_IDENTITY: domainDatabaseUrl(config, 'identity'),
      PAYMENT_TASK_QUEUE: config.PAYMENT_TASK_QUEUE,
      // Webhooks' database, queue and topics (the worker serves them too unless told otherwise).
      MYSQL_URL_WEBHOOKS: domainDatabaseUrl(config, 'webhooks'),
      WEBHOOKS_TASK_QUEUE: config.WEBHOOKS_TASK_QUEUE,
      KAFKA_TOPIC_PREFIX: config.KAFKA_TOPIC_PREFIX,
      WEBHOOK_RETRY_INITIAL_MS: String(config.WEBHOOK_RETRY_INITIAL_MS),
      WEBHOOK_RETRY_MAX_MS: String(config.WEBHOOK_RETRY_MAX_MS),
      WEBHOOK_RETRY_FOR_MS: String(config.WEBHOOK_RETRY_FOR_MS),
      REDIS_URL: config.REDIS_URL,
      REDIS_PREFIX: config.REDIS_PREFIX,
      ...redisClusterEnv(config),
      TEMPORAL_ADDRESS: config.TEMPORAL_ADDRESS,
      TEMPORAL_TASK_QUEUE: config.TEMPORAL_TASK_QUEUE,
      KAFKA_BROKERS: config.KAFKA_BROKERS.join(','),
      HOLD_TTL_SECONDS: String(config.HOLD_TTL_SECONDS),
      WORKER_METRICS_PORT: '0',
      WORKER_SDK_METRICS_PORT: '0',
      SWEEPER_ENABLED: 'false',
      WORKFLOW_BUNDLE_PATH: inject('stack').workflowBundlePath,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  await eventually(async () => {
    if (child.exitCode !== null) throw new Error(`${script} exited: ${output.slice(-2000)}`);
    return output.includes(readyLine);
  }, 60_000);
  return { child, output: () => output };
}

export async function kill9(child: ChildProcess): Promise<void> {
  child.kill('SIGKILL');
  await eventually(async () => child.exitCode !== null || child.signalCode !== null, 10_000);
}
