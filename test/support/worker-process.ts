import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';
import type { Config } from '../../src/config.js';
import { domainDatabaseUrl } from '../../src/platform/db/domains.js';
import { eventually } from './harness.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

/**
 * The real worker process (src/main/worker.ts) on a test context's database, Redis and task queue,
 * as test/integration/booking-worker-crash.test.ts runs it: a test can SIGKILL it mid-way (no drain).
 */
export async function startWorkerProcess(config: Config, env: Record<string, string> = {}): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main/worker.ts'], {
    cwd: root,
    env: {
      ...process.env,
      NODE_ENV: 'test',
      LOG_LEVEL: 'info',
      MYSQL_URL: config.MYSQL_URL,
      // Payment's own database and task queue (the process serves both queues, as in development).
      MYSQL_URL_PAYMENT: domainDatabaseUrl(config, 'payment'),
      PAYMENT_TASK_QUEUE: config.PAYMENT_TASK_QUEUE,
      REDIS_URL: config.REDIS_URL,
      REDIS_PREFIX: config.REDIS_PREFIX,
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
    if (child.exitCode !== null) throw new Error(`worker exited: ${output.slice(-2000)}`);
    return output.includes('worker started');
  }, 60_000);
  return child;
}

export async function kill9(child: ChildProcess): Promise<void> {
  child.kill('SIGKILL');
  await eventually(async () => child.exitCode !== null || child.signalCode !== null, 10_000);
}
