import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { decideAdmission } from './admission-control.js';
import { isSoldOut } from './domain.js';
import type { AdmissionStore } from './admission-store.js';
import type { QueueEventSink } from './events.js';
import type { QueueMetrics } from './metrics.js';
import type { QueueStore } from './redis-store.js';
import type { QueueService } from './service.js';
import type { QueueSettingsSource } from './settings.js';

/** Port: how many seats of a schedule are still to be had (the catalog implements it). */
export interface SeatInventory {
  counts(scheduleId: number): Promise<{ available: number; held: number; sold: number }>;
}

export interface AdmissionControllerOptions {
  intervalMs: number;
  /** Seconds of latency the controller looks at. */
  windowSeconds: number;
  onError?: (err: unknown) => void;
  onDecision?: (scheduleId: number, line: Record<string, unknown>) => void;
}

/**
 * Runs in every API process; per schedule, the holder of a short Redis lease decides, the others
 * only record latencies. A dead leader's lease runs out after three intervals and another process
 * takes over from the state it left in Redis, so admission never depends on one process.
 *
 * Each round, for every schedule with recent queue activity: end the sale for waiters when every
 * seat is SOLD (or reopen it when seats came back), then, in auto mode, set the admission rate and
 * the active cap from the booking path's latency (admission-control.ts).
 */
export class AdmissionController {
  readonly owner = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly deps: {
      queue: QueueService;
      store: QueueStore;
      admission: AdmissionStore;
      settings: QueueSettingsSource;
      inventory: SeatInventory;
      events: QueueEventSink;
      metrics: QueueMetrics;
      /** Share of the machine's CPU busy since the last call (0-1), or null when unknown. */
      cpuBusy?: () => number | null;
      isClosed?: () => boolean;
    },
    private readonly opts: AdmissionControllerOptions,
  ) {}

  start(): this {
    this.timer ??= setInterval(() => void this.round(), this.opts.intervalMs);
    this.timer.unref();
    return this;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Stops deciding; resolves once a round in progress has finished (its change and event written). */
  async stopped(): Promise<void> {
    this.stop();
    await this.running;
  }

  async round(): Promise<void> {
    if (this.running) return;
    if (this.deps.isClosed?.()) return this.stop();
    this.running = (async () => {
      try {
        const ids = await this.deps.store.recentSchedules(Date.now() - 6 * 3_600_000);
        for (const id of ids) if (this.timer) await this.control(id);
      } catch (err) {
        this.opts.onError?.(err);
      }
    })();
    await this.running;
    this.running = undefined;
  }

  /** One decision for one schedule (exposed for tests). Returns false when another process leads. */
  async control(scheduleId: number): Promise<boolean> {
    const { admission, metrics } = this.deps;
    const leads = await admission.lease(scheduleId, this.owner, this.opts.intervalMs * 3);
    metrics.controllerLeader(scheduleId, leads);
    if (!leads) return false;
    const settings = await this.deps.settings.get(scheduleId);
    if (!settings) return true;

    // The worker ends the sale at the last confirmation; this catches what a crash or a race missed.
    const seats = await this.deps.inventory.counts(scheduleId);
    const soldOut = isSoldOut(seats);
    let queue = await this.deps.queue.tick(scheduleId);
    if (soldOut && !queue?.saleEnded) queue = await this.deps.queue.endSale(scheduleId, 'SOLD_OUT');
    else if (!soldOut && queue?.saleEnded === 'SOLD_OUT') queue = await this.deps.queue.reopen(scheduleId);
    if (!queue) return true;

    if (settings.mode !== 'auto') {
      await admission.reset(scheduleId);
      return true;
    }
    const nowSec = Math.floor(Date.now() / 1000);
    const prev = await admission.state(scheduleId);
    // Whole seconds only: the one under way holds part of its answers (its mean would be right, its
    // requests in flight not). Right after a brake the window is empty: the law holds.
    const fromSec = Math.max(nowSec - this.opts.windowSeconds, prev.measureFrom ?? 0);
    const latency = await admission.window(scheduleId, fromSec, nowSec - 1);
    const { counts } = queue;
    const current = {
      admitRatePerSec: prev.admitRatePerSec ?? settings.admitRatePerSec,
      maxActive: prev.maxActive ?? settings.maxActive,
      steeredRate: prev.steeredRate,
      unloadedMs: prev.unloadedMs,
      queueingSeen: prev.queueingSeen === 1,
      calmRounds: prev.calmRounds,
    };
    const cpuBusy = this.deps.cpuBusy?.() ?? null;
    const decision = decideAdmission(
      current,
      { ...latency, cpuBusy, waiting: counts.waiting + counts.preQueue, active: counts.active, seatsAvailable: seats.available },
      { ...settings.auto, maxActiveCeiling: settings.maxActive },
    );
    const now = Date.now();
    await admission.save(scheduleId, {
      admitRatePerSec: decision.admitRatePerSec,
      maxActive: decision.maxActive,
      reason: decision.reason,
      decidedAt: now,
      ...(decision.changed || prev.changedAt === undefined ? { changedAt: now } : {}),
      // After the brake, judge the new rate only by answers given under it.
      ...(decision.braked ? { measureFrom: nowSec + 1 } : {}),
      ...latency,
      cpuBusy,
      limit: decision.limit,
      steeredRate: decision.steeredRate,
      queueingSeen: decision.queueingSeen ? 1 : 0,
      calmRounds: decision.calmRounds,
      ...(decision.unloadedMs !== undefined ? { unloadedMs: decision.unloadedMs } : {}),
      seatsAvailable: seats.available,
      leader: this.owner,
    });
    metrics.controller(scheduleId, decision, latency);
    if (decision.changed) {
      this.opts.onDecision?.(scheduleId, { ...decision, ...latency });
      await this.deps.events.admission(scheduleId, { ...decision, atMs: now });
    }
    return true;
  }
}
