import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireAuth } from '../../src/identity/middleware.js';
import { createRouter } from '../../src/platform/http/app.js';
import { IdempotencyStore } from '../../src/platform/http/idempotency.js';
import { queueRoutes } from '../../src/queue/routes.js';
import { queueSettings } from '../../src/queue/schema.js';
import { createTestContext, eventually, type TestContext } from '../support/harness.js';
import { checkInvariants } from '../support/invariants.js';

/**
 * Cheap waiting (docs/queue.md, "Cheap waiting"): polls answered from the API process's snapshot of
 * the line with no Redis command, long polls told of a change at the next snapshot, joins that are
 * one Redis step. The in-process API's periodic work is stopped; each test refreshes the snapshot
 * itself, so what is counted is what a poll costs, not what the timers do.
 */
describe('waiting room: cheap polls and long polls', () => {
  let ctx: TestContext;
  const lines = () => ctx.services.queue.lines!;

  beforeAll(async () => {
    ctx = await createTestContext({ worker: false, env: { QUEUE_ENFORCED: 'true', QUEUE_SETTINGS_CACHE_MS: '60000', RATE_LIMIT_ENABLED: 'false', QUEUE_WAITER_GRACE_SECONDS: '3600' } });
    ctx.services.queue.stop();
  });
  afterAll(async () => {
    await ctx?.services.queue.service.flush();
    await ctx?.close();
  });

  const join = (token: string, scheduleId: number) => ctx.request('POST', '/api/v1/queue/tokens', { token, body: { scheduleId } });
  const poll = (token: string, queueToken: string, wait?: number) =>
    ctx.request('GET', `/api/v1/queue/tokens/current${wait ? `?wait=${wait}` : ''}`, { token, headers: { 'x-queue-token': queueToken } });
  const manual = async (maxActive: number, rate: number) => {
    const { scheduleId } = await ctx.createSchedule({ rows: 1, seatsPerRow: 2 });
    await ctx.db.insert(queueSettings).values({ scheduleId, mode: 'manual', maxActive, admitRatePerSec: rate });
    return scheduleId;
  };
  /** Counts the commands the API's Redis connection sends while `fn` runs. */
  const redisCommands = async (fn: () => Promise<void>) => {
    const client = ctx.redis as unknown as { sendCommand: (...a: unknown[]) => unknown };
    const send = client.sendCommand;
    let count = 0;
    client.sendCommand = function (this: unknown, ...a: unknown[]) {
      count += 1;
      return send.apply(this, a);
    };
    try {
      await fn();
    } finally {
      client.sendCommand = send;
    }
    return count;
  };

  it('answers a waiting poll with no Redis command, with exact positions, and writes last-seen in one batched step', async () => {
    const sid = await manual(1, 1000);
    const users = await Promise.all(Array.from({ length: 6 }, () => ctx.createUser()));
    const tokens: string[] = [];
    for (const u of users) tokens.push((await join(u.token, sid)).body.token);
    // The first poll registers the schedule with this process; the refresh reads its snapshot.
    await poll(users[1]!.token, tokens[1]!);
    await lines().refreshAll();

    const answers: Array<{ status: number; body: any }> = [];
    const commands = await redisCommands(async () => {
      for (let round = 0; round < 20; round++) for (let i = 1; i < users.length; i++) answers.push(await poll(users[i]!.token, tokens[i]!));
    });
    expect(commands).toBe(0);
    expect(answers.slice(0, 5).map((a) => [a.status, a.body.status, a.body.position])).toEqual([1, 2, 3, 4, 5].map((p) => [200, 'WAITING', p]));

    // The last-seen times of all of them go out in one script run, beside the one snapshot read.
    const refreshCommands = await redisCommands(() => lines().refreshAll());
    expect(refreshCommands).toBe(2);

    // A waiter who leaves from the middle moves everyone behind up, as the snapshot learns at its next refresh.
    await ctx.redis.zadd(`q:{${sid}}:seen`, 1, String(users[2]!.id)); // silent since the epoch
    await ctx.services.queue.service.tick(sid); // the sweep drops them (grace is an hour, the epoch is older)
    await lines().refreshAll();
    expect((await poll(users[3]!.token, tokens[3]!)).body.position).toBe(2);
    expect((await poll(users[5]!.token, tokens[5]!)).body.position).toBe(4);
    const dropped = await poll(users[2]!.token, tokens[2]!);
    expect([dropped.body.status, dropped.body.reason]).toEqual(['EXPIRED', 'DROPPED']);
    expect(await checkInvariants(ctx.pool)).toEqual([]);
  });

  it('tells a long poll of its admission, and every long poll of the sell-out, at the next snapshot (not at the end of the wait)', async () => {
    const sid = await manual(1, 1000);
    const users = await Promise.all(Array.from({ length: 5 }, () => ctx.createUser()));
    const tokens: string[] = [];
    for (const u of users) tokens.push((await join(u.token, sid)).body.token);
    await poll(users[1]!.token, tokens[1]!);
    await lines().refreshAll();
    lines().start(); // refreshes every QUEUE_SNAPSHOT_MS from here on

    const order: string[] = [];
    const waitSeconds = 25;
    const longPoll = (i: number) =>
      poll(users[i]!.token, tokens[i]!, waitSeconds).then((r) => {
        order.push(`answered ${i} ${r.body.status}${r.body.reason ? ` ${r.body.reason}` : ''}`);
        return r;
      });
    // Each long poll's own deadline, as a marker: if a long poll only answered when its wait ran out,
    // this marker would come first.
    const waitOver = setTimeout(() => order.push('wait over'), waitSeconds * 1000);
    try {
      const next = longPoll(1);
      const rest = [2, 3, 4].map(longPoll);
      // The first buyer finishes: the next waiter is admitted, and its long poll answers ACTIVE.
      await eventually(async () => lines().openWaiters === 4, 20_000, 20);
      order.push('completed 0');
      await ctx.services.queue.service.complete(users[0]!.id, sid);
      const admitted = await next;
      expect(admitted.body.status).toBe('ACTIVE');
      expect(admitted.body.token).not.toBe(tokens[1]); // an ACTIVE token carries no place in line any more
      // The sale ends (the worker's step on the last seat): every other long poll answers SOLD_OUT.
      order.push('sold out');
      await ctx.services.queue.service.endSale(sid, 'SOLD_OUT');
      const ended = await Promise.all(rest);
      expect(ended.map((r) => [r.status, r.body.status, r.body.reason])).toEqual([2, 3, 4].map(() => [200, 'EXPIRED', 'SOLD_OUT']));
    } finally {
      clearTimeout(waitOver);
      lines().stop();
    }
    expect(order).toEqual(['completed 0', 'answered 1 ACTIVE', 'sold out', 'answered 2 EXPIRED SOLD_OUT', 'answered 3 EXPIRED SOLD_OUT', 'answered 4 EXPIRED SOLD_OUT']);
    expect(lines().openWaiters).toBe(0);
    expect(await checkInvariants(ctx.pool)).toEqual([]);
  });

  it('answers a join from Redis alone (no MySQL read for an unseen user), and a repeated join keeps the first place', async () => {
    const sid = await manual(1, 1000);
    const [a, b, c] = [await ctx.createUser(), await ctx.createUser(), await ctx.createUser()];
    await join(a.token, sid); // warms this process's settings of the schedule
    // No cached token version for b and c: a join must not need one (that was a MySQL read per cold user).
    await ctx.redis.del(`tokver:${b.id}`, `tokver:${c.id}`);
    const jb = await join(b.token, sid);
    const jc = await join(c.token, sid);
    expect([jb.body.position, jc.body.position]).toEqual([1, 2]);
    // Reading the version from MySQL would have cached it here (identity/token-versions.ts).
    expect(await ctx.redis.exists(`tokver:${b.id}`, `tokver:${c.id}`)).toBe(0);
    const again = await join(b.token, sid);
    expect([again.body.token, again.body.position]).toEqual([jb.body.token, 1]);
    expect(await ctx.redis.zcard(`q:{${sid}}:wait`)).toBe(2);
  });

  it('sheds joins beyond the in-flight limit before any work (503 + Retry-After, no place taken), and the retry finds one place', async () => {
    const sid = await manual(1, 1000);
    // The queue's routes with a limit of 3 joins under way, on the real service.
    const app = createRouter();
    app.route('/', queueRoutes({ queue: ctx.services.queue.service, auth: requireAuth(ctx.services.tokens), sseIntervalMs: 1000, idempotency: new IdempotencyStore(ctx.db, 60), joinMaxInFlight: 3 }));
    const users = await Promise.all(Array.from({ length: 30 }, () => ctx.createUser()));
    const joinVia = async (token: string) => {
      const res = await app.request('/queue/tokens', { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ scheduleId: sid }) });
      return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as any };
    };
    const first = await Promise.all(users.map((u) => joinVia(u.token)));
    const served = first.filter((r) => r.status === 200);
    const shed = first.filter((r) => r.status === 503);
    expect(served.length + shed.length).toBe(30);
    expect(shed.length).toBeGreaterThan(0);
    expect(shed.every((r) => r.retryAfter === '2' && r.body.code === 'SERVICE_UNAVAILABLE')).toBe(true);
    // Shed before the work: only the served joins hold a place.
    const places = async () => (await ctx.redis.zcard(`q:{${sid}}:wait`)) + (await ctx.redis.zcard(`q:{${sid}}:active`));
    expect(await places()).toBe(served.length);
    // Everyone retries (one at a time, as Retry-After spreads them): one place each, the served keep theirs.
    const retried: Array<{ status: number; body: any }> = [];
    for (const u of users) retried.push(await joinVia(u.token));
    expect(retried.every((r) => r.status === 200)).toBe(true);
    first.forEach((r, i) => {
      if (r.status === 200) expect(retried[i]!.body.token).toBe(r.body.token);
    });
    expect(new Set(retried.map((r) => r.body.token)).size).toBe(30);
    expect(await places()).toBe(30);
    expect(await checkInvariants(ctx.pool)).toEqual([]);
  });
});
