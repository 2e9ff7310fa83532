/**
 * Admission that follows capacity, pure: no Redis, no clock. The controller (admission-controller.ts)
 * feeds it what the booking path did over the last few seconds and applies what it decides.
 *
 * The law is AIMD toward a latency target, the way TCP finds a link's capacity without knowing it:
 * - overload answers (503, Temporal timeouts) halve the rate at once;
 * - a p99 above the target cuts the rate in proportion (never below half, never above 0.85x);
 * - a p99 comfortably below the target raises the rate while people are waiting: by half when
 *   under half the target (finding the knee fast at the start of a sale), else by an additive step;
 *   with nobody waiting it stays put, so a quiet minute cannot wind the rate up to the maximum just
 *   before a rush;
 * - too few answers to judge, or a p99 near the target: it holds. Silence is not good news: a
 *   stalled path answers nobody.
 * The rate is what steers; the active cap only keeps the admin's ceiling and never lets in more
 * buyers than seats still AVAILABLE beyond the buyers already in: admitting someone with no seat
 * left to buy only earns them a refusal. (A cap that followed the rate would let a few admitted
 * buyers who never finish, say abandoned holds waiting out their TTL, shut the door at a low rate.)
 */

/** Upper bounds (ms) of the latency histogram's buckets; the last bucket is everything slower. */
export const LATENCY_BUCKETS_MS = [10, 20, 30, 50, 75, 100, 150, 200, 250, 300, 400, 500, 600, 750, 1000, 1250, 1500, 2000, 3000, 5000, 10_000] as const;

/** Index of the bucket a latency falls into (LATENCY_BUCKETS_MS.length = slower than all). */
export function bucketOf(ms: number): number {
  const i = LATENCY_BUCKETS_MS.findIndex((upper) => ms <= upper);
  return i === -1 ? LATENCY_BUCKETS_MS.length : i;
}

/**
 * The q-quantile (0..1) of a bucketed histogram, as its bucket's upper bound: conservative, never
 * below the true value. Slower than the last bucket counts as twice the last bound.
 */
export function quantileMs(counts: readonly number[], q: number): number | null {
  const total = counts.reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  const rank = Math.ceil(q * total);
  let seen = 0;
  for (let i = 0; i < counts.length; i++) {
    seen += counts[i] ?? 0;
    if (seen >= rank) return LATENCY_BUCKETS_MS[i] ?? LATENCY_BUCKETS_MS[LATENCY_BUCKETS_MS.length - 1]! * 2;
  }
  return LATENCY_BUCKETS_MS[LATENCY_BUCKETS_MS.length - 1]! * 2;
}

/** What the booking path did over the control window. */
export interface BookingSignals {
  holdP95Ms: number | null;
  holdP99Ms: number | null;
  payP99Ms: number | null;
  /** Hold and pay answers in the window. */
  samples: number;
  /** 503s and Temporal timeouts in the window. */
  overloads: number;
  waiting: number;
  active: number;
  /** Seats nobody holds or owns. */
  seatsAvailable: number;
}

export interface AdmissionValues {
  admitRatePerSec: number;
  maxActive: number;
}

export interface AdmissionLaw {
  minAdmitRate: number;
  maxAdmitRate: number;
  /** The admin's ceiling for ACTIVE users. */
  maxActiveCeiling: number;
  targetP99Ms: number;
  /** Fewer samples than this say nothing about latency (but overloads always count). */
  minSamples?: number;
}

export interface AdmissionDecision extends AdmissionValues {
  previous: AdmissionValues;
  /** Why: shown to admins, logged and carried by the change event. */
  reason: string;
  changed: boolean;
}

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

export function decideAdmission(current: AdmissionValues, s: BookingSignals, law: AdmissionLaw): AdmissionDecision {
  const { minAdmitRate: lo, maxAdmitRate: hi, targetP99Ms: target } = law;
  const minSamples = law.minSamples ?? 5;
  const worst = Math.max(s.holdP99Ms ?? 0, s.payP99Ms ?? 0);
  const rate0 = clamp(current.admitRatePerSec, lo, hi);
  let rate = rate0;
  let reason: string;
  if (s.overloads > 0) {
    rate = Math.floor(rate0 / 2);
    reason = `${s.overloads} overload answers (503 or Temporal timeout) in the window`;
  } else if (s.samples >= minSamples && worst > target) {
    rate = Math.floor(rate0 * clamp(target / worst, 0.5, 0.85));
    reason = `p99 ${worst} ms above the ${target} ms target`;
  } else if (s.seatsAvailable === 0) {
    // Nothing to sell right now (seats may come back from expiring holds): no reason to speed up.
    reason = 'no seat AVAILABLE: holding the rate';
  } else if (s.samples < minSamples) {
    // No answers can mean an idle path or a stalled one (slow answers have not come back yet):
    // only answers justify more admissions.
    reason = `${s.samples} answers in the window, too few to judge: holding`;
  } else if (s.waiting > 0 && worst <= target / 2) {
    rate = Math.max(rate0 + 2, Math.round(rate0 * 1.5));
    reason = `p99 ${worst} ms far under the ${target} ms target with ${s.waiting} waiting: stepping up`;
  } else if (s.waiting > 0 && worst <= target * 0.8) {
    rate = rate0 + Math.max(2, Math.round(rate0 / 10));
    reason = `p99 ${worst} ms under the ${target} ms target with ${s.waiting} waiting`;
  } else {
    reason = s.waiting > 0 ? `p99 ${worst} ms near the ${target} ms target: holding` : 'nobody waiting: holding';
  }
  if (rate > hi) reason += ` (held at the ${hi}/s maximum)`;
  if (rate < lo) reason += ` (held at the ${lo}/s minimum)`;
  rate = clamp(rate, lo, hi);

  const fromSeats = s.active + s.seatsAvailable;
  let maxActive = law.maxActiveCeiling;
  if (fromSeats < maxActive) {
    maxActive = fromSeats;
    reason += s.seatsAvailable === 0 ? '; no seat AVAILABLE: admitting nobody new' : `; ${s.seatsAvailable} seats AVAILABLE cap the active buyers`;
  }
  const changed = rate !== current.admitRatePerSec || maxActive !== current.maxActive;
  return { admitRatePerSec: rate, maxActive, previous: current, reason, changed };
}
