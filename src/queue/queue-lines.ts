import { answerFromLine, type LineAnswer } from './line.js';
import type { LineSnapshot, QueueStore } from './redis-store.js';

export interface QueueLinesOptions {
  /** How often the snapshot of each watched schedule is read (and the batched last-seen written). */
  refreshMs: number;
  /** A snapshot older than this is not used (Redis unreachable, refresh stalled): polls ask Redis. */
  staleMs?: number;
  /** A schedule nobody polled in this process for this long is no longer refreshed. */
  idleMs?: number;
  isClosed?: () => boolean;
  onError?: (err: unknown) => void;
}

interface Waiter {
  seq: number | undefined;
  tokenId: string;
  wake: () => void;
}

interface Line {
  snapshot: LineSnapshot;
  /** This process's clock when the snapshot arrived (Redis's `nowMs` is the clock of the answer). */
  fetchedAt: number;
  usedAt: number;
  /** Waiters polled since the last refresh: userId -> tokenId, written to Redis in one step. */
  seen: Map<number, string>;
  /** Token ids Redis said no longer wait: their next poll asks Redis. */
  gone: Set<string>;
  waiters: Set<Waiter>;
}

const GONE_KEPT = 100_000;

/**
 * Each API process's copy of the lines it serves (docs/queue.md, "Cheap waiting"). A few times a
 * second, for each schedule polled here recently, one script reads the line's head, departures and
 * sale state, and one more writes the last-seen time of everyone who polled since the last time.
 * Polls are then answered from memory (`answer`), and waiting requests (long polls, SSE streams)
 * are woken when their answer stops being "still waiting" (`changed`): thousands of waiting
 * connections cost memory and one arithmetic check per refresh, not a Redis command each.
 */
export class QueueLines {
  private readonly lines = new Map<number, Line>();
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  /** Snapshot reads so far (tests and the benchmark count Redis work per poll with it). */
  refreshes = 0;

  constructor(
    private readonly store: QueueStore,
    private readonly opts: QueueLinesOptions,
  ) {}

  start(): this {
    this.timer ??= setInterval(() => void this.refreshAll(), this.opts.refreshMs);
    this.timer.unref();
    return this;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** The snapshot of a schedule when fresh enough, or undefined (the caller asks Redis). Marks the schedule as served here. */
  current(scheduleId: number): { snapshot: LineSnapshot; nowMs: number } | undefined {
    const now = Date.now();
    let line = this.lines.get(scheduleId);
    if (!line) {
      // Watched from now on: the next refresh reads it.
      this.lines.set(scheduleId, (line = { snapshot: undefined as never, fetchedAt: 0, usedAt: now, seen: new Map(), gone: new Set(), waiters: new Set() }));
      return undefined;
    }
    line.usedAt = now;
    if (now - line.fetchedAt > this.staleMs) return undefined;
    return { snapshot: line.snapshot, nowMs: line.snapshot.nowMs + (now - line.fetchedAt) };
  }

  /** What the snapshot says about this token (ASK when there is no fresh snapshot). */
  answer(scheduleId: number, seq: number | undefined, tokenId: string): { answer: LineAnswer; snapshot?: LineSnapshot; nowMs?: number } {
    const cur = this.current(scheduleId);
    if (!cur) return { answer: { kind: 'ASK' } };
    const line = this.lines.get(scheduleId)!;
    return { answer: answerFromLine(cur.snapshot, seq, line.gone.has(tokenId)), ...cur };
  }

  /** A waiter polled: its last-seen time goes to Redis with the next refresh, batched with everyone else's. */
  seen(scheduleId: number, userId: number, tokenId: string): void {
    this.lines.get(scheduleId)?.seen.set(userId, tokenId);
  }

  /**
   * Resolves when this token's answer stops being WAITING in this process's view (admitted, ended,
   * dropped: the caller then reads the exact state) or when `signal` aborts (the caller's timeout).
   */
  changed(scheduleId: number, seq: number | undefined, tokenId: string, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const line = this.lines.get(scheduleId);
      if (!line || signal.aborted) return resolve();
      const waiter: Waiter = {
        seq,
        tokenId,
        wake: () => {
          line.waiters.delete(waiter);
          signal.removeEventListener('abort', waiter.wake);
          resolve();
        },
      };
      line.waiters.add(waiter);
      signal.addEventListener('abort', waiter.wake, { once: true });
    });
  }

  /** Waiting requests open in this process (the benchmark reports memory per open waiter with it). */
  get openWaiters(): number {
    let n = 0;
    for (const line of this.lines.values()) n += line.waiters.size;
    return n;
  }

  async refreshAll(): Promise<void> {
    if (this.running) return;
    if (this.opts.isClosed?.()) return this.stop();
    this.running = true;
    try {
      const now = Date.now();
      for (const [scheduleId, line] of this.lines) {
        if (now - line.usedAt > (this.opts.idleMs ?? 60_000) && line.waiters.size === 0) {
          this.lines.delete(scheduleId);
          continue;
        }
        await this.refresh(scheduleId, line);
      }
    } catch (err) {
      this.opts.onError?.(err);
    } finally {
      this.running = false;
    }
  }

  private async refresh(scheduleId: number, line: Line): Promise<void> {
    if (line.seen.size > 0) {
      const batch = [...line.seen].map(([userId, tokenId]) => ({ userId, tokenId }));
      line.seen.clear();
      const gone = await this.store.touch(scheduleId, batch);
      if (line.gone.size + gone.length > GONE_KEPT) line.gone.clear();
      for (const t of gone) line.gone.add(t);
    }
    line.snapshot = await this.store.snapshot(scheduleId);
    line.fetchedAt = Date.now();
    this.refreshes += 1;
    for (const w of [...line.waiters]) {
      if (answerFromLine(line.snapshot, w.seq, line.gone.has(w.tokenId)).kind !== 'WAITING') w.wake();
    }
  }

  private get staleMs() {
    return this.opts.staleMs ?? Math.max(2_000, this.opts.refreshMs * 4);
  }
}
