import { eq } from 'drizzle-orm';
import { appendEvent } from '../events/index.js';
import { withTransaction, type Db, type Tx } from '../platform/db/client.js';
import { insertSchedule, type ScheduleSettings } from './schedule-insert.js';
import type { SeatStatusPort } from './seat-status-port.js';
import { changeProblem, switchSale, type SaleSwitch, type ScheduleChange, type ScheduleStatus } from './schedule-rules.js';
import { concerts, schedules } from './schema.js';
import { generateSeatMap, type SectionSpec } from './seat-map.js';

export interface NewSchedule extends ScheduleSettings {
  sections: SectionSpec[];
}

export interface ConcertChange {
  title?: string | undefined;
  artist?: string | undefined;
  description?: string | undefined;
  venue?: string | undefined;
}

export type ScheduleRow = typeof schedules.$inferSelect;
export type Refusal = { ok: false; code: 'PERFORMANCE_CANCELLED' | 'VALIDATION_FAILED'; detail: string };

/**
 * The organiser's changes to concerts and schedules after creation. Each runs in one transaction
 * with its catalog event (ConcertUpdated / ScheduleChanged) and the AdminAction that audits it, and
 * locks the row it changes first, so a concurrent hold (which share-locks the schedule) either
 * committed before or sees the change. Undefined means there is no such concert or schedule.
 */
export class ScheduleLifecycle {
  /** `seatStatus`: booking's port, which creates a new schedule's seat statuses in this transaction. */
  constructor(
    private readonly db: Db,
    private readonly seatStatus: SeatStatusPort,
  ) {}

  /** Adds a performance with its own generated seat map to an existing concert. */
  async addSchedule(concertId: number, input: NewSchedule, adminId: number): Promise<{ scheduleId: number; seatCount: number } | undefined> {
    const layout = generateSeatMap(input.sections);
    return withTransaction(this.db, async (tx) => {
      const [concert] = await tx.select({ id: concerts.id }).from(concerts).where(eq(concerts.id, concertId)).for('update');
      if (!concert) return undefined;
      const scheduleId = await insertSchedule(tx, concertId, input, layout, this.seatStatus);
      await appendEvent(tx, 'ScheduleChanged', concertId, { concertId, scheduleId, change: 'ADDED', status: 'SCHEDULED', adminId }, { userId: adminId });
      await audit(tx, adminId, 'schedule.add', `schedule-${scheduleId}`, { concertId, startsAt: input.startsAt.toISOString(), seatCount: layout.length });
      return { scheduleId, seatCount: layout.length };
    });
  }

  async updateConcert(concertId: number, change: ConcertChange, adminId: number): Promise<typeof concerts.$inferSelect | undefined> {
    return withTransaction(this.db, async (tx) => {
      const [before] = await tx.select().from(concerts).where(eq(concerts.id, concertId)).for('update');
      if (!before) return undefined;
      const set = definedOnly(change);
      await tx.update(concerts).set(set).where(eq(concerts.id, concertId));
      await appendEvent(tx, 'ConcertUpdated', concertId, { concertId, changes: set, adminId }, { userId: adminId });
      await audit(tx, adminId, 'concert.update', `concert-${concertId}`, fromTo(before, set));
      return { ...before, ...set };
    });
  }

  /** Sale window, seat and ticket limits, hold TTL: fields no sold ticket depends on. */
  async updateSchedule(scheduleId: number, change: ScheduleChange, adminId: number, now = new Date()): Promise<{ ok: true; schedule: ScheduleRow } | Refusal | undefined> {
    return withTransaction(this.db, async (tx) => {
      const before = await lockSchedule(tx, scheduleId);
      if (!before) return undefined;
      const problem = changeProblem(before, change, now);
      if (problem) return { ok: false, ...problem } as const;
      const set = definedOnly(change);
      await tx.update(schedules).set(set).where(eq(schedules.id, scheduleId));
      const changes = Object.fromEntries(Object.entries(set).map(([k, v]) => [k, v instanceof Date ? v.toISOString() : v]));
      await appendEvent(tx, 'ScheduleChanged', before.concertId, { concertId: before.concertId, scheduleId, change: 'UPDATED', status: before.status, changes, adminId }, { userId: adminId });
      await audit(tx, adminId, 'schedule.update', `schedule-${scheduleId}`, fromTo(before, set));
      return { ok: true, schedule: { ...before, ...set } } as const;
    });
  }

  /** Pauses or resumes the sale; repeating one changes nothing and records nothing. */
  async switchSale(scheduleId: number, action: SaleSwitch, adminId: number): Promise<{ ok: true; status: ScheduleStatus; changed: boolean } | Refusal | undefined> {
    return withTransaction(this.db, async (tx) => {
      const before = await lockSchedule(tx, scheduleId);
      if (!before) return undefined;
      const next = switchSale(before.status, action);
      if (!next.ok) return { ok: false, code: 'PERFORMANCE_CANCELLED', detail: next.detail } as const;
      if (!next.changed) return next;
      await tx.update(schedules).set({ status: next.status }).where(eq(schedules.id, scheduleId));
      const change = action === 'pause' ? 'PAUSED' : 'RESUMED';
      await appendEvent(tx, 'ScheduleChanged', before.concertId, { concertId: before.concertId, scheduleId, change, status: next.status, adminId }, { userId: adminId });
      await audit(tx, adminId, `schedule.${action}`, `schedule-${scheduleId}`, { from: before.status, to: next.status });
      return next;
    });
  }

  /**
   * First step of a performance cancellation: the schedule becomes CANCELLING, so every later hold is
   * refused (the hold transaction reads the status under its share lock). Idempotent.
   */
  async beginCancellation(scheduleId: number, adminId: number | null): Promise<{ concertId: number; status: ScheduleStatus } | undefined> {
    return this.moveTo(scheduleId, 'CANCELLING', adminId, (s) => s === 'SCHEDULED' || s === 'PAUSED');
  }

  /** Last step: every reservation is closed and refunded; the schedule is CANCELLED. Idempotent. */
  async finishCancellation(scheduleId: number): Promise<{ concertId: number; status: ScheduleStatus } | undefined> {
    return this.moveTo(scheduleId, 'CANCELLED', null, (s) => s !== 'CANCELLED');
  }

  private async moveTo(scheduleId: number, status: 'CANCELLING' | 'CANCELLED', adminId: number | null, from: (s: ScheduleStatus) => boolean) {
    return withTransaction(this.db, async (tx) => {
      const before = await lockSchedule(tx, scheduleId);
      if (!before) return undefined;
      if (!from(before.status)) return { concertId: before.concertId, status: before.status };
      await tx.update(schedules).set({ status }).where(eq(schedules.id, scheduleId));
      await appendEvent(tx, 'ScheduleChanged', before.concertId, { concertId: before.concertId, scheduleId, change: status, status, adminId }, { userId: adminId });
      return { concertId: before.concertId, status };
    });
  }
}

const lockSchedule = async (tx: Tx, scheduleId: number) => (await tx.select().from(schedules).where(eq(schedules.id, scheduleId)).for('update'))[0];

const definedOnly = <T extends object>(o: T): Partial<T> => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;

const show = (v: unknown) => (v instanceof Date ? v.toISOString() : v);
/** The audit detail of an edit: each changed field's value before and after. */
const fromTo = (before: object, set: object) =>
  Object.fromEntries(Object.entries(set).map(([k, v]) => [k, { from: show((before as Record<string, unknown>)[k]), to: show(v) }]));

/** The AdminAction event that audits the change, in its transaction (the route logs the same line). */
async function audit(tx: Tx, adminId: number, action: string, target: string, detail: unknown) {
  await appendEvent(tx, 'AdminAction', `admin-${adminId}`, { adminId, action, target, detail: JSON.stringify(detail).slice(0, 2000) }, { userId: adminId });
}
