import type { MiddlewareHandler } from 'hono';
import { problem } from '../platform/http/problem.js';

/** Shortest wait a shed joiner is told (Retry-After): the joins under way finish meanwhile. */
export const SHED_RETRY_AFTER_SECONDS = 2;
/** Longest: a process that will not catch up within a minute is better left to the others. */
const MAX_RETRY_AFTER_SECONDS = 60;
/** The completion rate is measured over the last few seconds: recent enough to follow a spike. */
const RATE_WINDOW_SECONDS = 5;

export interface JoinShedderOptions {
  /** Joins under way beyond which a join is shed whatever the measurements say (the hard cap). */
  maxInFlight: number;
  /**
   * Time a join may take before its request deadline (QUEUE_JOIN_DEADLINE_MS): a join this process
   * would not START within it is shed at entry; 0 = shed on the hard cap only.
   */
  withinMs?: number;
  /**
   * Joins a second this process is assumed to complete until it has measured a whole rate window
   * (QUEUE_JOIN_RATE_FLOOR): a fresh process's first completions, taken while it warms up under the
   * spike, understate its rate, and shedding on them refuses joins it would have answered in time.
   * 0 = trust the first measurements.
   */
  rateFloorPerSecond?: number;
  /** The clock (tests move it by hand). */
  now?: () => number;
}

/**
 * The waiting room's own overload guard (on POST /queue/tokens), deciding at entry, before the body
 * is read (no rate-limit count, no token check, no Redis), so shedding costs nothing and takes no place.
 *
 * A join is one Redis step, so a spike of joiners is served, not refused. What the process cannot do
 * is answer more joins in time than it completes: it measures how many joins it completes per second
 * (over the last RATE_WINDOW_SECONDS) and how many are under way, and a join that would wait longer
 * than `withinMs` behind them (in flight / completed per second; with nothing completed lately, the
 * age of the oldest join under way) is answered 503 + Retry-After at once, told when the process
 * expects to have caught up. This replaces answering 503 at the deadline after the place was made:
 * a join that entered runs to its answer (answerWhateverTheDeadline), and a join that could not
 * finish in time never started. A join is idempotent per user and schedule: a retry after a shed
 * finds the user's first place if an earlier attempt made one, never a second one.
 */
export class JoinShedder {
  /** Start times of the joins under way, oldest first (a Map keeps insertion order). */
  private readonly started = new Map<number, number>();
  private nextId = 0;
  private readonly completions = new Completions(RATE_WINDOW_SECONDS);
  /** When the current busy spell began (the first join taken while none was under way), and its completions. */
  private busySince = 0;
  private doneSinceBusy = 0;
  private readonly now: () => number;
  /** Joins refused so far (the queue_join_shed_total metric's source in tests). */
  shed = 0;

  constructor(private readonly opts: JoinShedderOptions) {
    this.now = opts.now ?? Date.now;
  }

  get inFlight(): number {
    return this.started.size;
  }

  /**
   * Seconds until this process expects to start a join that arrives now: joins ahead / joins completed
   * per second; with none completed lately but some under way, at least as long as the oldest has run.
   */
  expectedWaitSeconds(): number {
    const ahead = this.started.size;
    if (ahead === 0) return 0;
    const now = this.now();
    const measured = this.completions.perSecond(now);
    // Only once something completed: with nothing done at all, the oldest join's age is the evidence (a hung Redis).
    const windowRate = measured > 0 && this.completions.measuredMs(now) < RATE_WINDOW_SECONDS * 1000 ? Math.max(measured, this.opts.rateFloorPerSecond ?? 0) : measured;
    // A spike into a process that was quiet: the window still holds the idle seconds before it, which
    // understate what the process completes while busy. Within the window, the busy spell's own rate counts.
    const busyMs = now - this.busySince;
    const busyRate = busyMs < RATE_WINDOW_SECONDS * 1000 ? this.doneSinceBusy / Math.max(1, busyMs / 1000) : 0;
    const rate = Math.max(windowRate, busyRate);
    if (rate > 0) return ahead / rate;
    const oldest = this.started.values().next().value as number;
    return (now - oldest) / 1000;
  }

  /** Undefined to take the join, or the Retry-After (seconds) to shed it with. */
  decide(): number | undefined {
    if (this.started.size >= this.opts.maxInFlight) return SHED_RETRY_AFTER_SECONDS;
    if (!this.opts.withinMs) return undefined;
    const wait = this.expectedWaitSeconds();
    if (wait * 1000 <= this.opts.withinMs) return undefined;
    return Math.min(MAX_RETRY_AFTER_SECONDS, Math.max(SHED_RETRY_AFTER_SECONDS, Math.ceil(wait)));
  }

  readonly middleware: MiddlewareHandler = async (c, next) => {
    if (c.req.method !== 'POST') return next();
    const retryAfter = this.decide();
    if (retryAfter !== undefined) {
      this.shed += 1;
      const res = problem(c, 'SERVICE_UNAVAILABLE', `Too many joins at once on this server; retry in ${retryAfter} s (nothing was done, so no place is lost)`);
      res.headers.set('Retry-After', String(retryAfter));
      return res;
    }
    const id = this.nextId++;
    const startedAt = this.now();
    if (this.started.size === 0) {
      this.busySince = startedAt;
      this.doneSinceBusy = 0;
    }
    this.started.set(id, startedAt);
    try {
      await next();
    } finally {
      this.started.delete(id);
      this.completions.add(this.now());
      this.doneSinceBusy += 1;
    }
    return undefined;
  };
}

/** Events per second over the last `windowSeconds` whole seconds plus the current one, in a ring of per-second counts. */
class Completions {
  private readonly counts: number[];
  private readonly seconds: number[];
  private firstMs: number | undefined;

  constructor(private readonly windowSeconds: number) {
    this.counts = new Array<number>(windowSeconds + 1).fill(0);
    this.seconds = new Array<number>(windowSeconds + 1).fill(-1);
  }

  add(nowMs: number) {
    const second = Math.floor(nowMs / 1000);
    const i = second % this.counts.length;
    if (this.seconds[i] !== second) {
      this.seconds[i] = second;
      this.counts[i] = 0;
    }
    this.counts[i]! += 1;
    this.firstMs ??= nowMs;
  }

  /** How long this process has been measuring: since its first completion. */
  measuredMs(nowMs: number): number {
    return this.firstMs === undefined ? 0 : nowMs - this.firstMs;
  }

  perSecond(nowMs: number): number {
    if (this.firstMs === undefined) return 0;
    const second = Math.floor(nowMs / 1000);
    let n = 0;
    for (let i = 0; i < this.counts.length; i++) if (second - this.seconds[i]! <= this.windowSeconds) n += this.counts[i]!;
    // Over the window, or since the first completion if that is more recent (a fresh process).
    const span = Math.min(this.windowSeconds + (nowMs % 1000) / 1000, Math.max(1, (nowMs - this.firstMs) / 1000));
    return n / span;
  }
}
