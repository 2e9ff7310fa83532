import type { QueueService } from './service.js';
import type { QueueStore } from './redis-store.js';

/**
 * Runs in EVERY API process: each tick runs the same idempotent script for every schedule with
 * recent queue activity. Losing any one process loses nothing; the others (and every client poll)
 * keep admitting. Ticks never overlap within a process.
 */
export class QueueDriver {
  private timer: NodeJS.Timeout | undefined;
  private running = false;

  constructor(
    private readonly service: QueueService,
    private readonly store: QueueStore,
    private readonly opts: { intervalMs: number; activityWindowMs?: number; isClosed?: () => boolean; onError?: (err: unknown) => void },
  ) {}

  start(): this {
    this.timer ??= setInterval(() => void this.tickAll(), this.opts.intervalMs);
    // Never keeps a process (or a test run) alive on its own.
    this.timer.unref();
    return this;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  async tickAll(): Promise<void> {
    if (this.running) return;
    if (this.opts.isClosed?.()) return this.stop();
    this.running = true;
    try {
      const ids = await this.store.recentSchedules(Date.now() - (this.opts.activityWindowMs ?? 6 * 3_600_000));
      for (const id of ids) await this.service.tick(id);
    } catch (err) {
      this.opts.onError?.(err);
    } finally {
      this.running = false;
    }
  }
}
