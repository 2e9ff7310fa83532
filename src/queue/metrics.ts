import type { Metrics } from '../platform/observability/metrics.js';
import type { AdmissionDecision } from './admission-control.js';
import type { LatencyWindow } from './admission-control.js';
import type { QueueChange } from './domain.js';

/** Per-schedule waiting-room metrics. Any process may admit, so counters are summed across processes. */
export class QueueMetrics {
  private readonly waiting;
  private readonly active;
  private readonly admissions;
  private readonly expiries;
  private readonly waitTime;
  private readonly admitRate;
  private readonly maxActive;
  private readonly measured;
  private readonly adjustments;
  private readonly leader;

  constructor(metrics: Metrics) {
    this.waiting = metrics.gauge('queue_waiting', 'Users waiting (incl. pre-queue) per schedule', ['schedule']);
    this.active = metrics.gauge('queue_active', 'ACTIVE users per schedule', ['schedule']);
    this.admissions = metrics.counter('queue_admissions_total', 'Waiters admitted (made ACTIVE) per schedule', ['schedule']);
    this.expiries = metrics.counter('queue_expiries_total', 'Tokens ended per schedule and reason (EXPIRED, USED, DROPPED)', ['schedule', 'reason']);
    this.waitTime = metrics.histogram('queue_wait_seconds', 'Time from joining to admission per schedule', ['schedule'], [1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200]);
    this.admitRate = metrics.gauge('queue_admit_rate', 'Admissions per second the waiting room runs on (auto: the controller decides)', ['schedule']);
    this.maxActive = metrics.gauge('queue_max_active', 'Cap of ACTIVE users the waiting room runs on', ['schedule']);
    this.measured = metrics.gauge('queue_controller_latency_ms', "Booking latency the admission controller measured over its window (bucket upper bound)", ['schedule', 'call', 'quantile']);
    this.adjustments = metrics.counter('queue_controller_adjustments_total', 'Admission changes by the controller, by direction', ['schedule', 'direction']);
    this.leader = metrics.gauge('queue_controller_leader', '1 while this process decides admission for the schedule', ['schedule']);
  }

  counts(scheduleId: number, c: { waiting: number; preQueue: number; active: number }, effective?: { maxActive: number; admitRatePerSec: number }) {
    const schedule = String(scheduleId);
    this.waiting.set({ schedule }, c.waiting + c.preQueue);
    this.active.set({ schedule }, c.active);
    if (effective) {
      this.admitRate.set({ schedule }, effective.admitRatePerSec);
      this.maxActive.set({ schedule }, effective.maxActive);
    }
  }

  /** Waiters told at once that the sale ended (one schedule-level event, so counted here). */
  endedBySale(scheduleId: number, reason: string, n: number) {
    this.expiries.inc({ schedule: String(scheduleId), reason }, n);
  }

  controllerLeader(scheduleId: number, leads: boolean) {
    this.leader.set({ schedule: String(scheduleId) }, leads ? 1 : 0);
  }

  controller(scheduleId: number, d: AdmissionDecision, w: LatencyWindow) {
    const schedule = String(scheduleId);
    this.admitRate.set({ schedule }, d.admitRatePerSec);
    this.maxActive.set({ schedule }, d.maxActive);
    const set = (call: string, quantile: string, v: number | null) => v !== null && this.measured.set({ schedule, call, quantile }, v);
    set('hold', '0.95', w.holdP95Ms);
    set('hold', '0.99', w.holdP99Ms);
    set('pay', '0.99', w.payP99Ms);
    if (d.changed) {
      const direction = d.admitRatePerSec > d.previous.admitRatePerSec ? 'up' : d.admitRatePerSec < d.previous.admitRatePerSec ? 'down' : 'cap';
      this.adjustments.inc({ schedule, direction });
    }
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
