import { describe, expect, it } from 'vitest';
import { bucketOf, decideAdmission, LATENCY_BUCKETS_MS, quantileMs, type BookingSignals } from '../../src/queue/admission-control.js';

const law = { minAdmitRate: 2, maxAdmitRate: 100, maxActiveCeiling: 500, targetP99Ms: 500 };
const quiet: BookingSignals = { holdP95Ms: 100, holdP99Ms: 150, payP99Ms: 200, samples: 100, overloads: 0, waiting: 1000, active: 20, seatsAvailable: 2000 };
const at = (admitRatePerSec: number) => ({ admitRatePerSec, maxActive: 500 });

describe('admission control law', () => {
  it('reads quantiles from bucketed histograms, never below the true value', () => {
    expect(bucketOf(0)).toBe(0);
    expect(bucketOf(10)).toBe(0);
    expect(bucketOf(11)).toBe(1);
    expect(bucketOf(99_999)).toBe(LATENCY_BUCKETS_MS.length);
    const counts = new Array(LATENCY_BUCKETS_MS.length + 1).fill(0);
    counts[bucketOf(40)] = 98; // 98 fast answers
    counts[bucketOf(700)] = 2; // 2 slow ones
    expect(quantileMs(counts, 0.95)).toBe(50);
    expect(quantileMs(counts, 0.99)).toBe(750);
    expect(quantileMs(new Array(5).fill(0), 0.99)).toBeNull();
  });

  it('raises the rate while the path is fast and people wait, and stops at the maximum', () => {
    const d = decideAdmission(at(10), quiet, law);
    expect(d.admitRatePerSec).toBe(15); // far under the target: +50%
    expect(d.maxActive).toBe(500);
    expect(d.changed).toBe(true);
    expect(d.reason).toMatch(/far under the 500 ms target/);
    const near = decideAdmission(at(10), { ...quiet, holdP99Ms: 350 }, law);
    expect(near.admitRatePerSec).toBe(12); // under 0.8x the target: additive step
    let v = at(10);
    for (let i = 0; i < 100; i++) v = decideAdmission(v, quiet, law);
    expect(v.admitRatePerSec).toBe(100);
    expect(decideAdmission(v, quiet, law).reason).toMatch(/maximum/);
  });

  it('cuts the rate in proportion to the overshoot, and halves it on overload answers', () => {
    const slow = decideAdmission(at(40), { ...quiet, holdP99Ms: 1000 }, law);
    expect(slow.admitRatePerSec).toBe(20); // target/p99 = 0.5
    expect(slow.reason).toMatch(/p99 1000 ms above the 500 ms target/);
    const bitSlow = decideAdmission(at(40), { ...quiet, payP99Ms: 550 }, law);
    expect(bitSlow.admitRatePerSec).toBe(34); // never gentler than 0.85x
    const overloaded = decideAdmission(at(40), { ...quiet, overloads: 3 }, law);
    expect(overloaded.admitRatePerSec).toBe(20);
    expect(decideAdmission(at(3), { ...quiet, overloads: 3 }, law).admitRatePerSec).toBe(2); // never under the minimum
  });

  it('holds near the target, when nobody waits, and when too few answers came back to judge', () => {
    expect(decideAdmission(at(40), { ...quiet, holdP99Ms: 450 }, law)).toMatchObject({ admitRatePerSec: 40, changed: false });
    expect(decideAdmission(at(40), { ...quiet, waiting: 0 }, law)).toMatchObject({ admitRatePerSec: 40, changed: false });
    // A stalled path answers nobody: silence must not raise the rate.
    expect(decideAdmission(at(40), { ...quiet, samples: 2, holdP99Ms: 3000 }, law)).toMatchObject({ admitRatePerSec: 40, reason: expect.stringMatching(/too few/) });
    expect(decideAdmission(at(40), { ...quiet, samples: 0, holdP99Ms: null, payP99Ms: null }, law).admitRatePerSec).toBe(40);
  });

  it('caps the active buyers by the admin ceiling and by the seats still available', () => {
    expect(decideAdmission(at(100), quiet, { ...law, maxActiveCeiling: 300 }).maxActive).toBe(300);
    const few = decideAdmission(at(40), { ...quiet, active: 30, seatsAvailable: 12 }, law);
    expect(few.maxActive).toBe(42);
    const none = decideAdmission(at(40), { ...quiet, active: 30, seatsAvailable: 0 }, law);
    expect(none.maxActive).toBe(30);
    expect(none.admitRatePerSec).toBe(40); // fast answers, but nothing to sell: no speeding up
    expect(none.reason).toMatch(/no seat AVAILABLE/);
  });
});
