/** Latency bookkeeping for the benchmarks: exact percentiles from every sample (runs are small). */
export class Samples {
  private readonly ms: number[] = [];
  private sortedCache: number[] | undefined;
  constructor(readonly name: string) {}

  add(ms: number) {
    this.ms.push(ms);
  }

  async time<T>(fn: () => Promise<T>): Promise<T> {
    const t = performance.now();
    try {
      return await fn();
    } finally {
      this.add(performance.now() - t);
    }
  }

  percentile(p: number): number {
    return percentileOf(this.sorted(), p);
  }

  /** The samples in ascending order (cached until the next add). */
  sorted(): number[] {
    if (!this.sortedCache || this.sortedCache.length !== this.ms.length) this.sortedCache = [...this.ms].sort((a, b) => a - b);
    return this.sortedCache;
  }

  get count() {
    return this.ms.length;
  }

  line(elapsedMs: number): string {
    const f = (v: number) => v.toFixed(1).padStart(7);
    const rate = (this.count / (elapsedMs / 1000)).toFixed(0).padStart(6);
    return `${this.name.padEnd(34)} n=${String(this.count).padStart(6)} ${rate}/s  p50 ${f(this.percentile(50))} ms  p95 ${f(this.percentile(95))} ms  p99 ${f(this.percentile(99))} ms`;
  }
}

/** Exact percentile of an ascending array (NaN when empty). */
export function percentileOf(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.max(0, Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** Counts of HTTP statuses (or any label), printed as `201=12 409=3`. */
export class Tally<K extends string | number = number> {
  readonly counts = new Map<K, number>();
  add(key: K, by = 1) {
    this.counts.set(key, (this.counts.get(key) ?? 0) + by);
  }
  get(key: K): number {
    return this.counts.get(key) ?? 0;
  }
  get total(): number {
    let t = 0;
    for (const v of this.counts.values()) t += v;
    return t;
  }
  toString(): string {
    return [...this.counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `${k}=${v}`).join(' ') || '-';
  }
}

/**
 * Jobs that threw inside runPool, by message. A benchmark survives a failed request (a reset
 * connection, a fetch error) and reports it with `thrownSummary()` instead of dying mid-run.
 */
export const thrownJobs = new Tally<string>();
export const thrownSummary = () => {
  if (thrownJobs.total === 0) return 'jobs that threw: 0';
  const top = [...thrownJobs.counts].sort((a, b) => b[1] - a[1]).slice(0, 5);
  return `jobs that threw: ${thrownJobs.total} (${top.map(([m, k]) => `${k}x ${m}`).join('; ')}${thrownJobs.counts.size > 5 ? '; ...' : ''})`;
};

/** Runs `total` jobs with at most `concurrency` in flight; returns the wall time in ms. */
export async function runPool(total: number, concurrency: number, job: (i: number) => Promise<unknown>): Promise<number> {
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, total) }, async () => {
      while (next < total) {
        try {
          await job(next++);
        } catch (err) {
          thrownJobs.add(String((err as Error)?.message ?? err).slice(0, 120));
        }
      }
    }),
  );
  return performance.now() - started;
}
