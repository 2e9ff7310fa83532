import type { Metrics } from '../platform/observability/metrics.js';
import type { QueueChange } from './domain.js';

/** Per-schedule waiting-room metrics. Any process may admit, so counters are summed across processes. */
export class QueueMetrics {
  private readonly waiting;
  private readonly active;
  private readonly admissions;
  private readonly expiries;
  private readonly waitTime;

  constructor(metrics: Metrics) {
    this.waiting = metrics.gauge('queue_waiting', 'Users waiting (incl. pre-queue) per schedule', ['schedule']);
    this.active = metrics.gauge('queue_active', 'ACTIVE users per schedule', ['schedule']);
    this.admissions = metrics.counter('queue_admissions_total', 'Waiters admitted (made ACTIVE) per schedule', ['schedule']);
    this.expiries = metrics.counter('queue_expiries_total', 'Tokens ended per schedule and reason (EXPIRED, USED, DROPPED)', ['schedule', 'reason']);
    this.waitTime = metrics.histogram('queue_wait_seconds', 'Time from joining to admission per schedule', ['schedule'], [1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200]);
  }

  counts(scheduleId: number, c: { waiting: number; preQueue: number; active: number }) {
    const schedule = String(scheduleId);
    this.waiting.set({ schedule }, c.waiting + c.preQueue);
    this.active.set({ schedule }, c.active);
  }

  changes(scheduleId: number, changes: QueueChange[]) {
    const schedule = String(scheduleId);
    for (const ch of changes) {
      if (ch.kind === 'ADMITTED') {
        this.admissions.inc({ schedule });
        this.waitTime.observe({ schedule }, Math.max(0, ch.atMs - ch.joinedAtMs) / 1000);
      } else this.expiries.inc({ schedule, reason: ch.reason ?? 'UNKNOWN' });
    }
  }
}
