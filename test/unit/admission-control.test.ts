import { describe, expect, it } from 'vitest';
import { bucketOf, decideAdmission, LATENCY_BUCKETS_MS, quantileMs, type AdmissionState, type BookingSignals } from '../../src/queue/admission-control.js';

const law = { minAdmitRate: 2, maxAdmitRate: 100, maxActiveCeiling: 500, targetP99Ms: 1000 };
/** A window as the controller reads it: answers at the unloaded latency, plenty of them, people waiting. */
const quiet: BookingSignals = { holdP95Ms: 75, holdP99Ms: 100, payP99Ms: 100, meanMs: 50, inFlight: 2, samples: 100, overloads: 0, cpuBusy: 0.95, waiting: 1000, active: 20, seatsAvailable: 2000 };
const at = (admitRatePerSec: number, extra: Partial<AdmissionState> = {}): AdmissionState => ({ admitRatePerSec, maxActive: 500, ...extra });
/** The next round starts from what this one decided. */
const next = (d: ReturnType<typeof decideAdmission>): AdmissionState => ({
  admitRatePerSec: d.admitRatePerSec,
  maxActive: d.maxActive,
  steeredRate: d.steeredRate,
  unloadedMs: d.unloadedMs,
  queueingSeen: d.queueingSeen,
  calmRounds: d.calmRounds,
});

/**
 * A booking path as the controller sees it, without a clock: `capacity` hold and pay calls a second,
 * two calls per admitted buyer, reaching the path two rounds after admission. Latency stays near the
 * unloaded 50 ms until the path is busy, then climbs steeply (a several-server queue: a few processes
 * and cores), and a backlog builds once calls arrive faster than it serves them.
 */
function runPlant(capacity: number, rounds: number, start: AdmissionState, cpuBusy: (load: number) => number | null = () => 0.95) {
  const unloadedMs = 50;
  let state = start;
  let backlog = 0;
  const pipeline = [start.admitRatePerSec, start.admitRatePerSec];
  const out: Array<{ rate: number; servedPerSec: number; meanMs: number; p99Ms: number; changed: boolean; reason: string }> = [];
  for (let i = 0; i < rounds; i++) {
    const calls = 2 * pipeline.shift()!;
    backlog = Math.max(0, backlog + calls - capacity);
    const load = Math.min(calls / capacity, 0.99);
    const meanMs = unloadedMs * (1 + load ** 4 / (4 * (1 - load))) + (backlog / capacity) * 1000;
    const signals: BookingSignals = {
      ...quiet,
      meanMs,
      holdP95Ms: Math.round(meanMs * 2),
      holdP99Ms: Math.round(meanMs * 3),
      payP99Ms: Math.round(meanMs * 3),
      inFlight: (calls * meanMs) / 1000,
      samples: Math.round(calls * 3),
      cpuBusy: cpuBusy(load),
    };
    const d = decideAdmission(state, signals, law);
    out.push({ rate: d.admitRatePerSec, servedPerSec: Math.min(calls, capacity) / 2, meanMs, p99Ms: signals.holdP99Ms!, changed: d.changed, reason: d.reason });
    pipeline.push(d.admitRatePerSec);
    state = next(d);
  }
  return out;
}

describe('admission control law (concurrency against the unloaded latency)', () => {
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

  it('starts fast while answers come as fast as unloaded, and stops at the maximum', () => {
    let d = decideAdmission(at(10), quiet, law);
    // Gradient 1.5 (tolerance) plus the 10 % probe in the fast start: 18 % a round (30 % smoothing).
    expect(d.steeredRate).toBeCloseTo(11.8, 5);
    expect(d).toMatchObject({ admitRatePerSec: 12, changed: true, queueingSeen: false, unloadedMs: 50 });
    expect(d.reason).toMatch(/mean 50 ms against 50 ms unloaded \(gradient 1\.50\), p99 100 ms under the 1000 ms target/);
    for (let i = 0; i < 60; i++) d = decideAdmission(next(d), quiet, law);
    expect(d.admitRatePerSec).toBe(100);
    expect(d.reason).toMatch(/maximum/);
  });

  it('settles just under the knee with no sawtooth, and says nothing while settled', () => {
    for (const capacity of [40, 80]) {
      const rounds = runPlant(capacity, 160, at(5));
      const settled = rounds.slice(80);
      const rates = settled.map((r) => r.rate);
      const mean = rates.reduce((a, b) => a + b, 0) / rates.length;
      // Uses the path: at least 80 % of what it can serve (capacity / 2 calls per buyer).
      expect(mean, `capacity ${capacity}: ${rates.join(' ')}`).toBeGreaterThanOrEqual(0.8 * (capacity / 2));
      expect(Math.max(...rates)).toBeLessThanOrEqual(capacity / 2);
      // No sawtooth: the rate stays within a quarter of its mean (the AIMD it replaces swung 6-48/s),
      // latency within the target.
      expect(Math.max(...rates) - Math.min(...rates), rates.join(' ')).toBeLessThanOrEqual(0.25 * mean);
      for (const r of settled) expect(r.p99Ms).toBeLessThan(law.targetP99Ms);
      // A decision is an event and a log line only when it changes the rate in force: at most one
      // round in three once settled (the AIMD logged every round).
      expect(settled.filter((r) => r.changed).length, `capacity ${capacity}`).toBeLessThanOrEqual(settled.length / 3);
    }
  });

  it('probes faster while the machine has idle CPU', () => {
    const settledBusy = next(decideAdmission(at(20, { unloadedMs: 50, queueingSeen: true }), quiet, law));
    const busy = decideAdmission(settledBusy, { ...quiet, cpuBusy: 0.97 }, law);
    const idle = decideAdmission(settledBusy, { ...quiet, cpuBusy: 0.5 }, law);
    expect(idle.steeredRate / settledBusy.steeredRate!).toBeCloseTo(1 + 0.2 * 0.3, 5);
    expect(busy.steeredRate / settledBusy.steeredRate!).toBeCloseTo(1 + 0.1 * 0.3, 5);
    expect(idle.reason).toMatch(/CPU 50 % busy: probing faster/);
  });

  it('backs off in proportion to queueing: the gradient of the unloaded latency to the mean', () => {
    // Recorded windows of one rush after its fast start: mean latency climbing as requests queue.
    const windows = [
      { meanMs: 60, inFlight: 3 },
      { meanMs: 90, inFlight: 4.5 },
      { meanMs: 150, inFlight: 7.5 },
      { meanMs: 300, inFlight: 15 },
    ];
    let s: AdmissionState = at(40, { unloadedMs: 50, queueingSeen: true, steeredRate: 40 });
    const steered: number[] = [];
    for (const w of windows) {
      const d = decideAdmission(s, { ...quiet, ...w, holdP99Ms: w.meanMs * 3, payP99Ms: w.meanMs * 3 }, law);
      steered.push(d.steeredRate);
      s = next(d);
    }
    // 60 ms is within the tolerance (1.5 x 50): probe up; 90 ms: gradient 0.83; 300 ms: 0.5 at most.
    expect(steered[0]).toBeGreaterThan(40);
    expect(steered[1]).toBeLessThan(steered[0]!);
    expect(steered[2]! / steered[1]!).toBeCloseTo(1 + (75 / 150 + 0.1 - 1) * 0.3, 2);
    expect(steered[3]! / steered[2]!).toBeCloseTo(1 + (0.5 + 0.1 - 1) * 0.3, 5);
    // The unloaded latency does not follow the load up (0.5 % a round at most), and drops at once.
    expect(s.unloadedMs).toBeCloseTo(50 * 1.005 ** 4, 5);
    expect(decideAdmission(s, { ...quiet, meanMs: 30 }, law).unloadedMs).toBe(30);
  });

  it('brakes on a p99 over the target and on overload answers, and ends the fast start', () => {
    const slow = decideAdmission(at(40), { ...quiet, meanMs: 400, holdP99Ms: 2000 }, law);
    expect(slow).toMatchObject({ admitRatePerSec: 24, braked: true, queueingSeen: true }); // target / p99 = 0.5, never under 0.6x
    expect(slow.reason).toMatch(/p99 2000 ms above the 1000 ms target/);
    expect(decideAdmission(at(40), { ...quiet, payP99Ms: 1100 }, law).admitRatePerSec).toBe(36); // never gentler than 0.9x
    const overloaded = decideAdmission(at(40), { ...quiet, overloads: 3 }, law);
    expect(overloaded).toMatchObject({ admitRatePerSec: 30, braked: true });
    expect(decideAdmission(at(2), { ...quiet, overloads: 3 }, law).admitRatePerSec).toBe(2); // never under the minimum
  });

  it('climbs back fast after a brake once answers stay as fast as unloaded for 20 rounds', () => {
    let s = next(decideAdmission(at(40, { unloadedMs: 50 }), { ...quiet, meanMs: 1500, holdP99Ms: 5000 }, law));
    for (let i = 0; i < 5; i++) s = next(decideAdmission(s, { ...quiet, meanMs: 1500, holdP99Ms: 5000 }, law));
    expect(s).toMatchObject({ admitRatePerSec: 2, queueingSeen: true });
    const rates: number[] = [];
    for (let i = 0; i < 45; i++) {
      const d = decideAdmission(s, quiet, law);
      rates.push(d.admitRatePerSec);
      s = next(d);
    }
    // 3 % a round while the brake's queueing is recent, then 18 % a round: at the maximum within 45 rounds.
    expect(rates[18]).toBeLessThan(4);
    expect(rates[44], rates.join(" ")).toBe(100);
  });

  it('holds when nobody waits (and the next rush starts fast), when too few answers came back, and with nothing to sell', () => {
    const idle = decideAdmission(at(40, { queueingSeen: true }), { ...quiet, waiting: 0 }, law);
    expect(idle).toMatchObject({ admitRatePerSec: 40, changed: false, queueingSeen: false });
    // A stalled path answers nobody: silence must not raise the rate.
    expect(decideAdmission(at(40), { ...quiet, samples: 2, holdP99Ms: 3000 }, law)).toMatchObject({ admitRatePerSec: 40, reason: expect.stringMatching(/too few/) });
    expect(decideAdmission(at(40), { ...quiet, samples: 0, meanMs: null, inFlight: 0, holdP99Ms: null, payP99Ms: null }, law).admitRatePerSec).toBe(40);
    const none = decideAdmission(at(40), { ...quiet, active: 30, seatsAvailable: 0 }, law);
    expect(none).toMatchObject({ admitRatePerSec: 40, maxActive: 30 });
    expect(none.reason).toMatch(/no seat AVAILABLE/);
  });

  it('moves the rate in force only when the steered rate drifted 5 % (and 1/s) from it', () => {
    // Settled at 20/s: each round steers 3 % up; the rate in force follows once it is 1/s away.
    let s: AdmissionState = at(20, { unloadedMs: 50, queueingSeen: true, steeredRate: 20 });
    const seen: Array<[number, boolean]> = [];
    for (let i = 0; i < 4; i++) {
      const d = decideAdmission(s, quiet, law);
      seen.push([d.admitRatePerSec, d.changed]);
      s = next(d);
    }
    expect(seen).toEqual([
      [20, false],
      [21, true],
      [21, false],
      [23, true],
    ]);
  });

  it('caps the active buyers by the admin ceiling and by the seats still available', () => {
    expect(decideAdmission(at(100), quiet, { ...law, maxActiveCeiling: 300 }).maxActive).toBe(300);
    const few = decideAdmission(at(40), { ...quiet, active: 30, seatsAvailable: 12 }, law);
    expect(few.maxActive).toBe(42);
  });
});
