import { describe, expect, it } from 'vitest';
import { DependencyTimeoutError } from '../../src/platform/dependency-errors.js';
import type { Redis } from '../../src/platform/redis.js';
import type { QueueSettings } from '../../src/queue/domain.js';
import { RedisQueueStore } from '../../src/queue/redis-store.js';

// A join whose Redis script never replies (Redis cut off by a partition: the connection hangs,
// nothing is reset) must end, in 503 (DependencyTimeoutError), once joinReplyDeadlineMs has passed.
// Chaos's redis-partition fault found joins hanging for the whole partition. Only the reply is
// bounded: queue-starved.test.ts holds a join up after its reply and expects its place, however late.
const settings: QueueSettings = {
  scheduleId: 1,
  mode: 'manual',
  maxActive: 10,
  admitRatePerSec: 1,
  auto: { minAdmitRate: 1, maxAdmitRate: 10, targetP99Ms: 500 },
  opensAtMs: 0,
  closesAtMs: Number.MAX_SAFE_INTEGER,
  cancelled: false,
};

/** A Redis whose scripts are sent and never answered; other commands answer at once. */
function silentRedis() {
  const sent: string[] = [];
  const redis = {
    queueOp: () => (sent.push('queueOp'), new Promise(() => {})),
    zadd: async () => 1,
  };
  return { redis: redis as unknown as Redis, sent };
}

describe('a join whose Redis reply never comes', () => {
  it('ends with a dependency timeout after joinReplyDeadlineMs', async () => {
    const { redis, sent } = silentRedis();
    const store = new RedisQueueStore(redis, { activeTtlMs: 60_000, graceMs: 60_000, joinReplyDeadlineMs: 50 });
    await expect(store.run('join', settings, { userId: 7, tokenId: 't' })).rejects.toBeInstanceOf(DependencyTimeoutError);
    expect(sent).toEqual(['queueOp']);
  });

  it('waits as long as Redis takes when the deadline is 0 (unbounded), and bounds no other step', async () => {
    const { redis } = silentRedis();
    const store = new RedisQueueStore(redis, { activeTtlMs: 60_000, graceMs: 60_000, joinReplyDeadlineMs: 0 });
    const bounded = new RedisQueueStore(redis, { activeTtlMs: 60_000, graceMs: 60_000, joinReplyDeadlineMs: 50 });
    const outcome = (p: Promise<unknown>) => Promise.race([p.then(() => 'answered', () => 'failed'), new Promise((r) => setTimeout(() => r('still waiting'), 200))]);
    expect(await outcome(store.run('join', settings, { userId: 7, tokenId: 't' }))).toBe('still waiting');
    // A tick's script reports admissions that must be recorded: it is not cut (the driver's next tick waits for it).
    expect(await outcome(bounded.run('tick', settings))).toBe('still waiting');
  });
});
