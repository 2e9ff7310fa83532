import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

/**
 * The monitoring files (docs/monitoring) are checked statically: Prometheus config and alert rules
 * parse and are complete, the Grafana dashboard and provisioning fit together, and every metric
 * name used in a PromQL expression really exists (a string literal in src/, or a built-in of
 * Prometheus, prom-client or the Temporal SDK), so a renamed metric or a typo fails here instead
 * of leaving a dashboard panel empty or an alert silently never firing.
 */
const root = fileURLToPath(new URL('../../', import.meta.url));
const monitoring = join(root, 'docs/monitoring');
const read = (path: string) => readFileSync(join(root, path), 'utf8');

type Rule = { alert?: string; record?: string; expr?: string; for?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
type PromConfig = {
  rule_files?: string[];
  scrape_configs?: Array<{ job_name: string; metrics_path?: string; authorization?: { type?: string; credentials_file?: string }; static_configs?: Array<{ targets: string[] }> }>;
};
type Target = { expr?: string; datasource?: { uid?: string } };
type Panel = { id?: number; type: string; title?: string; datasource?: { uid?: string }; targets?: Target[]; panels?: Panel[] };

const promConfig = parse(read('docs/monitoring/prometheus.yml')) as PromConfig;
const alerts = parse(read('docs/monitoring/alerts.yml')) as { groups: Array<{ name: string; rules: Rule[] }> };
const rules = alerts.groups.flatMap((g) => g.rules);
const dashboard = JSON.parse(read('docs/monitoring/grafana/dashboards/booking.json')) as {
  uid: string;
  schemaVersion: number;
  panels: Panel[];
  templating?: { list: Array<{ name: string; type: string; datasource?: { uid?: string }; query?: unknown; definition?: string }> };
};

/** Every panel, including those nested in collapsed rows. */
function allPanels(panels: Panel[]): Panel[] {
  return panels.flatMap((p) => [p, ...allPanels(p.panels ?? [])]);
}
const dataPanels = allPanels(dashboard.panels).filter((p) => p.type !== 'row');

// ---------------------------------------------------------------------------------------------
// Metric names in PromQL.

const PROMQL_KEYWORDS = new Set([
  'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'bool', 'offset',
  'inf', 'nan', 'e',
]);

/**
 * Metric names referenced by a PromQL expression. Strings, label matchers ({...}), range and
 * subquery selectors ([...]), grouping clauses (by/without/on/ignoring/group_x (...)), Grafana
 * variables ($x, ${x}) and function calls are removed; what remains that looks like an identifier
 * is a metric name.
 */
function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, ' ')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\$\{?\w+\}?/g, ' ')
    // {{ $labels.x }} templates cannot occur in expr, but numbers with exponents/durations can.
    .replace(/\b\d+(?:\.\d+)?(?:e[+-]?\d+)?[smhdwy]?\b/gi, ' ');
  const names = new Set<string>();
  for (const m of stripped.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*(?=\s*(\()?)/g)) {
    const name = m[0];
    if (m[1]) continue; // a function call
    if (PROMQL_KEYWORDS.has(name.toLowerCase())) continue;
    names.add(name);
  }
  return [...names];
}

/** All .ts files under src/, concatenated. */
function sourceText(dir: string): string {
  return readdirSync(dir, { withFileTypes: true })
    .map((e) => {
      const path = join(dir, e.name);
      if (e.isDirectory()) return sourceText(path);
      return e.name.endsWith('.ts') ? readFileSync(path, 'utf8') : '';
    })
    .join('\n');
}
const src = sourceText(join(root, 'src'));
const quoted = (text: string, name: string) => ["'", '"', '`'].some((q) => text.includes(`${q}${name}${q}`));

/** Source text that defines the built-in metrics (prom-client defaults, Temporal Core SDK). */
function filesUnder(dir: string, ext: string): string {
  if (!existsSync(dir)) return '';
  return readdirSync(dir, { withFileTypes: true })
    .map((e) => (e.isDirectory() ? filesUnder(join(dir, e.name), ext) : e.name.endsWith(ext) ? readFileSync(join(dir, e.name), 'utf8') : ''))
    .join('\n');
}
const promClientDefaults = filesUnder(join(root, 'node_modules/prom-client/lib/metrics'), '.js');
const sdkCore = join(root, 'node_modules/@temporalio/core-bridge/sdk-core/crates');
const temporalSdkMetrics = ['common/src/telemetry/metrics.rs', 'sdk-core/src/telemetry/metrics.rs']
  .map((f) => join(sdkCore, f))
  .filter((f) => existsSync(f))
  .map((f) => readFileSync(f, 'utf8'))
  .join('\n');

/** Series Prometheus itself adds to every scrape. */
const PROMETHEUS_BUILTINS = new Set(['up', 'scrape_duration_seconds', 'scrape_samples_scraped', 'scrape_samples_post_metric_relabeling', 'scrape_series_added', 'ALERTS', 'ALERTS_FOR_STATE']);

/** Why a metric name is unknown, or undefined when it is known. */
function unknownMetric(name: string): string | undefined {
  if (PROMETHEUS_BUILTINS.has(name)) return undefined;
  const base = name.replace(/_(bucket|sum|count)$/, '');
  if (/^(process|nodejs)_/.test(name)) {
    // prom-client's default metrics, verified against its installed source (never waved through).
    if (!promClientDefaults) return `${name} cannot be verified: prom-client's sources are missing`;
    if (quoted(promClientDefaults, name) || quoted(promClientDefaults, base)) return undefined;
    return `${name} is not a prom-client default metric`;
  }
  if (name.startsWith('temporal_')) {
    // Temporal Core SDK metrics: prefix "temporal_", counters without "_total", durations in ms.
    const bare = base.replace(/^temporal_/, '');
    if (!temporalSdkMetrics) return `${name} cannot be verified: the Temporal Core SDK's metric sources are missing`;
    if (quoted(temporalSdkMetrics, bare)) return undefined;
    return `${name} is not a Temporal Core SDK metric`;
  }
  if (quoted(src, name) || quoted(src, base)) return undefined;
  return `${name} does not occur as a string literal in src/`;
}

function unknownMetrics(expr: string): string[] {
  return metricNames(expr).flatMap((n) => unknownMetric(n) ?? []);
}

// ---------------------------------------------------------------------------------------------

describe('metric name checks (self-test)', () => {
  it('extracts metric names from PromQL', () => {
    expect(metricNames('histogram_quantile(0.99, sum by (le, route) (rate(http_request_duration_seconds_bucket{route="/a", status=~"5.."}[5m])))')).toEqual([
      'http_request_duration_seconds_bucket',
    ]);
    expect(metricNames('(max(outbox_relay_leader) or vector(0)) == 0').sort()).toEqual(['outbox_relay_leader']);
    expect(metricNames('max by (schedule) (queue_waiting) > 0 unless on (schedule) sum by (schedule) (increase(queue_admissions_total[5m])) > 0').sort()).toEqual([
      'queue_admissions_total',
      'queue_waiting',
    ]);
    expect(metricNames('rate(process_cpu_seconds_total{process=~"$process"}[$__rate_interval]) > 1e3')).toEqual(['process_cpu_seconds_total']);
    expect(metricNames('sum(x_total) without (instance) / on(job) group_left(process) up')).toEqual(['x_total', 'up']);
  });

  it('rejects typos and accepts the real names', () => {
    expect(unknownMetrics('sum(rate(outbox_publish_error_total[5m]))')).toHaveLength(1);
    expect(unknownMetrics('sum(rate(http_request_duration_second_bucket[5m]))')).toHaveLength(1);
    expect(unknownMetrics('sum(rate(outbox_publish_errors_total[5m]))')).toEqual([]);
    expect(unknownMetrics('histogram_quantile(0.9, rate(queue_wait_seconds_bucket[5m]))')).toEqual([]);
    expect(unknownMetrics('nodejs_eventloop_lag_p99_seconds + process_cpu_seconds_total + up')).toEqual([]);
    expect(unknownMetrics('nodejs_event_loop_lag_seconds')).toHaveLength(1);
    expect(unknownMetrics('temporal_workflow_task_schedule_to_start_latency_bucket')).toEqual([]);
    expect(unknownMetrics('temporal_workflow_task_schedule_to_start_latency_seconds_bucket')).toHaveLength(1);
  });

  it('has the library sources it verifies names against (a missing source fails, it does not accept any name)', () => {
    expect(promClientDefaults, 'node_modules/prom-client/lib/metrics').not.toBe('');
    expect(temporalSdkMetrics, 'node_modules/@temporalio/core-bridge/sdk-core/crates/**/telemetry/metrics.rs').not.toBe('');
  });
});

describe('docs/monitoring/prometheus.yml', () => {
  it('loads alerts.yml, which exists next to it', () => {
    expect(promConfig.rule_files).toContain('alerts.yml');
    for (const f of promConfig.rule_files ?? []) expect(existsSync(join(monitoring, f)), f).toBe(true);
  });

  it('scrapes the api, the worker (ours and the Temporal SDK) and the relay on their metrics ports', () => {
    const targets = Object.fromEntries((promConfig.scrape_configs ?? []).map((s) => [s.job_name, s.static_configs?.flatMap((c) => c.targets) ?? []]));
    expect(targets.api).toEqual(['api:3000']);
    expect(targets.worker).toEqual(['worker:9464']);
    expect(targets['worker-sdk']).toEqual(['worker:9466']);
    expect(targets.relay).toEqual(['relay:9465']);
    const names = (promConfig.scrape_configs ?? []).map((s) => s.job_name);
    expect(new Set(names).size).toBe(names.length);
  });

  it("presents the API's metrics token, from the file compose mounts, holding the token the api gets", () => {
    const api = promConfig.scrape_configs!.find((s) => s.job_name === 'api')!;
    expect(api.authorization?.type).toBe('Bearer');
    expect(api.authorization?.credentials_file).toBe('/etc/prometheus/metrics-token');
    const compose = parse(read('docker-compose.yml')) as { services: Record<string, { volumes?: string[]; environment?: Record<string, string> }>; 'x-app-environment': Record<string, string> };
    const file = /^\$\{METRICS_TOKEN_FILE:-([^}]+)\}$/.exec(compose.services.prometheus!.volumes!.find((v) => v.includes('/etc/prometheus/metrics-token'))!.split(':/etc/')[0]!)?.[1];
    expect(file).toBe('./docs/monitoring/metrics-token.dev');
    const token = read(file!.slice(2)).trim();
    const apiToken = /^\$\{METRICS_TOKEN:-([^}]+)\}$/.exec(compose['x-app-environment'].METRICS_TOKEN!)?.[1];
    expect(apiToken).toBe(token);
    expect(read('src/config.ts')).toContain(`'${token}'`); // the app's development default
  });

  it('uses the default metrics ports of the app config', () => {
    const config = read('src/config.ts');
    expect(config).toMatch(/WORKER_METRICS_PORT: int\(9464\b/);
    expect(config).toMatch(/WORKER_SDK_METRICS_PORT: int\(9466\b/);
    expect(config).toMatch(/RELAY_METRICS_PORT: int\(9465\b/);
    expect(config).toMatch(/METRICS_HOST: z\.string\(\)\.min\(1\)\.default\('127\.0\.0\.1'\)/);
  });
});

describe('docs/monitoring/alerts.yml', () => {
  it('has complete alerting rules with unique names', () => {
    expect(rules.length).toBeGreaterThanOrEqual(11);
    const names = rules.map((r) => r.alert);
    expect(new Set(names).size).toBe(names.length);
    for (const r of rules) {
      const name = r.alert ?? '(unnamed)';
      expect(r.alert, 'alert name').toMatch(/^[A-Z][A-Za-z0-9]+$/);
      expect(r.expr?.trim(), `${name} expr`).toBeTruthy();
      expect(r.for, `${name} for`).toMatch(/^\d+[smh]$/);
      expect(r.labels?.severity, `${name} severity`).toMatch(/^(page|ticket)$/);
      expect(r.annotations?.summary?.trim(), `${name} summary`).toBeTruthy();
      expect(r.annotations?.description?.trim().length, `${name} description`).toBeGreaterThan(40);
    }
  });

  it('covers the failure modes the platform cares about', () => {
    const exprs = rules.map((r) => r.expr!).join('\n');
    for (const needle of [
      'status=~"5.."',
      'route="/api/v1/reservations"',
      'route="/api/v1/reservations/:reservationId/payment"',
      'outbox_oldest_unpublished_age_seconds',
      'outbox_publish_errors_total',
      'outbox_relay_leader',
      'events_consumer_up',
      'sweeper_released_holds_total',
      'queue_waiting',
      'queue_admissions_total',
      'nodejs_eventloop_lag',
      'up == 0',
    ]) {
      expect(exprs, needle).toContain(needle);
    }
  });

  it('only references metrics that exist', () => {
    for (const r of rules) expect(unknownMetrics(r.expr!), r.alert).toEqual([]);
  });

  it('uses route labels the API really produces (Hono route templates with :params)', () => {
    const routes = [...rules.map((r) => r.expr!).join('\n').matchAll(/route="([^"]+)"/g)].map((m) => m[1]!);
    // The reservation routes' definitions (their OpenAPI paths) live in route-specs.ts.
    const booking = read('src/booking/route-specs.ts');
    for (const route of routes) {
      expect(route.startsWith('/api/v1/'), route).toBe(true);
      const openapiPath = route.slice('/api/v1'.length).replace(/:(\w+)/g, '{$1}');
      expect(booking, route).toContain(`path: '${openapiPath}'`);
    }
  });
});

describe('docs/monitoring/grafana', () => {
  it('the dashboard parses, has a uid and a recent schema', () => {
    expect(dashboard.uid).toBeTruthy();
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
    expect(dataPanels.length).toBeGreaterThan(10);
  });

  it('every panel queries the "prometheus" datasource with at least one target', () => {
    for (const p of dataPanels) {
      expect(p.datasource?.uid, `${p.title} datasource`).toBe('prometheus');
      expect(p.targets?.length, `${p.title} targets`).toBeGreaterThan(0);
      for (const t of p.targets!) {
        expect(t.expr?.trim(), `${p.title} expr`).toBeTruthy();
        if (t.datasource) expect(t.datasource.uid, `${p.title} target datasource`).toBe('prometheus');
      }
    }
    const ids = allPanels(dashboard.panels).map((p) => p.id);
    expect(new Set(ids).size, 'unique panel ids').toBe(ids.length);
  });

  it('every panel and variable only references metrics that exist', () => {
    for (const p of dataPanels) for (const t of p.targets!) expect(unknownMetrics(t.expr!), `${p.title}: ${t.expr}`).toEqual([]);
    for (const v of dashboard.templating?.list ?? []) {
      if (v.type !== 'query') continue;
      expect(v.datasource?.uid, `variable ${v.name}`).toBe('prometheus');
      const m = /label_values\(\s*([A-Za-z_:][\w:]*)\s*,/.exec(v.definition ?? '');
      if (m) expect(unknownMetric(m[1]!), `variable ${v.name}`).toBeUndefined();
    }
  });

  it('covers every layer', () => {
    const exprs = dataPanels.flatMap((p) => p.targets!.map((t) => t.expr!)).join('\n');
    for (const metric of [
      'http_request_duration_seconds_bucket',
      'seat_map_cache_rebuilds_total',
      'queue_waiting',
      'queue_active',
      'queue_admissions_total',
      'queue_wait_seconds_bucket',
      'outbox_unpublished_events',
      'outbox_oldest_unpublished_age_seconds',
      'outbox_events_published_total',
      'outbox_publish_errors_total',
      'outbox_relay_leader',
      'events_consumer_up',
      'events_consumed_total',
      'events_duplicates_skipped_total',
      'sweeper_released_holds_total',
      'process_cpu_seconds_total',
      'nodejs_heap_size_used_bytes',
      'nodejs_eventloop_lag',
      'rate_limit_decisions_total',
    ]) {
      expect(exprs, metric).toContain(metric);
    }
  });

  it('provisions the datasource with uid "prometheus" and the dashboards directory', () => {
    const ds = parse(read('docs/monitoring/grafana/provisioning/datasources.yml')) as { datasources: Array<{ uid: string; type: string; url: string }> };
    expect(ds.datasources).toContainEqual(expect.objectContaining({ uid: 'prometheus', type: 'prometheus', url: 'http://prometheus:9090' }));
    const dash = parse(read('docs/monitoring/grafana/provisioning/dashboards.yml')) as { providers: Array<{ type: string; options: { path: string } }> };
    expect(dash.providers).toContainEqual(expect.objectContaining({ type: 'file', options: expect.objectContaining({ path: '/var/lib/grafana/dashboards' }) }));
  });
});

describe('docker-compose.yml monitoring services', () => {
  type Service = { image?: string; volumes?: string[]; ports?: string[]; environment?: Record<string, string>; depends_on?: unknown };
  const services = (parse(read('docker-compose.yml')) as { services: Record<string, Service> }).services;
  const mounts = (s: Service) => Object.fromEntries((s.volumes ?? []).map((v) => v.split(':')).map(([from, to]) => [to!, from!]));

  it('runs Prometheus with the config and rules mounted side by side', () => {
    const p = services.prometheus!;
    expect(p.image).toMatch(/^prom\/prometheus:v2\./);
    expect(p.ports).toContain('9090:9090');
    expect(mounts(p)['/etc/prometheus/prometheus.yml']).toBe('./docs/monitoring/prometheus.yml');
    expect(mounts(p)['/etc/prometheus/alerts.yml']).toBe('./docs/monitoring/alerts.yml');
  });

  it('runs Grafana on 3001 with the provisioning and the dashboards mounted', () => {
    const g = services.grafana!;
    expect(g.image).toMatch(/^grafana\/grafana:11\./);
    expect(g.ports).toContain('3001:3000');
    expect(g.environment?.GF_AUTH_ANONYMOUS_ENABLED).toBe('true');
    const m = mounts(g);
    expect(m['/etc/grafana/provisioning/datasources/datasources.yml']).toBe('./docs/monitoring/grafana/provisioning/datasources.yml');
    expect(m['/etc/grafana/provisioning/dashboards/dashboards.yml']).toBe('./docs/monitoring/grafana/provisioning/dashboards.yml');
    expect(m['/var/lib/grafana/dashboards']).toBe('./docs/monitoring/grafana/dashboards');
    for (const from of Object.values(m)) if (from.startsWith('./')) expect(existsSync(join(root, from)), from).toBe(true);
  });
});
