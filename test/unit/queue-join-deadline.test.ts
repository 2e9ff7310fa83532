import { describe, expect, it } from 'vitest';
import { DependencyTimeoutError } from '../../src/platform/dependency-errors.js';
import { QueueService } from '../../src/queue/service.js';
import type { QueueSettings } from '../../src/queue/domain.js';

// A join whose Redis step never answers (Redis cut off by a partition: the connection hangs, nothing
// is reset) must end, in 503 (DependencyTimeoutError), once joinStepDeadlineMs has passed. Chaos's
// redis-partition fault found joins hanging for the whole partition.
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

function serviceWithSilentRedis(joinStepDeadlineMs: number) {
  let started = 0;
  const service = new QueueService({
    store: { run: () => ((started += 1), new Promise(() => {})) } as never,
    settings: { get: async () => settings } as never,
    signer: {} as never,
    events: {} as never,
    metrics: {} as never,
    activeTtlSeconds: 60,
    joinStepDeadlineMs,
  });
  return { service, started: () => started };
}

describe('a join whose Redis step hangs', () => {
  it('ends with a dependency timeout after joinStepDeadlineMs, not when Redis answers', async () => {
    const { service, started } = serviceWithSilentRedis(50);
    const marks: string[] = [];
    await expect(service.join(7, 1, () => marks.push('starting'))).rejects.toBeInstanceOf(DependencyTimeoutError);
    expect(marks).toEqual(['starting']);
    expect(started()).toBe(1);
  });

  it('waits for as long as the step takes when the deadline is 0 (unbounded)', async () => {
    const { service } = serviceWithSilentRedis(0);
    const outcome = await Promise.race([service.join(7, 1).then(() => 'answered', () => 'failed'), new Promise((r) => setTimeout(() => r('still waiting'), 200))]);
    expect(outcome).toBe('still waiting');
  });
});
