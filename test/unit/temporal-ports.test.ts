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

/** The bases the docs offer: dev 0, test 10000, a second test copy 20000, chaos 30000, a second dev stack 40000 (README). */
const OFFERED_BASES = [0, 10_000, 20_000, 30_000, 40_000];

/**
 * Every other port a stack of base 0 opens (scripts/stack.sh, scripts/up.sh): MySQL, PostgreSQL,
 * Redis, Temporal frontend to HTTP (7233-7243), Temporal UI and metrics, Kafka and its controller,
 * localstripe, the API (and extra APIs), worker, relay and SDK metrics (and extra processes' +10s).
 */
const STACK_PORTS = [
  3306, 5432, 6379, ...range(7233, 7243), 8233, 9233, 9092, 9093, 8420, ...range(3000, 3003),
  ...[9464, 9465, 9466].flatMap((p) => [p, p + 10, p + 20]),
];

function range(from: number, to: number) {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

/** Writes the server's config.yaml the way `TEMPORAL_MODE=server scripts/stack.sh start` does, and reads it back. */
function serverConfig(base: number): { services: Record<string, { rpc: { grpcPort: number; membershipPort: number } }> } {
  const data = mkdtempSync(join(tmpdir(), 'temporal-ports-'));
  try {
    const script = `
      set -euo pipefail
      say() { :; }; fail() { echo "$*" >&2; exit 1; }
      ROOT=${JSON.stringify(root)} DATA=${JSON.stringify(data)} TOOLS=${JSON.stringify(data)} base=${base}
      TEMPORAL_PORT=$((7233 + base)) TEMPORAL_METRICS_PORT=$((9233 + base)) TEMPORAL_DYNAMIC_CONFIG=()
      source "$ROOT/scripts/temporal-server.sh"
      write_temporal_server_config`;
    execFileSync('bash', ['-c', script], { stdio: ['ignore', 'ignore', 'pipe'], env: { PATH: process.env.PATH } });
    return parse(readFileSync(join(data, 'temporal-server', 'config.yaml'), 'utf8'));
  } finally {
    rmSync(data, { recursive: true, force: true });
  }
}

describe('Temporal server mode port plan', () => {
  const plans = new Map(OFFERED_BASES.map((base) => [base, serverConfig(base)]));

  it.each(OFFERED_BASES)('base %i: every membership port fits a smallint, gRPC ports follow the base', (base) => {
    const services = plans.get(base)!.services;
    expect(Object.keys(services).sort()).toEqual(['frontend', 'history', 'matching', 'worker']);
    for (const [name, { rpc }] of Object.entries(services)) {
      expect(rpc.membershipPort, `${name} membership`).toBeLessThanOrEqual(32767);
      expect(rpc.membershipPort, `${name} membership`).toBeGreaterThanOrEqual(1024);
      expect(rpc.grpcPort, `${name} gRPC`).toBeGreaterThanOrEqual(7233 + base);
    }
    expect(services.frontend!.rpc.grpcPort).toBe(7233 + base);
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

  it('the plan script prints the same ports (bash scripts/temporal-ports.sh 40000)', () => {
    const printed = execFileSync('bash', [join(root, 'scripts/temporal-ports.sh'), '40000'], { encoding: 'utf8' });
    const services = plans.get(40_000)!.services;
    for (const name of Object.keys(services)) {
      expect(printed).toContain(`${name} ${services[name]!.rpc.grpcPort} ${services[name]!.rpc.membershipPort}\n`);
    }
  });
});
