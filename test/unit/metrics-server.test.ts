import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { Metrics } from '../../src/platform/observability/metrics.js';

/** The worker and relay metrics ports have no authentication: loopback unless told otherwise. */
describe('metrics ports', () => {
  it('listen on METRICS_HOST, 127.0.0.1 by default', async () => {
    const config = loadConfig({});
    expect(config.METRICS_HOST).toBe('127.0.0.1');
    const server = await new Metrics('unit', false).serve(0, config.METRICS_HOST);
    try {
      expect((server.address() as AddressInfo).address).toBe('127.0.0.1');
      const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`);
      expect(res.status).toBe(200);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it('bind where configured (0.0.0.0 where Prometheus scrapes over a network)', async () => {
    const config = loadConfig({ METRICS_HOST: '0.0.0.0' });
    const server = await new Metrics('unit', false).serve(0, config.METRICS_HOST);
    try {
      expect((server.address() as AddressInfo).address).toBe('0.0.0.0');
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
