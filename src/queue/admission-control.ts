/**
 * Admission that follows capacity, pure: no Redis, no clock. The controller (admission-controller.ts)
 * feeds it what the booking path did over the last few seconds and applies what it decides.
 *
 * The law limits concurrency, not a rate against a fixed p99 (the AIMD it replaces sawed: it found
 * the knee by overshooting it every 10-15 s). It is Gradient2's, as Netflix's concurrency-limits
 * and Envoy's adaptive concurrency filter run it, applied to the holds and payments under way:
 * - the path's own unloaded latency is measured (the lowest window mean seen, drifting up 0.5 % a
 *   round so a machine that got busier for good is not read as queueing forever);
 * - gradient = tolerance x unloaded / mean latency now, between 0.5 and 1: 1 while answers are as
 *   fast as the path can be, less as requests queue inside the processes;
 * - limit = requests under way x gradient + a probe of 10 %, so it settles where the queueing just
 *   balances the probe instead of sawing. The limit is not a gate here (admissions are), so it is
 *   recomputed each round from the concurrency measured (Little's law: the holds and payments under
 *   way are their summed answer time over the window);
 * - the admission rate follows the limit: at a steady latency, requests under way scale with the
 *   request rate, which follows the admission rate; it moves half-way each round, since admitted
 *   buyers reach the path a round or two later;
 * - idle CPU (the machine less than 85 % busy) doubles the probe: latency alone is slow to say
 *   that cores are free;
 * - the p99 target stays as a brake (a p99 above it cuts the limit in proportion), and overload
 *   answers (503, Temporal timeouts) cut it by a quarter;
 * - too few answers to judge, nobody waiting, or nothing to sell: it holds. Silence is not good
 *   news: a stalled path answers nobody.
 * A new rate is applied only when it moves by at least 5 % (and 1/s): each applied change is an event
 * and a log line, so the small corrections of a settled controller change nothing and say nothing.
 * The active cap only keeps the admin's ceiling and never lets in more buyers than seats still
 * AVAILABLE beyond the buyers already in: admitting someone with no seat left to buy only earns
 * them a refusal. (A cap that followed the rate would let a few admitted buyers who never finish,
 * say abandoned holds waiting out their TTL, shut the door at a low rate.)
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

/** The booking path's answers over the control window, as the admission store sums them. */
export interface LatencyWindow {
  holdP95Ms: number | null;
  holdP99Ms: number | null;
  payP99Ms: number | null;
  /** Mean answer time of the holds and payments in the window (ms). */
  meanMs: number | null;
  /** Holds and payments under way on average over the window (Little's law: their summed answer time / the window). */
  inFlight: number;
  /** Hold and pay answers in the window. */
  samples: number;
  /** 503s and Temporal timeouts in the window. */
  overloads: number;
}

/** What the booking path did over the control window, and the room around it. */
export interface BookingSignals extends LatencyWindow {
  /** Share of the machine's CPU that was busy (0-1); null when not measured. */
  cpuBusy: number | null;
  waiting: number;
  active: number;
  /** Seats nobody holds or owns. */
  seatsAvailable: number;
}

export interface AdmissionValues {
  admitRatePerSec: number;
  maxActive: number;
}

/** The values in force plus what the law carries from one round to the next. */
export interface AdmissionState extends AdmissionValues {
  /**
   * The rate the law steers (fractional, it moves smoothly); the rate in force follows it when the
   * two differ by 5 % (and 1/s) or more.
   */
  steeredRate?: number | undefined;
  /** The path's latency without queueing (ms), as measured. */
  unloadedMs?: number | undefined;
  /** Queueing was seen since the rush began: the fast start is over. */
  queueingSeen?: boolean | undefined;
  /** Rounds in a row whose answers came as fast as unloaded. */
  calmRounds?: number | undefined;
}

export interface AdmissionLaw {
  minAdmitRate: number;
  maxAdmitRate: number;
  /** The admin's ceiling for ACTIVE users. */
  maxActiveCeiling: number;
  targetP99Ms: number;
  /** Fewer samples than this say nothing about latency (but overloads always count). */
  minSamples?: number;
  /** Mean latency up to this many times the unloaded one counts as no queueing (Gradient2's 1.5-2). */
  tolerance?: number;
}

export interface AdmissionDecision extends AdmissionValues {
  previous: AdmissionValues;
  /** Holds and payments the new rate aims to have under way. */
  limit: number;
  steeredRate: number;
  queueingSeen: boolean;
  calmRounds: number;
  unloadedMs: number | undefined;
  /** Why: shown to admins, logged and carried by the change event. */
  reason: string;
  /** Whether the values in force (rate or cap) changed. */
  changed: boolean;
  /** Cut by the brake (p99 over the target, overloads): answers from before it must not cut again. */
  braked: boolean;
}

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));
/** How fast the unloaded latency may drift up, per round (it drops at once to a lower mean). */
const UNLOADED_DRIFT = 1.005;
/**
 * The probe for more, as a share of the concurrency. (Gradient2 adds sqrt(limit); this path's knee
 * is at a concurrency of a few requests, where sqrt(limit) is half the limit and overshoots.) At rest
 * the gradient balances it: latency settles near tolerance / (1 + PROBE) times the unloaded latency.
 */
const PROBE = 0.1;
/** Share of the way to its new value the rate moves each round: buyers reach the path a round or two after admission. */
const SMOOTHING = 0.3;
/** Below this machine CPU share, the probe is doubled. */
const IDLE_CPU = 0.85;
/** Rounds in a row of answers as fast as unloaded after which the fast start resumes. */
const CALM_ROUNDS = 20;
/** Relative moves of the rate smaller than this are not made (nor logged, nor sent as events). */
const DEAD_BAND = 0.05;
const round1 = (v: number) => Math.round(v * 10) / 10;

export function decideAdmission(current: AdmissionState, s: BookingSignals, law: AdmissionLaw): AdmissionDecision {
  const { minAdmitRate: lo, maxAdmitRate: hi, targetP99Ms: target } = law;
  const minSamples = law.minSamples ?? 5;
  const tolerance = law.tolerance ?? 1.5;
  const worst = Math.max(s.holdP99Ms ?? 0, s.payP99Ms ?? 0);
  const rate0 = clamp(current.admitRatePerSec, lo, hi);
  const judged = s.samples >= minSamples && s.meanMs !== null;
  let unloaded = current.unloadedMs;
  if (judged) unloaded = unloaded === undefined ? s.meanMs! : Math.min(s.meanMs!, unloaded * UNLOADED_DRIFT);
  // The limit is not a gate here (admissions are): it is recomputed each round from the concurrency
  // measured, and the rate moves by the same factor (Little's law: at a steady latency, requests
  // under way scale with the request rate, which follows the admission rate).
  const inFlight = Math.max(s.inFlight, 0);
  let factor = 1;
  let reason: string;
  let braked = false;
  let queueingSeen = current.queueingSeen ?? false;
  let calmRounds = current.calmRounds ?? 0;
  if (s.overloads > 0) {
    braked = true;
    queueingSeen = true;
    factor = 0.75;
    reason = `${s.overloads} overload answers (503 or Temporal timeout) in the window`;
  } else if (s.samples >= minSamples && worst > target) {
    braked = true;
    queueingSeen = true;
    factor = clamp(target / worst, 0.6, 0.9);
    reason = `p99 ${worst} ms above the ${target} ms target`;
  } else if (s.seatsAvailable === 0) {
    // Nothing to sell right now (seats may come back from expiring holds): no reason to speed up.
    reason = 'no seat AVAILABLE: holding the rate';
  } else if (!judged) {
    // No answers can mean an idle path or a stalled one (slow answers have not come back yet):
    // only answers justify more admissions.
    reason = `${s.samples} answers in the window, too few to judge: holding`;
  } else if (s.waiting === 0) {
    // The rush is over: the next one starts fast again.
    queueingSeen = false;
    reason = 'nobody waiting: holding';
  } else {
    const raw = (tolerance * unloaded!) / s.meanMs!;
    // Fast start, as TCP's slow start: until the path first queues, answers faster than the tolerance
    // let the rate grow by up to 18 % a round (gradient 1.5 plus the probe, smoothed); from then on at
    // most the probe's few per cent, so the knee is approached and not jumped.
    // Answers as fast as unloaded (within 10 %) round after round are no queueing at all: after
    // CALM_ROUNDS of them the fast start resumes, so a path that recovered (or a brake that cut deep)
    // is not climbed back at a few per cent a round.
    calmRounds = s.meanMs! <= unloaded! * 1.1 ? calmRounds + 1 : 0;
    if (calmRounds >= CALM_ROUNDS) queueingSeen = false;
    queueingSeen ||= raw < 1;
    const gradient = clamp(raw, 0.5, queueingSeen ? 1 : tolerance);
    const idle = s.cpuBusy !== null && s.cpuBusy < IDLE_CPU;
    factor = 1 + (gradient + PROBE * (idle ? 2 : 1) - 1) * SMOOTHING;
    reason =
      `mean ${Math.round(s.meanMs!)} ms against ${Math.round(unloaded!)} ms unloaded (gradient ${gradient.toFixed(2)}), ` +
      `p99 ${worst} ms under the ${target} ms target, ${round1(inFlight)} in flight, limit ${round1(inFlight * factor)}` +
      (idle ? `, CPU ${Math.round(s.cpuBusy! * 100)} % busy: probing faster` : '') +
      ` with ${s.waiting} waiting`;
  }
  const limit = inFlight * factor;
  const steered0 = clamp(current.steeredRate ?? rate0, lo, hi);
  const steered = clamp(steered0 * factor, lo, hi);
  if (steered0 * factor > hi) reason += ` (held at the ${hi}/s maximum)`;
  if (steered0 * factor < lo) reason += ` (held at the ${lo}/s minimum)`;
  // A settled controller's small corrections are not changes: the rate in force moves only when the
  // steered one has drifted 5 % (and 1/s) away from it.
  // A bound reached is always applied (a rate stuck 4 % short of the maximum would never get there).
  const atBound = (steered === lo || steered === hi) && steered !== rate0;
  const rate = atBound || Math.abs(steered - rate0) >= Math.max(1, rate0 * DEAD_BAND) ? Math.round(steered) : rate0;

  const fromSeats = s.active + s.seatsAvailable;
  let maxActive = law.maxActiveCeiling;
  if (fromSeats < maxActive) {
    maxActive = fromSeats;
    reason += s.seatsAvailable === 0 ? '; no seat AVAILABLE: admitting nobody new' : `; ${s.seatsAvailable} seats AVAILABLE cap the active buyers`;
  }
  const changed = rate !== current.admitRatePerSec || maxActive !== current.maxActive;
  return { admitRatePerSec: rate, maxActive, limit, steeredRate: steered, queueingSeen, calmRounds, unloadedMs: unloaded, previous: { admitRatePerSec: current.admitRatePerSec, maxActive: current.maxActive }, reason, changed, braked };
}
