import { withinDependencyDeadline } from '../platform/dependency-errors.js';
import { DomainError, notFound } from '../shared/errors.js';
import { effectiveAdmission, joinRefusal, parseToken, viewOf, type QueueSettings, type QueueState, type SaleEndReason, type TokenView } from './domain.js';
import type { QueueEventSink } from './events.js';
import type { QueueMetrics } from './metrics.js';
import type { QueueLines } from './queue-lines.js';
import type { QueueOp, QueueOpResult, QueueStore } from './redis-store.js';
import type { QueueSettingsSource } from './settings.js';
import { QueueTokenSigner } from './tokens.js';

/** A schedule's waiting room at a glance. */
export type QueueSnapshot = Pick<QueueOpResult, 'counts' | 'effective' | 'saleEnded'>;

export interface QueueServiceDeps {
  store: QueueStore;
  settings: QueueSettingsSource;
  signer: QueueTokenSigner;
  events: QueueEventSink;
  metrics: QueueMetrics;
  activeTtlSeconds: number;
  /** This process's snapshots of the lines: polls answered from memory. Without it every poll reads Redis. */
  lines?: QueueLines;
  /**
   * Longest a poll's read of a dependency (its Redis read, the settings' MySQL read on a cache miss)
   * may take (REQUEST_DEADLINE_MS): the poll route has no request deadline (a poll answered from
   * memory is never cut), so a hung dependency is bounded here; 0 = unbounded.
   */
  pollDependencyDeadlineMs?: number;
  onError?: (what: string, err: unknown) => void;
}

/**
 * The waiting room's use cases. Every call runs the atomic script, which also moves the queue, and
 * then reports what changed for others (events, metrics) without making the caller wait for MySQL.
 */
export class QueueService {
  private readonly pending = new Set<Promise<void>>();
  /** Open SSE streams waiting for their schedule's sale to end (woken at once, not at their next check). */
  private readonly saleEndWaiters = new Map<number, Set<() => void>>();

  constructor(private readonly deps: QueueServiceDeps) {}

  /**
   * Joins (or re-finds) the user's place; one live token per user per schedule. `starting` is called
   * just before the Redis step, from which on a place may exist (the HTTP route answers it however late).
   */
  async join(userId: number, scheduleId: number, starting?: () => void): Promise<TokenView> {
    const s = await this.settingsOf(scheduleId);
    const refusal = joinRefusal(s);
    if (refusal) throw new DomainError('SALE_NOT_OPEN', refusal);
    starting?.();
    const r = await this.run('join', s, { userId, tokenId: QueueTokenSigner.newTokenId() });
    return this.view(userId, s, r);
  }

  /** Status of a token the user holds; a poll also keeps a waiter's place. */
  async status(userId: number, token: string | undefined): Promise<TokenView> {
    const claims = this.deps.signer.verify(token, { userId });
    const s = await this.settingsOf(claims.scheduleId);
    const r = await this.run('status', s, { userId, tokenId: claims.tokenId });
    return this.view(userId, s, r);
  }

  /**
   * A waiter's poll, answered from this process's snapshot of the line when it can be: an HMAC check
   * and arithmetic, no Redis (the last-seen time is written with the next refresh, batched). What
   * the snapshot cannot settle (admitted, dropped, joined since it was taken) is read in Redis.
   */
  async poll(userId: number, token: string | undefined): Promise<TokenView> {
    const claims = this.deps.signer.verify(token, { userId });
    const lines = this.deps.lines;
    const fromRedis = () => this.pollStep(this.status(userId, token), 'the waiting room (Redis)');
    if (!lines) return fromRedis();
    const s = await this.pollStep(this.settingsOf(claims.scheduleId), "the schedule's sale settings");
    const { answer, snapshot, nowMs } = lines.answer(s.scheduleId, claims.seq, claims.tokenId);
    if (answer.kind === 'ASK' || !snapshot || nowMs === undefined) return fromRedis();
    const waiting = answer.kind === 'WAITING';
    if (waiting) lines.seen(s.scheduleId, userId, claims.tokenId);
    const state: QueueState = {
      tokenId: claims.tokenId,
      seq: claims.seq ?? 0,
      joinedAtMs: 0,
      status: waiting ? 'WAITING' : 'EXPIRED',
      position: waiting ? answer.position : null,
      activeUntilMs: null,
      reason: waiting ? null : answer.reason,
      ...snapshot.counts,
      nowMs,
      ...effectiveAdmission(s, snapshot.ctl),
    };
    return viewOf(token!, state, s, this.deps.activeTtlSeconds);
  }

  /**
   * Long poll: answers at once unless the token is WAITING, else when its status changes (admitted,
   * sale ended, dropped), within about one snapshot refresh, or after `waitMs` with the position then.
   */
  async pollUntilChange(userId: number, token: string | undefined, waitMs: number, signal?: AbortSignal): Promise<TokenView> {
    const until = Date.now() + waitMs;
    let view = await this.poll(userId, token);
    for (let left = waitMs; view.status === 'WAITING' && left > 0 && !signal?.aborted; left = until - Date.now()) {
      await this.changed(view, left, signal);
      if (signal?.aborted) break;
      view = await this.poll(userId, view.token);
    }
    return view;
  }

  /**
   * Resolves when a WAITING view may have changed status (this process's snapshot no longer says
   * "waiting", or this process saw the sale end), after `timeoutMs`, or when `signal` aborts. It
   * costs the waiter no Redis command: thousands of open long polls and streams share each refresh.
   */
  async changed(view: TokenView, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    const stop = new AbortController();
    const abort = () => stop.abort();
    signal?.addEventListener('abort', abort, { once: true });
    let timer: NodeJS.Timeout | undefined;
    try {
      // The view's token was signed by this service a moment ago: its claims need no second check.
      const claims = parseToken(view.token)?.claims;
      const waits = [this.saleEnd(view.scheduleId, stop.signal), new Promise<void>((r) => (timer = setTimeout(r, timeoutMs)))];
      if (this.deps.lines && claims) waits.push(this.deps.lines.changed(view.scheduleId, claims.seq, claims.tokenId, stop.signal));
      await Promise.race(waits);
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', abort);
      stop.abort();
    }
  }

  /** Admission gate of the booking routes: the token must be this user's ACTIVE one for this schedule. */
  async check(token: string | undefined, userId: number, scheduleId: number): Promise<void> {
    const claims = this.deps.signer.verify(token, { userId, scheduleId });
    const state = await this.deps.store.peek(scheduleId, userId, claims.tokenId);
    // No record at all means Redis lost the room's state (docs/queue.md, "When Redis loses its data"):
    // the caller may still pay a hold it made (booking routes), but must join again for anything new.
    if (state === 3) throw new DomainError('QUEUE_NOT_ACTIVE', 'The waiting room has no record of your token; join the queue again', { queueStateLost: true });
    if (state !== 2) throw new DomainError('QUEUE_NOT_ACTIVE', state === 1 ? 'Your waiting-room token is not ACTIVE yet' : 'Your waiting-room token has expired; join the queue again');
  }

  /** Moves one schedule's queue (expiries, drop-outs, admissions); idempotent, safe from any process. */
  async tick(scheduleId: number): Promise<QueueSnapshot | undefined> {
    return this.runFor(scheduleId, 'tick');
  }

  /** The user's booking completed (confirmed or released): free their place at once. */
  async complete(userId: number, scheduleId: number): Promise<void> {
    await this.runFor(scheduleId, 'complete', { userId });
  }

  /**
   * Every seat is sold (or the sale is over): everyone waiting or joining from now on gets EXPIRED
   * with this reason. Active buyers keep their place (their holds may still be paid or released).
   */
  async endSale(scheduleId: number, reason: SaleEndReason): Promise<QueueSnapshot | undefined> {
    return this.runFor(scheduleId, 'end', { reason });
  }

  /** Seats came back after a sell-out (a hold expired, a purchase was refunded): joining works again. */
  async reopen(scheduleId: number): Promise<QueueSnapshot | undefined> {
    return this.runFor(scheduleId, 'reopen');
  }

  private async runFor(scheduleId: number, op: QueueOp, args?: { userId?: number; reason?: SaleEndReason }): Promise<QueueSnapshot | undefined> {
    const s = await this.deps.settings.get(scheduleId);
    if (!s) return undefined;
    const { counts, effective, saleEnded } = await this.run(op, s, args);
    return { counts, effective, saleEnded };
  }

  /**
   * Resolves when this process sees the schedule's sale end (any script run that reports it: the
   * periodic driver within QUEUE_TICK_MS, a poll, the worker's last confirmation seen by a tick), or
   * when `signal` aborts. Lets thousands of open streams sleep long and still hear of a sell-out at once.
   */
  saleEnd(scheduleId: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal.aborted) return resolve();
      let waiters = this.saleEndWaiters.get(scheduleId);
      if (!waiters) this.saleEndWaiters.set(scheduleId, (waiters = new Set()));
      const done = () => {
        waiters.delete(done);
        if (waiters.size === 0 && this.saleEndWaiters.get(scheduleId) === waiters) this.saleEndWaiters.delete(scheduleId);
        signal.removeEventListener('abort', done);
        resolve();
      };
      waiters.add(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  private wakeSaleEndWaiters(scheduleId: number) {
    for (const wake of [...(this.saleEndWaiters.get(scheduleId) ?? [])]) wake();
  }

  /** Waits for outstanding event writes (tests, shutdown). */
  async flush(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  /** A poll's step that needs a dependency, bounded (pollDependencyDeadlineMs): a hang ends in 503. */
  private pollStep<T>(step: Promise<T>, what: string): Promise<T> {
    return withinDependencyDeadline(step, this.deps.pollDependencyDeadlineMs ?? 0, what);
  }

  private async settingsOf(scheduleId: number): Promise<QueueSettings> {
    const s = await this.deps.settings.get(scheduleId);
    if (!s) throw notFound(`Schedule ${scheduleId}`);
    return s;
  }

  private async run(op: QueueOp, s: QueueSettings, args?: { userId?: number; tokenId?: string; reason?: SaleEndReason }): Promise<QueueOpResult> {
    const r = await this.deps.store.run(op, s, args);
    const { scheduleId } = s;
    this.deps.metrics.counts(scheduleId, r.counts, r.effective);
    if (r.changes.length > 0) {
      this.deps.metrics.changes(scheduleId, r.changes);
      this.report(() => this.deps.events.record(scheduleId, r.changes));
    }
    if (r.endedBySale > 0) this.deps.metrics.endedBySale(scheduleId, r.saleEnded ?? 'CLOSED', r.endedBySale);
    if (r.saleEnded) this.wakeSaleEndWaiters(scheduleId);
    const sale = r.endedNow ? { kind: 'ENDED' as const, reason: r.endedNow } : r.reopened ? { kind: 'REOPENED' as const } : undefined;
    if (sale) this.report(() => this.deps.events.sale(scheduleId, { ...sale, atMs: r.nowMs }));
    return r;
  }

  /** Events are written after the Redis step without making the caller wait for MySQL. */
  private report(write: () => Promise<void>) {
    const p = write()
      .catch((err) => this.deps.onError?.('queue event write', err))
      .finally(() => this.pending.delete(p));
    this.pending.add(p);
  }

  private view(userId: number, s: QueueSettings, r: QueueOpResult): TokenView {
    if (!r.state) throw new Error('queue script returned no state');
    const token = this.deps.signer.sign({ scheduleId: s.scheduleId, userId, tokenId: r.state.tokenId, seq: r.state.seq });
    return viewOf(token, r.state, s, this.deps.activeTtlSeconds);
  }
}
