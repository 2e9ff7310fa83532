import { createAdaptorServer } from '@hono/node-server';
import { request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, TEST_PASSWORD, type TestContext } from '../support/harness.js';

/**
 * What an outside client or fuzzer sees at the HTTP level (issue 10): caching and security headers,
 * Swagger UI without a CDN, /metrics behind its token, rate-limit metrics, and the OpenAPI document
 * agreeing with the server (required headers, limits, email addresses, SSE messages, 405, auth scheme).
 */
describe('HTTP conformance', () => {
  let ctx: TestContext;
  let server: Server;
  let port: number;

  beforeAll(async () => {
    // A small per-user booking budget, so one test can see the limiter refuse.
    ctx = await createTestContext({ worker: false, env: { RATE_LIMIT_BOOKING_PER_USER: '3' } });
    server = createAdaptorServer({ fetch: ctx.app.fetch }) as Server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise((r) => server?.close(r));
    await ctx?.close();
  });

  /** Over a socket: fetch() refuses TRACE, and in-process requests skip Node's HTTP parser. */
  const raw = (method: string, path: string, headers: Record<string, string> = {}) =>
    new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, method, path, headers }, (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      });
      req.on('error', reject);
      req.end();
    });

  it('marks every personal answer Cache-Control: no-store, and public catalog reads not', async () => {
    const user = await ctx.createUser({ balance: 50_000 });
    const { scheduleId } = await ctx.createSchedule();
    const login = await ctx.request('POST', '/api/v1/auth/login', { body: { email: user.email, password: TEST_PASSWORD } });
    expect(login.status).toBe(200);
    expect(login.headers.get('cache-control')).toBe('no-store');
    const personal = [
      await ctx.request('GET', '/api/v1/me', { token: user.token }),
      await ctx.request('GET', '/api/v1/wallet', { token: user.token }),
      await ctx.request('GET', '/api/v1/reservations', { token: user.token }),
      await ctx.request('POST', '/api/v1/queue/tokens', { token: user.token, body: { scheduleId } }),
      await ctx.request('GET', '/api/v1/reservations/aaaaaaaaaaaaaaaaaaaaaaaa', { token: user.token }), // 404 is personal too
    ];
    for (const res of personal) expect(res.headers.get('cache-control'), `${res.status} ${JSON.stringify(res.body).slice(0, 80)}`).toBe('no-store');
    expect(personal.slice(0, 4).map((r) => r.status)).toEqual([200, 200, 200, 200]);
    const concerts = await ctx.request('GET', '/api/v1/concerts');
    expect(concerts.headers.get('cache-control')).not.toBe('no-store');
  });

  it('sends a Content-Security-Policy: nothing may load for API answers, only this origin for /docs', async () => {
    const api = await ctx.request('GET', '/api/v1/concerts');
    expect(api.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
    expect(api.headers.get('content-security-policy')).toMatch(/frame-ancestors 'none'/);
    const problem = await ctx.request('GET', '/api/v1/nowhere');
    expect(problem.headers.get('content-security-policy')).toMatch(/default-src 'none'/);

    const docs = await ctx.request('GET', '/docs');
    expect(docs.status).toBe(200);
    const csp = docs.headers.get('content-security-policy')!;
    const directives = Object.fromEntries(csp.split(';').map((d) => d.trim().split(/\s+/)).map(([name, ...values]) => [name, values]));
    expect(directives['default-src']).toEqual(["'none'"]);
    expect(directives['script-src']).toEqual(["'self'"]);
    expect(directives['style-src']).toEqual(["'self'"]);
    expect(directives['connect-src']).toEqual(["'self'"]);
    // No other host anywhere in the policy (data: is the icons inside swagger-ui.css).
    for (const values of Object.values(directives)) for (const v of values as string[]) expect(v, csp).toMatch(/^('self'|'none'|data:)$/);
  });

  it('serves Swagger UI from the npm package: no CDN, no inline script', async () => {
    const page = String((await ctx.request('GET', '/docs')).body);
    expect(page).not.toMatch(/https?:\/\//);
    expect(page).not.toMatch(/<script>[^<]/); // every script has a src (the CSP has no 'unsafe-inline')
    const assets = [...page.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(assets.length).toBeGreaterThanOrEqual(3);
    for (const asset of assets) {
      expect(asset.startsWith('/docs/'), asset).toBe(true);
      const res = await ctx.app.request(asset);
      expect(res.status, asset).toBe(200);
      expect(res.headers.get('content-security-policy'), asset).toMatch(/script-src 'self'/);
    }
    const bundle = await ctx.app.request(assets.find((a) => a.includes('swagger-ui-bundle.js'))!);
    expect(bundle.headers.get('content-type')).toMatch(/javascript/);
    expect((await bundle.arrayBuffer()).byteLength).toBeGreaterThan(500_000);
    const init = await (await ctx.app.request(assets.find((a) => a.includes('swagger-initializer.js'))!)).text();
    expect(init).toContain('SwaggerUIBundle(');
    expect(init).toContain('validatorUrl: null');
    expect((await ctx.request('GET', '/docs/package.json')).status).toBe(404);
    expect((await ctx.request('GET', '/docs/..%2Fpackage.json')).status).toBe(404);
  });

  it('serves /metrics only with the metrics token (any case of the Bearer scheme)', async () => {
    expect((await ctx.request('GET', '/metrics')).status).toBe(401);
    expect((await ctx.request('GET', '/metrics', { headers: { authorization: 'Bearer not-the-metrics-token' } })).status).toBe(401);
    const user = await ctx.createUser();
    expect((await ctx.request('GET', '/metrics', { token: user.token })).status).toBe(401); // an access token is not the metrics token
    const ok = await ctx.request('GET', '/metrics', { headers: { authorization: `bearer ${ctx.config.METRICS_TOKEN}` } });
    expect(ok.status).toBe(200);
    expect(String(ok.body)).toContain('http_request_duration_seconds');
  });

  it('counts rate-limit decisions by rule: allowed and refused', async () => {
    const user = await ctx.createUser();
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await ctx.request('GET', '/api/v1/wallet', { token: user.token })).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const text = await ctx.metrics.registry.getSingleMetricAsString('rate_limit_decisions_total');
    const count = (rule: string, outcome: string) => Number(new RegExp(`rate_limit_decisions_total\\{[^}]*rule="${rule}",outcome="${outcome}"[^}]*\\} (\\d+)`).exec(text)?.[1] ?? 0);
    expect(count('booking', 'refused')).toBeGreaterThanOrEqual(1);
    expect(count('booking', 'allowed')).toBeGreaterThanOrEqual(3);
  });

  it('answers 405 with Allow for a method a known path does not serve (TRACE too), 404 for unknown paths', async () => {
    const trace = await raw('TRACE', '/api/v1/concerts');
    expect(trace.status).toBe(405);
    expect(trace.headers.allow).toBe('GET, HEAD');
    expect(trace.headers['content-type']).toContain('application/problem+json');
    expect(JSON.parse(trace.body)).toMatchObject({ status: 405, code: 'METHOD_NOT_ALLOWED' });
    // Before authentication: an anonymous TRACE on a guarded path is still 405, not 401.
    const guarded = await raw('TRACE', '/api/v1/reservations');
    expect(guarded.status).toBe(405);
    expect(guarded.headers.allow).toBe('GET, HEAD, POST');
    expect((await raw('TRACE', '/api/v1/nowhere')).status).toBe(404);

    const del = await ctx.request('DELETE', '/api/v1/concerts/1');
    expect(del.status).toBe(405);
    expect(del.headers.get('allow')).toBe('GET, HEAD');
    const user = await ctx.createUser();
    const put = await ctx.request('PUT', '/api/v1/wallet/charges', { token: user.token, body: { amount: 1 } });
    expect(put.status).toBe(405);
    expect(put.headers.get('allow')).toBe('POST');
    expect((await ctx.request('GET', '/api/v1/concerts/1/nowhere')).status).toBe(404);
  });

  it('accepts the Bearer scheme in any case', async () => {
    const user = await ctx.createUser();
    for (const scheme of ['Bearer', 'bearer', 'BEARER']) {
      expect((await ctx.request('GET', '/api/v1/me', { headers: { authorization: `${scheme} ${user.token}` } })).status, scheme).toBe(200);
    }
    expect((await ctx.request('GET', '/api/v1/me', { headers: { authorization: `Basic ${user.token}` } })).status).toBe(401);
  });

  describe('the OpenAPI document says what the server does', () => {
    let doc: any;
    beforeAll(async () => {
      doc = (await ctx.request('GET', '/openapi.json')).body;
    });

    it('documents Idempotency-Key as required on wallet charges, and the server requires it', async () => {
      const params = doc.paths['/api/v1/wallet/charges'].post.parameters as Array<{ name: string; in: string; required?: boolean }>;
      expect(params.find((p) => p.in === 'header' && p.name.toLowerCase() === 'idempotency-key')?.required).toBe(true);
      const user = await ctx.createUser();
      const res = await ctx.request('POST', '/api/v1/wallet/charges', { token: user.token, body: { amount: 1000 } });
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
    });

    it('gives seatIds the maximum in force, and more seats are refused', async () => {
      const seatIds = doc.components.schemas.HoldRequest.properties.seatIds;
      expect(seatIds.maxItems).toBe(ctx.config.MAX_SEATS_PER_RESERVATION);
      const user = await ctx.createUser();
      const { scheduleId, seatIds: seats } = await ctx.createSchedule();
      const res = await ctx.request('POST', '/api/v1/reservations', {
        token: user.token,
        headers: { 'idempotency-key': 'too-many-seats-1' },
        body: { scheduleId, seatIds: seats.slice(0, seatIds.maxItems + 1) },
      });
      expect(res.status).toBe(400);
    });

    it('accepts valid email addresses that the documented pattern allows', async () => {
      const email = doc.components.schemas.SignupRequest.properties.email;
      // The browser's (WHATWG) pattern and no `format: email`: RFC 5322's would call a@localhost invalid (docs/security.md).
      expect(email.format).toBeUndefined();
      const pattern = new RegExp(email.pattern);
      // Valid addresses (WHATWG / RFC 5322 dot-atoms) that zod's default pattern refused.
      for (const [i, address] of ['o!brien#1@example.com', 'x{y}~z@xn--p1ai.example', `a${Date.now()}@localhost`, "o'neil+tag@sub-1.example.co"].entries()) {
        expect(pattern.test(address), address).toBe(true);
        const res = await ctx.request('POST', '/api/v1/auth/signup', { body: { email: address.replace('@', `${i}${Date.now() % 1e6}@`), password: 'long-enough-password', name: 'Valid Address' } });
        expect(res.status, `${address}: ${JSON.stringify(res.body)}`).toBe(201);
      }
      for (const address of ['no-at-sign.example', 'two@@example.com', 'a@-bad-.example']) {
        expect(pattern.test(address), address).toBe(false);
        expect((await ctx.request('POST', '/api/v1/auth/signup', { body: { email: address, password: 'long-enough-password', name: 'Invalid' } })).status, address).toBe(400);
      }
    });

    it('describes SSE messages: data is JSON text of a named schema, not any string', () => {
      for (const path of ['/api/v1/events/stream', '/api/v1/queue/tokens/current/stream']) {
        const schema = doc.paths[path].get.responses['200'].content['text/event-stream'].schema;
        const messages = (schema.oneOf ?? [schema]) as Array<{ properties: { event: unknown; data: { type: string; contentMediaType: string; contentSchema: unknown } } }>;
        for (const m of messages) {
          expect(m.properties.data.type, path).toBe('string');
          expect(m.properties.data.contentMediaType, path).toBe('application/json');
          expect(m.properties.data.contentSchema, path).toBeTruthy();
        }
      }
      const queueStatus = doc.paths['/api/v1/queue/tokens/current/stream'].get.responses['200'].content['text/event-stream'].schema.oneOf[0];
      expect(queueStatus.properties.event.const).toBe('status');
      expect(queueStatus.properties.data.contentSchema.$ref).toBe('#/components/schemas/QueueToken');
      expect(doc.components.schemas.QueueToken).toBeTruthy();
      const envelope = doc.paths['/api/v1/events/stream'].get.responses['200'].content['text/event-stream'].schema.oneOf[0].properties.data.contentSchema;
      expect(envelope.required).toEqual(expect.arrayContaining(['id', 'type', 'aggregateType', 'aggregateId', 'sequence', 'occurredAt', 'payload']));
    });
  });
});
