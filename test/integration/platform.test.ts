import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApiApp } from '../../src/main/api-app.js';
import { domainDatabaseUrl } from '../../src/platform/db/domains.js';
import { createKafka } from '../../src/platform/kafka.js';
import { Metrics } from '../../src/platform/observability/metrics.js';
import { createRedis, redisClusterEnv } from '../../src/platform/redis.js';
import { createTestContext, eventually, type TestContext } from '../support/harness.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Health, readiness, metrics, request ids, and the processes' start-up and shutdown behaviour. */
describe('platform', () => {
  let ctx: TestContext;

  beforeAll(async () => {
    ctx = await createTestContext({ worker: false });
  });
  afterAll(async () => {
    await ctx?.close();
  });

  it('is alive and ready when every dependency answers', async () => {
    expect((await ctx.request('GET', '/healthz')).status).toBe(200);
    const ready = await ctx.request('GET', '/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body.checks).toEqual({ mysql: { status: 'up' }, mysql_payment: { status: 'up' }, mysql_webhooks: { status: 'up' }, mysql_waitlist: { status: 'up' }, mysql_identity: { status: 'up' }, mysql_events: { status: 'up' }, mysql_recommendations: { status: 'up' }, redis: { status: 'up' }, temporal: { status: 'up' }, kafka: { status: 'up' } });
  });

  it('says which dependency is down', async () => {
    // The same app wired to a Redis, a Temporal and a Kafka that do not exist (MySQL stays real).
    const deadRedis = createRedis('redis://127.0.0.1:1', 'x:');
    const deadTemporal = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1', connectTimeout: '1s' }) });
    const deadKafka = createKafka({ brokers: ['127.0.0.1:1'], clientId: 'dead' }).admin();
    const { app, services } = buildApiApp({ config: ctx.config, db: ctx.db, paymentDb: ctx.paymentDb, webhooksDb: ctx.webhooksDb, waitlistDb: ctx.waitlistDb, identityDb: ctx.identityDb, eventsDb: ctx.eventsDb, recommendationsDb: ctx.recommendationsDb, redis: deadRedis, temporal: deadTemporal, kafkaAdmin: deadKafka, log: pino({ level: 'silent' }), metrics: new Metrics('dead', false) });
    services.queue.stop();
    try {
      const res = await app.request('/readyz');
      expect(res.status).toBe(503);
      const body = (await res.json()) as { checks: Record<string, { status: string; error?: string }> };
      expect(body.checks.mysql!.status).toBe('up');
      for (const down of ['redis', 'temporal', 'kafka']) {
        expect(body.checks[down]!.status, down).toBe('down');
        expect(body.checks[down]!.error).toBeTruthy();
      }
    } finally {
      deadRedis.disconnect();
    }
  });

  it('measures requests by route template and status, and tags every answer with a request id', async () => {
    const { concertId } = await ctx.createSchedule();
    await ctx.request('GET', `/api/v1/concerts/${concertId}`);
    await ctx.request('GET', '/api/v1/concerts/999999');
    const metrics = await ctx.request('GET', '/metrics', { token: ctx.config.METRICS_TOKEN });
    expect(metrics.status).toBe(200);
    expect(metrics.body).toMatch(/http_request_duration_seconds_count\{[^}]*method="GET",route="\/api\/v1\/concerts\/:concertId",status="200"[^}]*\} 1/);
    expect(metrics.body).toMatch(/http_request_duration_seconds_count\{[^}]*method="GET",route="\/api\/v1\/concerts\/:concertId",status="404"[^}]*\} 1/);

    const generated = await ctx.request('GET', '/api/v1/concerts');
    expect(generated.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const kept = await ctx.request('GET', '/api/v1/nowhere', { headers: { 'x-request-id': 'trace-abc-123' } });
    expect(kept.headers.get('x-request-id')).toBe('trace-abc-123');
    expect(kept.status).toBe(404);
    expect(kept.headers.get('content-type')).toContain('application/problem+json');
    expect(kept.body).toMatchObject({ code: 'NOT_FOUND', requestId: 'trace-abc-123' });
  });

  it('serves the OpenAPI document and Swagger UI from the code', async () => {
    const doc = await ctx.request('GET', '/openapi.json');
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toBe('3.1.0');
    for (const path of ['/api/v1/reservations', '/api/v1/reservations/{reservationId}/payment', '/api/v1/concerts', '/api/v1/wallet/charges', '/api/v1/queue/tokens']) {
      expect(Object.keys(doc.body.paths)).toContain(path);
    }
    const ui = await ctx.request('GET', '/docs');
    expect(ui.status).toBe(200);
    expect(String(ui.body)).toContain('swagger');
  });

  it('refuses to start with invalid config, naming the variable', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main/api.ts'], { cwd: root, env: { ...process.env, API_PORT: 'eighty', HOLD_TTL_SECONDS: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => (output += d));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(1);
    expect(output).toMatch(/API_PORT/);
    expect(output).toMatch(/HOLD_TTL_SECONDS/);
    expect(output).not.toMatch(/at .*\.ts:\d+/); // a message, not a stack trace
  });

  it('drains and exits cleanly on SIGTERM (API process)', async () => {
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    const env = {
      ...process.env,
      API_PORT: String(port),
      MYSQL_URL: ctx.config.MYSQL_URL,
      // The login below reads identity's accounts in identity's own database.
      MYSQL_URL_IDENTITY: domainDatabaseUrl(ctx.config, 'identity'),
      REDIS_URL: ctx.config.REDIS_URL,
      REDIS_PREFIX: ctx.config.REDIS_PREFIX,
      ...redisClusterEnv(ctx.config),
      TEMPORAL_ADDRESS: ctx.config.TEMPORAL_ADDRESS,
      KAFKA_BROKERS: ctx.config.KAFKA_BROKERS.join(','),
      KAFKA_TOPIC_PREFIX: ctx.config.KAFKA_TOPIC_PREFIX,
      LOGIN_FAILURE_DELAY_MS: '5000', // a first failure then waits the 2 s cap
    };
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main/api.ts'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => (output += d));
    await eventually(async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).ok, 180_000, 250); // slow under load (tsx compiles at start), never wrong
    // A request in flight when the signal arrives still gets its answer: a failed login is slowed
    // down on purpose (LOGIN_FAILURE_DELAY_MS) after the server logs its security event, so once
    // that line is out the request is inside the server, and it is still unanswered.
    let answered = false;
    const inFlight = fetch(`http://127.0.0.1:${port}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'nobody@test.example', password: 'wrong-password' }),
    }).finally(() => (answered = true));
    await eventually(async () => output.includes('"securityEvent":"LOGIN_FAILED"'), 60_000, 10);
    expect(answered, 'the login was answered before SIGTERM: the test would prove nothing').toBe(false);
    child.kill('SIGTERM');
    expect((await inFlight).status).toBe(401);
    const code = await new Promise<number | null>((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.on('exit', resolve)));
    expect(code, output.slice(-3000)).toBe(0);
    const lines = output.trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { msg: string; level: string });
    expect(lines.map((l) => l.msg)).toEqual(expect.arrayContaining(['shutting down', 'stopped']));
  });
});
