import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseToken } from '../../src/queue/domain.js';
import { queueSettings } from '../../src/queue/schema.js';
import { createTestContext, eventually, type TestContext } from '../support/harness.js';
import { checkInvariants } from '../support/invariants.js';

/** Blocks this process's event loop: what a process that gets a tenth of a core does to its requests. */
function starve(ms: number) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    // busy: no timer, no socket, no promise runs meanwhile
  }
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const REQUEST_DEADLINE_MS = 3_000;
const JOIN_DEADLINE_MS = 5_000;

/**
 * The waiting room on a starved API process (issue 21; docs/capacity.md, the two defects the
 * 20,000-waiter runs found). The event loop is blocked on purpose, so the test decides what the
 * process goes through instead of hoping the machine is slow. Requests go to the in-process app
 * (`app.request` runs the middleware up to the first await at once, so their deadline clocks start
 * when the test sends them). Short deadlines keep it quick; what is asserted is what was answered.
 */
describe('waiting room on a starved process', () => {
  let ctx: TestContext;

  beforeAll(async () => {
    ctx = await createTestContext({
      worker: false,
      env: { REQUEST_DEADLINE_MS: String(REQUEST_DEADLINE_MS), QUEUE_JOIN_DEADLINE_MS: String(JOIN_DEADLINE_MS), QUEUE_WAITER_GRACE_SECONDS: '3600', QUEUE_SETTINGS_CACHE_MS: '60000', RATE_LIMIT_ENABLED: 'false' },
    });
  });
  afterAll(async () => {
    await ctx?.close();
  });

  /** A schedule whose line admits one buyer, who keeps the place: everyone else waits. */
  const lineOfOne = async () => {
    const { scheduleId } = await ctx.createSchedule({ rows: 1, seatsPerRow: 2 });
    await ctx.db.insert(queueSettings).values({ scheduleId, mode: 'manual', maxActive: 1, admitRatePerSec: 1 });
    // Read once now and kept (QUEUE_SETTINGS_CACHE_MS): a slow MySQL read on a busy machine is not what is tested.
    await ctx.services.queue.settings.get(scheduleId);
    return scheduleId;
  };
  const users = (n: number) => Promise.all(Array.from({ length: n }, () => ctx.createUser()));
  /** Sent at once: the request is inside the app (deadline running) when this returns. */
  const sendJoin = (user: { token: string }, scheduleId: number) =>
    ctx.app.request('/api/v1/queue/tokens', { method: 'POST', headers: { authorization: `Bearer ${user.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ scheduleId }) });
  const places = async (scheduleId: number) => (await ctx.redis.zcard(`q:{${scheduleId}}:active`)) + (await ctx.redis.zcard(`q:{${scheduleId}}:wait`));
  type View = { token: string; status: string; position: number | null };

  it('long polls that end together on a starved process are all answered 200 with their place, not 503', async () => {
    const scheduleId = await lineOfOne();
    const waiters = await users(120);
    const joined: Array<{ user: { token: string }; view: View }> = [];
    for (let i = 0; i < waiters.length; i += 20) {
      const batch = await Promise.all(waiters.slice(i, i + 20).map((user) => ctx.request('POST', '/api/v1/queue/tokens', { token: user.token, body: { scheduleId } })));
      batch.forEach((r, j) => joined.push({ user: waiters[i + j]!, view: r.body as View }));
    }
    expect(joined.map((j) => j.view.status).filter((s) => s !== 'WAITING')).toEqual(['ACTIVE']);
    const waiting = joined.filter((j) => j.view.status === 'WAITING');

    const polls = waiting.map(({ user, view }) => ctx.app.request('/api/v1/queue/tokens/current?wait=2', { headers: { authorization: `Bearer ${user.token}`, 'x-queue-token': view.token } }));
    // Starved between reading the long polls and running their handlers, longer than the request
    // deadline (their deadline clocks run; a handler then starts late, its wait still ahead)...
    starve(REQUEST_DEADLINE_MS + 2_500);
    await sleep(1_000);
    // ...and again as their 2 s waits end together: a process answering thousands at once.
    starve(3_000);
    const answers = await Promise.all(polls);
    const bodies = (await Promise.all(answers.map((r) => r.json()))) as View[];
    expect(answers.filter((r) => r.status !== 200).map((r) => r.status)).toEqual([]);
    // Each is the waiter's own place, still waiting (the one active buyer keeps the only place).
    expect(bodies.map((b) => b.status)).toEqual(waiting.map(() => 'WAITING'));
    expect(bodies.map((b) => b.position)).toEqual(waiting.map((w) => w.view.position));
  });

  it('a join that started its Redis step is answered with its place however late; one the process cannot start in time is shed at entry and changes nothing', async () => {
    const scheduleId = await lineOfOne();
    const [early, late] = [await users(60), await users(20)];
    // A gate after the join's Redis step: the place exists, the answer waits (a process too busy to send it).
    const store = ctx.services.queue.store;
    const run = store.run.bind(store);
    let gated = 0;
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    store.run = (async (op, s, args) => {
      const r = await run(op, s, args);
      if (op === 'join' && s.scheduleId === scheduleId) {
        gated += 1;
        await gate;
      }
      return r;
    }) as typeof store.run;
    let first: Response[];
    let shed: Response[];
    try {
      const sent = early.map((u) => sendJoin(u, scheduleId));
      await eventually(async () => gated === early.length, 60_000, 20);
      expect(await places(scheduleId)).toBe(early.length);
      // Starved past the join deadline: every early join is now older than its deadline.
      starve(JOIN_DEADLINE_MS + 500);
      await sleep(200);
      // 60 joins under way, none completed for longer than the deadline: a new join would not start in
      // time, so it is shed at entry (503 + Retry-After) before any work.
      shed = await Promise.all(late.map((u) => sendJoin(u, scheduleId)));
      expect(gated).toBe(early.length);
      expect(await places(scheduleId)).toBe(early.length);
      open();
      first = await Promise.all(sent);
    } finally {
      store.run = run;
      open();
    }
    // No join was answered 503 after its place was created: each early joiner hears its place.
    expect(first.filter((r) => r.status !== 200).map((r) => r.status)).toEqual([]);
    const firstViews = (await Promise.all(first.map((r) => r.json()))) as View[];
    expect(firstViews.filter((v) => v.status === 'ACTIVE')).toHaveLength(1);
    expect(new Set(firstViews.map((v) => v.position)).size).toBe(early.length); // one place each (ACTIVE's null included)
    for (const r of shed) {
      expect([r.status, r.headers.get('content-type')]).toEqual([503, 'application/problem+json']);
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    }
    // A retried join keeps the first place (same token id, same position).
    const retried = await Promise.all(early.slice(0, 10).map((u) => ctx.request('POST', '/api/v1/queue/tokens', { token: u.token, body: { scheduleId } })));
    expect(retried.map((r) => r.status)).toEqual(retried.map(() => 200));
    expect(retried.map((r) => [parseToken((r.body as View).token)?.claims.tokenId, (r.body as View).position])).toEqual(firstViews.slice(0, 10).map((v) => [parseToken(v.token)?.claims.tokenId, v.position]));
    // The shed joiners retry when told to, and each gets one place.
    const again = await Promise.all(late.map((u) => ctx.request('POST', '/api/v1/queue/tokens', { token: u.token, body: { scheduleId } })));
    expect(again.map((r) => r.status)).toEqual(late.map(() => 200));
    expect(await places(scheduleId)).toBe(early.length + late.length);
    expect(await checkInvariants(ctx.pool)).toEqual([]);
  });
});
