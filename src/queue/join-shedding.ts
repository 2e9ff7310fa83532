import type { MiddlewareHandler } from 'hono';
import { problem } from '../platform/http/problem.js';

/** Seconds a shed joiner is told to wait: the joins under way finish meanwhile, and their retries find their places. */
export const SHED_RETRY_AFTER_SECONDS = 2;

/**
 * The waiting room's own overload guard (on POST /queue/tokens). A join is one Redis step, so a spike of joiners is
 * served, not refused; only when this process already has `maxInFlight` joins under way (the step
 * itself is backed up: Redis slow or gone) is a further join answered 503 + Retry-After at once,
 * BEFORE any work (no rate-limit count, no token check, no Redis), so shedding costs nothing and
 * takes no place. A join is idempotent per user and schedule: a retry after a shed (or after a
 * deadline 503 whose join went through) finds the user's first place, never a second one.
 * The limit counts requests, not event-loop lag or CPU, so a busy machine slows joins down but
 * never turns them away.
 */
export class JoinShedder {
  private inFlight = 0;
  /** Joins refused so far (the queue_join_shed_total metric's source in tests). */
  shed = 0;

  constructor(private readonly maxInFlight: number) {}

  readonly middleware: MiddlewareHandler = async (c, next) => {
    if (c.req.method !== 'POST') return next();
    if (this.inFlight >= this.maxInFlight) {
      this.shed += 1;
      const res = problem(c, 'SERVICE_UNAVAILABLE', `Too many joins at once on this server; retry in ${SHED_RETRY_AFTER_SECONDS} s (nothing was done, so no place is lost)`);
      res.headers.set('Retry-After', String(SHED_RETRY_AFTER_SECONDS));
      return res;
    }
    this.inFlight += 1;
    try {
      await next();
    } finally {
      this.inFlight -= 1;
    }
    return undefined;
  };
}
