import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

/**
 * Temporal server mode's port plan (scripts/temporal-ports.sh, issue 24): PostgreSQL stores each
 * member's membership port in a smallint, so every membership port must stay below 32768 whatever
 * STACK_PORT_BASE is. Checked on the config.yaml that scripts/temporal-server.sh writes for the
 * server, for every base the docs offer, and against every other port of those stacks.
 */
const root = fileURLToPath(new URL('../..', import.meta.url));

/**
 * The bases the docs offer: dev 0, test 10000, a second test copy 20000, chaos 30000, a second dev
 * stack 40000 (README), and the engineers' own stacks up to 60000 (steps of 10000).
 */
const OFFERED_BASES = [0, 10_000, 20_000, 30_000, 40_000, 50_000, 60_000];
/** Server processes: 1 in TEMPORAL_MODE=server, 2 in STACK_TOPOLOGY=cluster (scripts/topology/temporal-cluster.sh). */
const NODES = [1, 2];

/**
 * Every other port a stack of base 0 opens (scripts/stack.sh, scripts/up.sh): MySQL, PostgreSQL,
 * Redis, Temporal frontend to HTTP (7233-7243), Temporal UI and metrics, Kafka and its controller,
 * localstripe, the API (and extra APIs), worker, relay and SDK metrics (and extra processes' +10s).
 */
const STACK_PORTS = [
  3306, 5432, 6379, ...range(7233, 7243), 8233, 9233, 9092, 9093, 8420, ...range(3000, 3003),
  ...[9464, 9465, 9466].flatMap((p) => [p, p + 10, p + 20]),
  // The cluster topology: the second Temporal server (7253-7263, metrics 9234), the MariaDB replica,
  // Kafka brokers 2 and 3 and their controllers, the Redis Cluster nodes and their bus ports.
  ...range(7253, 7263), 9234, 3307, ...range(9094, 9097), ...range(6379, 6384), ...range(6479, 6484),
];

function range(from: number, to: number) {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

/** Writes the server's config.yaml the way `TEMPORAL_MODE=server scripts/stack.sh start` does, and reads it back. */
interface Config {
  services: Record<string, { rpc: { grpcPort: number; membershipPort: number } }>;
  persistence: unknown;
  clusterMetadata: unknown;
  global: { metrics: { prometheus: { listenAddress: string } } };
}

function serverConfig(base: number, node = 1): Config {
  const data = mkdtempSync(join(tmpdir(), 'temporal-ports-'));
  try {
    const script = `
      set -euo pipefail
      say() { :; }; fail() { echo "$*" >&2; exit 1; }
      ROOT=${JSON.stringify(root)} DATA=${JSON.stringify(data)} TOOLS=${JSON.stringify(data)} base=${base}
      TEMPORAL_PORT=$((7233 + base)) TEMPORAL_METRICS_PORT=$((9233 + base)) TEMPORAL_DYNAMIC_CONFIG=()
      source "$ROOT/scripts/temporal-server.sh"
      write_temporal_server_config ${node}`;
    execFileSync('bash', ['-c', script], { stdio: ['ignore', 'ignore', 'pipe'], env: { PATH: process.env.PATH } });
    return parse(readFileSync(join(data, node === 1 ? 'temporal-server' : `temporal-server-${node}`, 'config.yaml'), 'utf8'));
  } finally {
    rmSync(data, { recursive: true, force: true });
  }
}

describe('Temporal server mode port plan', () => {
  const plans = new Map(OFFERED_BASES.flatMap((base) => NODES.map((node) => [`${base}/${node}`, serverConfig(base, node)] as const)));
  const cases = OFFERED_BASES.flatMap((base) => NODES.map((node) => [base, node] as const));

  it.each(cases)('base %i, server %i: every membership port fits a smallint, gRPC ports follow the base', (base, node) => {
    const services = plans.get(`${base}/${node}`)!.services;
    expect(Object.keys(services).sort()).toEqual(['frontend', 'history', 'matching', 'worker']);
    for (const [name, { rpc }] of Object.entries(services)) {
      expect(rpc.membershipPort, `${name} membership`).toBeLessThanOrEqual(32767);
      expect(rpc.membershipPort, `${name} membership`).toBeGreaterThanOrEqual(1024);
      expect(rpc.grpcPort, `${name} gRPC`).toBeGreaterThanOrEqual(7233 + base);
    }
    expect(services.frontend!.rpc.grpcPort).toBe(7233 + 20 * (node - 1) + base);
  });

  it('the two servers of one stack share the PostgreSQL stores and the cluster address, nothing else', () => {
    for (const base of OFFERED_BASES) {
      const [one, two] = NODES.map((node) => plans.get(`${base}/${node}`)!) as [Config, Config];
      expect(two.persistence).toEqual(one.persistence);
      expect(two.clusterMetadata).toEqual(one.clusterMetadata);
      expect(two.global.metrics.prometheus.listenAddress).not.toBe(one.global.metrics.prometheus.listenAddress);
    }
  });

  it('no membership port of one offered stack is a port of itself or of another offered stack', () => {
    const taken = new Map<number, string>();
    for (const base of OFFERED_BASES) for (const p of STACK_PORTS) taken.set(p + base, `base ${base} port ${p}`);
    const clashes: string[] = [];
    for (const [base, plan] of plans) {
      for (const [name, { rpc }] of Object.entries(plan.services)) {
        const owner = taken.get(rpc.membershipPort);
        if (owner) clashes.push(`base ${base} ${name} membership ${rpc.membershipPort} = ${owner}`);
        taken.set(rpc.membershipPort, `base ${base} ${name} membership`);
      }
    }
    expect(clashes).toEqual([]);
  });

  it('a base whose membership ports cannot fit stops before the server starts, saying why', () => {
    expect(() => serverConfig(300_000)).toThrow(/smallint/);
  });

  it.each(NODES)('the plan script prints the same ports (bash scripts/temporal-ports.sh 40000 "" %i)', (node) => {
    const printed = execFileSync('bash', [join(root, 'scripts/temporal-ports.sh'), '40000', '', String(node)], { encoding: 'utf8' });
    const services = plans.get(`40000/${node}`)!.services;
    for (const name of Object.keys(services)) {
      expect(printed).toContain(`${name} ${services[name]!.rpc.grpcPort} ${services[name]!.rpc.membershipPort}\n`);
    }
  });
});
