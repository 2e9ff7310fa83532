import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { bundleWorkflows } from '../../src/main/worker-app.js';

export interface StackEndpoints {
  mysqlServerUrl: string; // without a database: each test file creates its own
  redisUrl: string;
  /** Seed nodes (host:port,...) of a Redis Cluster: TEST_REDIS_CLUSTER_NODES, or the native stack's under STACK_TOPOLOGY=cluster. */
  redisClusterNodes?: string | undefined;
  temporalAddress: string;
  kafkaBrokers: string;
  /** localstripe's API base (card payments); absent when the stack has none (external without TEST_STRIPE_URL). */
  stripeUrl?: string | undefined;
  /** Mailpit (docs/tickets.md "Email"): its SMTP server and its web UI/API; absent when the stack has none (external without TEST_SMTP_URL). */
  smtpUrl?: string | undefined;
  mailpitUrl?: string | undefined;
  /** The MySQL read replica (STACK_TOPOLOGY=cluster; docs/production.md "Replica reads"), without a database; absent on a single-node stack. */
  mysqlReplicaServerUrl?: string | undefined;
  workflowBundlePath: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    stack: StackEndpoints;
  }
}

const root = fileURLToPath(new URL('../..', import.meta.url));
const stackScript = `${root}/scripts/stack.sh`;

/**
 * One stack per test run. TEST_STACK=external uses the services named by TEST_MYSQL_URL,
 * TEST_REDIS_URL (TEST_REDIS_CLUSTER_NODES: a Redis Cluster instead), TEST_TEMPORAL_ADDRESS and TEST_KAFKA_BROKERS (and TEST_STRIPE_URL for the card
 * payment tests: localstripe; TEST_SMTP_URL and TEST_MAILPIT_URL for the email tests: Mailpit); otherwise the native stack
 * (scripts/stack.sh, profile "test": own ports, fresh Temporal database) is started, or, where a
 * Docker engine answers and the native tools cannot be installed, testcontainers.
 */
export default async function setup(project: TestProject) {
  const started = Date.now();
  let stop: (() => Promise<void>) | undefined;
  let endpoints: Omit<StackEndpoints, 'workflowBundlePath'>;

  if (process.env.TEST_STACK === 'external') {
    endpoints = {
      mysqlServerUrl: required('TEST_MYSQL_URL'),
      redisUrl: required('TEST_REDIS_URL'),
      temporalAddress: required('TEST_TEMPORAL_ADDRESS'),
      kafkaBrokers: required('TEST_KAFKA_BROKERS'),
      stripeUrl: process.env.TEST_STRIPE_URL,
      smtpUrl: process.env.TEST_SMTP_URL,
      mailpitUrl: process.env.TEST_MAILPIT_URL,
      mysqlReplicaServerUrl: process.env.TEST_MYSQL_REPLICA_URL,
    };
  } else if (process.env.TEST_STACK === 'docker' || (!process.env.TEST_STACK && !canRunNative() && dockerAnswers())) {
    const { startContainers } = await import('./containers.js');
    const containers = await startContainers();
    endpoints = containers.endpoints;
    stop = containers.stop;
  } else {
    const env = { ...process.env, STACK_PROFILE: 'test' };
    execFileSync('bash', [stackScript, 'start'], { stdio: 'inherit', env });
    const urls = Object.fromEntries(
      execFileSync('bash', [stackScript, 'urls'], { env, encoding: 'utf8' })
        .trim()
        .split('\n')
        .map((l) => l.split('=') as [string, string]),
    );
    const mysql = new URL(urls.MYSQL_URL!);
    mysql.pathname = '/';
    endpoints = { mysqlServerUrl: mysql.toString().replace(/\/$/, ''), redisUrl: urls.REDIS_URL!, temporalAddress: urls.TEMPORAL_ADDRESS!, kafkaBrokers: urls.KAFKA_BROKERS!, stripeUrl: urls.STRIPE_API_BASE, smtpUrl: urls.SMTP_URL, mailpitUrl: urls.MAILPIT_URL, redisClusterNodes: urls.REDIS_CLUSTER_NODES, mysqlReplicaServerUrl: serverOnly(urls.MYSQL_REPLICA_URL) };
    if (process.env.KEEP_TEST_STACK !== '1') stop = async () => void execFileSync('bash', [stackScript, 'stop'], { stdio: 'inherit', env });
  }

  // Bundle the workflow code once per run; every test file's worker loads the same file.
  const bundle = await bundleWorkflows();
  const dir = `${root}/.stack/test`;
  mkdirSync(dir, { recursive: true });
  const workflowBundlePath = `${dir}/workflow-bundle.js`;
  writeFileSync(workflowBundlePath, bundle.code);
  // Every test file's Redis clients become ioredis Cluster clients when a cluster is named.
  const redisClusterNodes = process.env.TEST_REDIS_CLUSTER_NODES || endpoints.redisClusterNodes;
  if (redisClusterNodes) console.log(`[test stack] Redis Cluster ${redisClusterNodes}`);
  project.provide('stack', { ...endpoints, redisClusterNodes, workflowBundlePath });
  console.log(`[test stack] ready in ${((Date.now() - started) / 1000).toFixed(1)}s`);

  return async () => {
    await stop?.();
  };
}

const succeeds = (cmd: string, args: string[]) => {
  try {
    execFileSync(cmd, args, { stdio: 'ignore', timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
};
/** The native stack needs its servers installed, or apt-get to install them (Debian-like machines). */
const canRunNative = () => succeeds('bash', ['-c', 'command -v mariadbd || command -v apt-get']);
const dockerAnswers = () => succeeds('docker', ['info']);

/** A MySQL URL without its database (each test file creates its own). */
function serverOnly(url: string | undefined): string | undefined {
  if (!url) return undefined;
  const u = new URL(url);
  u.pathname = '/';
  return u.toString().replace(/\/$/, '');
}

function required(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`TEST_STACK=external needs ${name}`);
  return v;
}
