import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RateLimiter, rateLimit } from '../../src/platform/http/rate-limit.js';
import { createRedis } from '../../src/platform/redis.js';
import { createTestContext, type TestContext } from '../support/harness.js';

/** Rate limits per IP and per user (Redis sliding window), with low limits set through the env. */
describe('security: rate limits', () => {
  let ctx: TestContext;

  beforeAll(async () => {
    ctx = await createTestContext({
      worker: false,
      env: {
        TRUST_PROXY_HOPS: '1',
        RATE_LIMIT_AUTH_PER_IP: '3',
        RATE_LIMIT_BOOKING_PER_USER: '3',
        RATE_LIMIT_QUEUE_PER_USER: '2',
        LOGIN_FAILURE_DELAY_MS: '0',
        LOGIN_MAX_FAILURES: '100',
      },
    });
  });
  afterAll(async () => {
    await ctx?.close();
  });

  const login = (ip: string) => ctx.request('POST', '/api/v1/auth/login', { body: { email: 'nobody@test.example', password: 'wrong-password' }, headers: { 'x-forwarded-for': ip } });

  it('limits auth routes per client IP with 429, Retry-After and problem+json', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await login('198.51.100.1')).status);
    expect(statuses).toEqual([401, 401, 401]);
    const limited = await login('198.51.100.1');
    expect(limited.status).toBe(429);
    expect(limited.body.code).toBe('RATE_LIMITED');
    expect(limited.headers.get('content-type')).toContain('application/problem+json');
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(120);
    // Another client is not affected; a spoofed left-most X-Forwarded-For entry does not help.
    expect((await login('198.51.100.2')).status).toBe(401);
    expect((await login('10.9.9.9, 198.51.100.1')).status).toBe(429);
    // Signup shares the auth budget of the IP.
    const signup = await ctx.request('POST', '/api/v1/auth/signup', { body: { email: 'rl@test.example', password: 'correct-horse-battery', name: 'R' }, headers: { 'x-forwarded-for': '198.51.100.1' } });
    expect(signup.status).toBe(429);
  });

  it('limits booking routes per user, whatever the IP', async () => {
    const a = await ctx.createUser();
    const b = await ctx.createUser();
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await ctx.request('GET', '/api/v1/wallet', { token: a.token, headers: { 'x-forwarded-for': `192.0.2.${i + 1}` } })).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const hold = await ctx.request('POST', '/api/v1/reservations', { token: a.token, body: { scheduleId: 1, seatIds: [1] } });
    expect(hold.status).toBe(429);
    expect((await ctx.request('GET', '/api/v1/wallet', { token: b.token })).status).toBe(200);
    // Each request is decided once, under the rule's name (the wallet and reservations routers share 'booking').
    const decided = await ctx.metrics.registry.getSingleMetric('rate_limit_decisions_total')!.get();
    const count = (rule: string, outcome: string) => decided.values.find((v) => v.labels.rule === rule && v.labels.outcome === outcome)?.value ?? 0;
    expect([count('booking', 'allowed'), count('booking', 'refused')]).toEqual([4, 2]);
  });

  it('limits queue routes per user (covers routes mounted by the queue capability)', async () => {
    const u = await ctx.createUser();
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await ctx.request('GET', '/api/v1/queue/tokens/current', { token: u.token, headers: { 'x-queue-token': 'x'.repeat(20) } })).status);
    expect(statuses[2]).toBe(429);
    expect(statuses.slice(0, 2).every((s) => s !== 429)).toBe(true);
  });

  it('leaves catalog reads alone', async () => {
    for (let i = 0; i < 6; i++) expect((await ctx.request('GET', '/api/v1/concerts', { headers: { 'x-forwarded-for': '198.51.100.1' } })).status).toBe(200);
  });

  it('slides: a refused subject is admitted again after Retry-After', async () => {
    const limiter = new RateLimiter(ctx.redis);
    const hits: Awaited<ReturnType<RateLimiter['hit']>>[] = [];
    for (let i = 0; i < 3; i++) hits.push(await limiter.hit('test:slide', 2, 1000));
    expect(hits.map((h) => h.allowed)).toEqual([true, true, false]);
    expect(hits[2]!.retryAfterMs).toBeGreaterThan(0);
    expect(hits[2]!.retryAfterMs).toBeLessThanOrEqual(2000);
    await new Promise((r) => setTimeout(r, hits[2]!.retryAfterMs + 50));
    expect((await limiter.hit('test:slide', 2, 1000)).allowed).toBe(true);
  });

  it('weighs the previous window: a subject that filled it is still refused early in the next one', async () => {
    const limiter = new RateLimiter(ctx.redis);
    const windowMs = 4_000;
    // Start at the beginning of a window (Redis time, as the script uses), fill it, then hit again
    // just after the next window starts: the current window is empty, so only the previous
    // window's weighted count can refuse it.
    const redisNow = async () => {
      const [sec, usec] = await ctx.redis.time();
      return Number(sec) * 1000 + Math.floor(Number(usec) / 1000);
    };
    const toNextWindow = async () => {
      const now = await redisNow();
      await new Promise((r) => setTimeout(r, windowMs - (now % windowMs) + 50));
    };
    await toNextWindow();
    expect((await limiter.hit('test:prev', 2, windowMs)).allowed).toBe(true);
    expect((await limiter.hit('test:prev', 2, windowMs)).allowed).toBe(true);
    await toNextWindow();
    const elapsed = (await redisNow()) % windowMs;
    const refused = await limiter.hit('test:prev', 2, windowMs);
    expect(elapsed).toBeLessThan(windowMs / 2); // else the weighted count would have dropped below 1
    expect(refused.allowed).toBe(false);
    // The previous-window branch's Retry-After: when the weighted count falls to limit - 1 (half the
    // window here), not at the end of the window.
    expect(refused.retryAfterMs).toBeLessThanOrEqual(windowMs / 2);
    await new Promise((r) => setTimeout(r, refused.retryAfterMs + 50));
    expect((await limiter.hit('test:prev', 2, windowMs)).allowed).toBe(true);
  });

  it('fails open when Redis is unreachable (documented in rate-limit.ts and docs/security.md)', async () => {
    // A limiter on a Redis that refuses connections: ioredis gives up after maxRetriesPerRequest.
    const down = createRedis('redis://127.0.0.1:1', 'down:');
    const limited = (limiter: RateLimiter) =>
      new Hono()
        .use(rateLimit({ limiter, rule: { name: 'probe', perIp: 1 }, windowMs: 60_000, clientIp: () => '203.0.113.9', identify: async () => null }))
        .get('/', (c) => c.text('ok'))
        .onError((err, c) => c.text(String((err as { code?: string }).code), 429));
    try {
      const open = limited(new RateLimiter(down));
      expect((await open.request('/')).status).toBe(200);
      expect((await open.request('/')).status).toBe(200); // over the limit of 1, yet allowed: no Redis, no limit
    } finally {
      down.disconnect();
    }
    // The same middleware with Redis up does limit (so the 200s above are the fail-open path).
    const up = limited(new RateLimiter(ctx.redis));
    expect((await up.request('/')).status).toBe(200);
    const second = await up.request('/');
    expect([second.status, await second.text()]).toEqual([429, 'RATE_LIMITED']);
  });
});

/** Per-IP budgets of the booking and queue groups (many users behind one address). */
describe('security: per-IP rate limits', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext({ worker: false, env: { TRUST_PROXY_HOPS: '1', RATE_LIMIT_BOOKING_PER_IP: '3', RATE_LIMIT_QUEUE_PER_IP: '2' } });
  });
  afterAll(async () => {
    await ctx?.close();
  });

  it('limits booking routes per IP across users, and queue routes per IP', async () => {
    const users = await Promise.all(Array.from({ length: 4 }, () => ctx.createUser()));
    const wallet = (token: string, ip: string) => ctx.request('GET', '/api/v1/wallet', { token, headers: { 'x-forwarded-for': ip } });
    const statuses: number[] = [];
    for (const u of users) statuses.push((await wallet(u.token, '198.51.100.77')).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    expect((await wallet(users[3]!.token, '198.51.100.78')).status).toBe(200); // another address has its own budget

    const current = (token: string, ip: string) => ctx.request('GET', '/api/v1/queue/tokens/current', { token, headers: { 'x-queue-token': 'x'.repeat(20), 'x-forwarded-for': ip } });
    const queue: number[] = [];
    for (const u of users.slice(0, 3)) queue.push((await current(u.token, '198.51.100.90')).status);
    expect(queue[2]).toBe(429);
    expect(queue.slice(0, 2).every((s) => s !== 429)).toBe(true);
  });
});
