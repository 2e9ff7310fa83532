import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config.js';
import { IMAGES } from '../support/containers.js';
import { searchAttributeFlags } from '../support/search-attributes.js';

/**
 * No Docker engine runs here, so the compose file and the Dockerfile are checked statically: the
 * wiring between services, the images, the published ports, and that each app service's
 * environment passes the app's own config validation.
 */
type Service = {
  image?: string;
  build?: unknown;
  command?: string | string[];
  environment?: Record<string, unknown> | string[];
  ports?: Array<string | number | { target?: number; published?: number | string }>;
  depends_on?: string[] | Record<string, { condition?: string }>;
  healthcheck?: { test?: unknown; disable?: boolean };
};

const composeText = readFileSync(new URL('../../docker-compose.yml', import.meta.url), 'utf8');
const compose = parse(composeText) as { services: Record<string, Service> };
const services = compose.services;
const dockerfileUrl = new URL('../../Dockerfile', import.meta.url);

const INFRA = ['mysql', 'redis', 'kafka', 'temporal'];
const APP = ['migrate', 'api', 'worker', 'relay'];
const LONG_RUNNING = ['api', 'worker', 'relay'];

function dependsOn(s: Service): Record<string, string | undefined> {
  const d = s.depends_on;
  if (!d) return {};
  if (Array.isArray(d)) return Object.fromEntries(d.map((n) => [n, undefined]));
  return Object.fromEntries(Object.entries(d).map(([n, v]) => [n, v?.condition]));
}

function env(s: Service): Record<string, string> {
  const e = s.environment ?? {};
  if (Array.isArray(e)) {
    return Object.fromEntries(
      e.map((line) => {
        const i = line.indexOf('=');
        return [line.slice(0, i), line.slice(i + 1)];
      }),
    );
  }
  return Object.fromEntries(Object.entries(e).map(([k, v]) => [k, String(v)]));
}

/** Applies compose's `${VAR:-default}` / `${VAR-default}` interpolation with an empty shell env. */
function interpolateDefaults(value: string): string {
  return value.replace(/\$\{[A-Za-z_][A-Za-z0-9_]*(?::?-([^}]*))?\}/g, (_m, def: string | undefined) => def ?? '');
}

/** Container ports published on the host, as [hostPort, containerPort] pairs. */
function published(s: Service): Array<[number, number]> {
  return (s.ports ?? []).map((p) => {
    if (typeof p === 'object') return [Number(p.published), Number(p.target)];
    const parts = String(p).split('/')[0]!.split(':');
    const container = Number(parts[parts.length - 1]);
    const host = parts.length > 1 ? Number(parts[parts.length - 2]) : NaN;
    return [host, container];
  });
}

function commandText(s: Service): string {
  return Array.isArray(s.command) ? s.command.join(' ') : (s.command ?? '');
}

describe('docker-compose.yml', () => {
  it('defines the expected services', () => {
    for (const name of [...INFRA, ...APP]) expect(services, `service ${name}`).toHaveProperty(name);
  });

  it('gives every service an image or a build', () => {
    for (const [name, s] of Object.entries(services)) {
      expect(Boolean(s.image) || Boolean(s.build), `${name} has image or build`).toBe(true);
    }
  });

  it('only depends on services that exist, and waits on healthchecks that exist', () => {
    for (const [name, s] of Object.entries(services)) {
      for (const [target, condition] of Object.entries(dependsOn(s))) {
        expect(services, `${name} depends on ${target}`).toHaveProperty(target);
        if (condition === 'service_healthy') {
          expect(services[target]!.healthcheck?.test, `${target} needs a healthcheck for ${name}`).toBeTruthy();
        }
      }
    }
  });

  it('health-checks every backing service', () => {
    for (const name of INFRA) expect(services[name]!.healthcheck?.test, `${name} healthcheck`).toBeTruthy();
  });

  it('builds the app services from the Dockerfile and runs the built entry points with plain node', () => {
    for (const name of APP) expect(services[name]!.build, `${name} build`).toBeTruthy();
    expect(commandText(services.migrate!)).toContain('node dist/src/main/migrate.js');
    expect(commandText(services.migrate!)).toContain('node dist/src/main/seed.js');
    expect(commandText(services.worker!)).toBe('node dist/src/main/worker.js');
    expect(commandText(services.relay!)).toBe('node dist/src/main/relay.js');
    // The API either relies on the Dockerfile's CMD or names it explicitly.
    if (services.api!.command) expect(commandText(services.api!)).toBe('node dist/src/main/api.js');
    for (const name of APP) expect(commandText(services[name]!), `${name} runs no TypeScript at run time`).not.toMatch(/tsx|\.ts\b/);
  });

  it('starts api, worker and relay only after migrate succeeded and the infrastructure is healthy', () => {
    for (const name of LONG_RUNNING) {
      const deps = dependsOn(services[name]!);
      expect(deps.migrate, `${name} -> migrate`).toBe('service_completed_successfully');
      for (const infra of INFRA) expect(deps[infra], `${name} -> ${infra}`).toBe('service_healthy');
    }
    expect(dependsOn(services.migrate!).mysql).toBe('service_healthy');
  });

  it('points the app services at the compose service names', () => {
    for (const name of APP) {
      const e = env(services[name]!);
      const mysql = new URL(e.MYSQL_URL!);
      expect(mysql.protocol, `${name} MYSQL_URL`).toBe('mysql:');
      expect(mysql.hostname, `${name} MYSQL_URL`).toBe('mysql');
      expect(mysql.port || '3306').toBe('3306');
      expect(mysql.pathname).toBe('/booking');

      const redis = new URL(e.REDIS_URL!);
      expect(redis.protocol, `${name} REDIS_URL`).toBe('redis:');
      expect(redis.hostname, `${name} REDIS_URL`).toBe('redis');

      expect(interpolateDefaults(e.TEMPORAL_ADDRESS!), `${name} TEMPORAL_ADDRESS`).toBe('temporal:7233');

      const brokers = e.KAFKA_BROKERS!.split(',').map((b) => b.trim());
      expect(brokers.length).toBeGreaterThan(0);
      for (const b of brokers) expect(b, `${name} KAFKA_BROKERS`).toBe('kafka:9092');
    }
  });

  it("gives each app service an environment the app's config accepts", () => {
    for (const name of APP) {
      const resolved = Object.fromEntries(Object.entries(env(services[name]!)).map(([k, v]) => [k, interpolateDefaults(v)]));
      expect(() => loadConfig(resolved), name).not.toThrow();
    }
  });

  it('matches the database credentials the app uses', () => {
    const db = env(services.mysql!);
    const url = new URL(env(services.api!).MYSQL_URL!);
    expect(db.MARIADB_USER).toBe(decodeURIComponent(url.username));
    expect(db.MARIADB_PASSWORD).toBe(decodeURIComponent(url.password));
    expect(db.MARIADB_DATABASE).toBe(url.pathname.slice(1));
  });

  it('publishes the API on 3000 and Temporal on 7233 (gRPC) and 8233 (Web UI)', () => {
    expect(published(services.api!)).toContainEqual([3000, 3000]);
    expect(published(services.temporal!)).toContainEqual([8233, 8233]);
    expect(published(services.temporal!)).toContainEqual([7233, 7233]);
  });

  it('uses MariaDB 10.11, Kafka 3.9.x and a Temporal 1.x CLI image', () => {
    expect(services.mysql!.image).toMatch(/^mariadb:10\.11(\.\d+)?$/);
    expect(services.redis!.image).toMatch(/^redis:7(\.|$)/);
    expect(services.kafka!.image).toMatch(/^apache\/kafka:3\.9(\.\d+)?$/);
    expect(services.temporal!.image).toMatch(/^temporalio\/temporal:1\.\d+(\.\d+)?$/);
  });

  it('gives the testcontainers fallback (TEST_STACK=docker) the same images', () => {
    expect(IMAGES.kafka).toBe(services.kafka!.image);
    expect(IMAGES.mariadb).toBe(services.mysql!.image);
    expect(IMAGES.redis).toBe(services.redis!.image);
    expect(IMAGES.temporal).toBe(services.temporal!.image);
    // No other image is named there (the Kafka module's default was confluentinc/cp-kafka).
    const images = [...readFileSync(new URL('../support/containers.ts', import.meta.url), 'utf8').matchAll(/'([a-z0-9.-]+\/)?[a-z0-9.-]+:[0-9][^']*'/g)].map((m) => m[0].slice(1, -1));
    for (const image of images) expect(Object.values(IMAGES) as string[], image).toContain(image);
  });

  it('runs Kafka as a single KRaft broker+controller advertised as kafka:9092', () => {
    const e = env(services.kafka!);
    expect(e.KAFKA_PROCESS_ROLES!.split(',').sort()).toEqual(['broker', 'controller']);
    expect(e.KAFKA_ADVERTISED_LISTENERS).toBe('PLAINTEXT://kafka:9092');
    expect(e.KAFKA_CONTROLLER_QUORUM_VOTERS).toBe(`${e.KAFKA_NODE_ID}@kafka:9093`);
    expect(e.KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR).toBe('1');
    expect(e.KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR).toBe('1');
    expect(e.KAFKA_TRANSACTION_STATE_LOG_MIN_ISR).toBe('1');
  });

  it('starts the Temporal dev server reachable from other containers, with the search attributes', () => {
    const cmd = services.temporal!.command;
    expect(Array.isArray(cmd)).toBe(true);
    const args = cmd as string[];
    // The image's entrypoint is the temporal CLI itself.
    expect(args.slice(0, 2)).toEqual(['server', 'start-dev']);
    expect(args[args.indexOf('--ip') + 1]).toBe('0.0.0.0');
    expect(args[args.indexOf('--ui-ip') + 1]).toBe('0.0.0.0');
    const attrs = args.filter((_a, i) => args[i - 1] === '--search-attribute');
    // The workflows' contracts name them (test/support/search-attributes.ts).
    expect(attrs.sort()).toEqual([...searchAttributeFlags].sort());
  });
});

describe('docker-compose.yml, profile cluster', () => {
  const CLUSTER = ['temporal-postgres', 'temporal-schema', 'temporal-server', 'temporal-namespace', 'temporal-ui'];
  const stackScript = readFileSync(new URL('../../scripts/stack.sh', import.meta.url), 'utf8');
  const stackDynamicConfig = Object.fromEntries(
    stackScript
      .slice(stackScript.indexOf('TEMPORAL_DYNAMIC_CONFIG=('), stackScript.indexOf(')', stackScript.indexOf('TEMPORAL_DYNAMIC_CONFIG=(')))
      .split('\n')
      .slice(1)
      .map((l) => l.trim())
      .filter(Boolean)
      .map((l) => l.split('=') as [string, string]),
  );

  it('runs a Temporal server on PostgreSQL from the official images, only under the profile', () => {
    for (const name of CLUSTER) expect((services[name] as { profiles?: string[] }).profiles, name).toEqual(['cluster']);
    expect(services['temporal-postgres']!.image).toMatch(/^postgres:\d+/);
    expect(services['temporal-server']!.image).toMatch(/^temporalio\/server:1\.32\.\d+$/);
    expect(services['temporal-schema']!.image).toMatch(/^temporalio\/admin-tools:1\.32\.\d+$/);
    expect(services['temporal-ui']!.image).toMatch(/^temporalio\/ui:2\.\d+\.\d+$/);
    const e = env(services['temporal-server']!);
    expect(e.DB).toBe('postgres12');
    expect(e.POSTGRES_SEEDS).toBe('temporal-postgres');
    expect(Number(e.NUM_HISTORY_SHARDS)).toBeGreaterThan(1);
    expect(dependsOn(services['temporal-server']!)['temporal-schema']).toBe('service_completed_successfully');
    expect(commandText(services['temporal-schema']!)).toMatch(/update-schema -d \/etc\/temporal\/schema\/postgresql\/v12\/temporal\/versioned/);
    expect(commandText(services['temporal-schema']!)).toMatch(/update-schema -d \/etc\/temporal\/schema\/postgresql\/v12\/visibility\/versioned/);
  });

  it('registers the namespace and every search attribute the workflow sets, and the apps wait for that when the profile is on', () => {
    const setup = commandText(services['temporal-namespace']!);
    expect(setup).toMatch(/namespace create -n default --retention \S+/);
    for (const a of searchAttributeFlags) expect(setup).toContain(a);
    for (const name of LONG_RUNNING) {
      const d = (services[name]!.depends_on as Record<string, { condition: string; required?: boolean }>)['temporal-namespace'];
      expect(d, name).toEqual({ condition: 'service_completed_successfully', required: false });
    }
  });

  it('gives the server the same dynamic config as the dev server and the native server mode', () => {
    const file = readFileSync(new URL('../../docs/temporal/dynamicconfig.yaml', import.meta.url), 'utf8');
    const fromFile = Object.fromEntries(Object.entries(parse(file) as Record<string, Array<{ value: unknown }>>).map(([k, v]) => [k, String(v[0]!.value)]));
    expect(fromFile).toEqual(stackDynamicConfig);
    const args = services.temporal!.command as string[];
    const devFlags = Object.fromEntries(args.filter((_a, i) => args[i - 1] === '--dynamic-config-value').map((v) => v.split('=') as [string, string]));
    for (const [k, v] of Object.entries(devFlags)) expect(stackDynamicConfig[k], k).toBe(v);
    const mounted = (services['temporal-server'] as { volumes?: string[] }).volumes ?? [];
    expect(mounted.some((v) => v.startsWith('./docs/temporal/dynamicconfig.yaml:') && v.includes(env(services['temporal-server']!).DYNAMIC_CONFIG_FILE_PATH!))).toBe(true);
  });
});

describe('Dockerfile', () => {
  it('exists and starts FROM node:20', () => {
    expect(existsSync(dockerfileUrl)).toBe(true);
    const from = readFileSync(dockerfileUrl, 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .find((l) => /^FROM\s/i.test(l));
    expect(from).toMatch(/^FROM\s+node:20([.-]\S*)?(\s|$)/i);
  });

  it('builds in one stage and runs from a slim one: dist/ and production dependencies, as non-root, with a healthcheck', () => {
    const text = readFileSync(dockerfileUrl, 'utf8');
    const stages = text.split(/^FROM\s/im).slice(1);
    expect(stages.length, 'a build stage and a runtime stage').toBe(2);
    const [build, runtime] = stages as [string, string];
    expect(build).toMatch(/^RUN\s+npm ci\b/m);
    expect(build).toMatch(/npm run build/);
    expect(build).toMatch(/npm prune --omit=dev/);
    expect(runtime).toMatch(/COPY --from=build \S*\/dist\b/);
    expect(runtime).not.toMatch(/COPY\s+(\.|src)\s/);
    expect(runtime).toMatch(/^USER\s+node\b/m);
    expect(runtime).toMatch(/^HEALTHCHECK\s/m);
    const cmd = runtime.split('\n').find((l) => /^CMD\s/.test(l));
    expect(cmd).toContain('dist/src/main/api.js');
    expect(cmd).not.toContain('tsx');
  });
});
