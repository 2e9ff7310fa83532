import { createServer, type Server } from 'node:http';
import client from 'prom-client';

/**
 * One registry per process. Capabilities register their own metrics on it through `metric()` so a
 * test can build several apps in one process without "already registered" errors.
 */
export class Metrics {
  readonly registry = new client.Registry();
  private readonly cache = new Map<string, unknown>();

  constructor(processName: string, collectDefaults = true) {
    this.registry.setDefaultLabels({ process: processName });
    if (collectDefaults) client.collectDefaultMetrics({ register: this.registry });
  }

  counter<L extends string>(name: string, help: string, labelNames: readonly L[] = []): client.Counter<L> {
    return this.metric(name, () => new client.Counter({ name, help, labelNames, registers: [this.registry] }));
  }

  gauge<L extends string>(name: string, help: string, labelNames: readonly L[] = []): client.Gauge<L> {
    return this.metric(name, () => new client.Gauge({ name, help, labelNames, registers: [this.registry] }));
  }

  histogram<L extends string>(name: string, help: string, labelNames: readonly L[] = [], buckets?: number[]): client.Histogram<L> {
    return this.metric(name, () => new client.Histogram({ name, help, labelNames, registers: [this.registry], ...(buckets ? { buckets } : {}) }));
  }

  private metric<T>(name: string, make: () => T): T {
    if (!this.cache.has(name)) this.cache.set(name, make());
    return this.cache.get(name) as T;
  }

  /**
   * Serves /metrics on its own port (worker, relay), listening on `host` only (METRICS_HOST,
   * loopback by default: these ports have no authentication). The API serves /metrics on its main
   * port behind METRICS_TOKEN.
   */
  serve(port: number, host: string): Promise<Server> {
    const server = createServer(async (req, res) => {
      if (req.url === '/metrics') {
        res.setHeader('content-type', this.registry.contentType);
        res.end(await this.registry.metrics());
      } else if (req.url === '/healthz') {
        res.end('ok');
      } else {
        res.statusCode = 404;
        res.end();
      }
    });
    return new Promise((resolve) => server.listen(port, host, () => resolve(server)));
  }
}

export const latencyBuckets = [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
