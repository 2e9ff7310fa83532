/**
 * Open-loop arrivals: each job starts at its scheduled time whether or not earlier ones have
 * answered (no pool, no connection limit on our side), so queueing delay shows in the latencies
 * instead of slowing the arrivals down. The generator itself shares the CPU with everything else:
 * `lag` reports how late jobs were started against their schedule, so a run whose generator could
 * not keep up is visible as such.
 */
import { percentileOf } from './stats.js';

export interface OpenLoopOptions {
  /** How many jobs. */
  count: number;
  /** Fixed arrival rate (jobs per second), evenly spaced from 0. */
  ratePerSec?: number;
  /** Or: arrival time of job i in ms after the start (need not be sorted). */
  at?: (i: number) => number;
}

export interface OpenLoopResult {
  /** From the start to the last job finishing. */
  elapsedMs: number;
  /** From the start to the last job starting. */
  arrivalsMs: number;
  maxInFlight: number;
  /** How late jobs started against their schedule (ms). */
  lag: { p50: number; p99: number; max: number };
  /** Jobs that threw (the job should record its own errors; this is the safety net). */
  failures: number;
}

export class OpenLoop {
  private started = 0;
  private running = 0;
  private peak = 0;
  private finishedCount = 0;
  private failed = 0;
  private t0 = 0;

  constructor(
    private readonly opts: OpenLoopOptions,
    private readonly job: (i: number, scheduledAtMs: number) => Promise<unknown>,
  ) {
    if (!opts.ratePerSec && !opts.at) throw new Error('OpenLoop needs ratePerSec or at');
  }

  /** Jobs currently running. */
  get inFlight() {
    return this.running;
  }
  get launched() {
    return this.started;
  }
  get finished() {
    return this.finishedCount;
  }
  /** ms since the run started (0 before). */
  now() {
    return this.t0 ? performance.now() - this.t0 : 0;
  }
  /** The run's start on the performance.now() clock. */
  get startedAt() {
    return this.t0;
  }

  async run(): Promise<OpenLoopResult> {
    const { count } = this.opts;
    const at = this.opts.at ?? ((i: number) => (i * 1000) / this.opts.ratePerSec!);
    const order = Array.from({ length: count }, (_, i) => i);
    const times = order.map(at);
    if (this.opts.at) order.sort((a, b) => times[a]! - times[b]!);
    const lags = new Float64Array(count);
    let lastStart = 0;
    this.t0 = performance.now();

    let resolveAll!: () => void;
    const allDone = new Promise<void>((r) => (resolveAll = r));
    const done = () => {
      this.running--;
      this.finishedCount++;
      if (this.finishedCount === count) resolveAll();
    };
    if (count === 0) resolveAll();

    let next = 0;
    await new Promise<void>((resolveArrivals) => {
      const pump = () => {
        const now = performance.now() - this.t0;
        // Start everything that is due (a late timer starts a batch at once, as real arrivals would).
        while (next < count && times[order[next]!]! <= now) {
          const i = order[next++]!;
          const scheduled = times[i]!;
          lags[this.started] = now - scheduled;
          this.started++;
          this.running++;
          if (this.running > this.peak) this.peak = this.running;
          lastStart = now;
          let p: Promise<unknown>;
          try {
            p = this.job(i, this.t0 + scheduled);
          } catch (err) {
            p = Promise.reject(err);
          }
          p.then(done, () => {
            this.failed++;
            done();
          });
        }
        if (next >= count) return resolveArrivals();
        const wait = Math.max(0, times[order[next]!]! - (performance.now() - this.t0));
        setTimeout(pump, wait);
      };
      pump();
    });
    await allDone;
    const sorted = Array.from(lags).sort((a, b) => a - b);
    return {
      elapsedMs: performance.now() - this.t0,
      arrivalsMs: lastStart,
      maxInFlight: this.peak,
      lag: { p50: percentileOf(sorted, 50), p99: percentileOf(sorted, 99), max: sorted[sorted.length - 1] ?? 0 },
      failures: this.failed,
    };
  }
}

/** Convenience: run an open loop and return its result. */
export function openLoop(opts: OpenLoopOptions, job: (i: number, scheduledAtMs: number) => Promise<unknown>): Promise<OpenLoopResult> {
  return new OpenLoop(opts, job).run();
}

export const describeLoop = (r: OpenLoopResult) =>
  `arrivals over ${(r.arrivalsMs / 1000).toFixed(1)} s, all answered after ${(r.elapsedMs / 1000).toFixed(1)} s, max in flight ${r.maxInFlight}, ` +
  `generator lag p50 ${r.lag.p50.toFixed(1)} ms p99 ${r.lag.p99.toFixed(1)} ms max ${r.lag.max.toFixed(0)} ms${r.failures ? `, ${r.failures} jobs threw` : ''}`;
