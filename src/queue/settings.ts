import { eq } from 'drizzle-orm';
import { appendEvent } from '../events/index.js';
import { affectedRows, withTransaction, type Db } from '../platform/db/client.js';
import { schedules } from '../catalog/schema.js';
import { resolveSettings, type QueueDefaults, type QueueOverrides, type QueueSettings } from './domain.js';

/** Port: a schedule's effective queue settings (undefined = no such schedule). */
export interface QueueSettingsSource {
  get(scheduleId: number): Promise<QueueSettings | undefined>;
  /** Per-schedule overrides (null = default); undefined when the schedule does not exist. */
  update(scheduleId: number, o: Partial<QueueOverrides>, adminId: number): Promise<QueueSettings | undefined>;
  overrides(scheduleId: number): Promise<QueueOverrides | undefined>;
}

const columns = {
  mode: schedules.queueMode,
  maxActive: schedules.queueMaxActive,
  admitRatePerSec: schedules.queueAdmitRate,
  minAdmitRate: schedules.queueMinAdmitRate,
  maxAdmitRate: schedules.queueMaxAdmitRate,
  targetP99Ms: schedules.queueTargetP99Ms,
};
const toColumns = (o: Partial<QueueOverrides>) => ({
  ...(o.mode !== undefined ? { queueMode: o.mode } : {}),
  ...(o.maxActive !== undefined ? { queueMaxActive: o.maxActive } : {}),
  ...(o.admitRatePerSec !== undefined ? { queueAdmitRate: o.admitRatePerSec } : {}),
  ...(o.minAdmitRate !== undefined ? { queueMinAdmitRate: o.minAdmitRate } : {}),
  ...(o.maxAdmitRate !== undefined ? { queueMaxAdmitRate: o.maxAdmitRate } : {}),
  ...(o.targetP99Ms !== undefined ? { queueTargetP99Ms: o.targetP99Ms } : {}),
});

/**
 * Settings from the schedules row, cached per process for a short time: every poll needs them, and
 * an admin change reaching the other processes within `cacheMs` is fine for a rate and a cap.
 * Concurrent misses for one schedule share one read: a rush of 2,000 joins at the opening (or every
 * time the entry expires) costs MySQL one primary-key read, not 2,000 queued behind the pool.
 * An entry past its time is still served (for up to ten times as long) while one read refreshes it
 * in the background, so a join or poll waits on MySQL only for a schedule this process never read.
 */
export class MysqlQueueSettings implements QueueSettingsSource {
  private readonly cache = new Map<number, { at: number; value: QueueSettings | undefined }>();
  private readonly loading = new Map<number, Promise<QueueSettings | undefined>>();
  /** Reads of the schedules row so far (tests check that a rush shares them). */
  reads = 0;

  constructor(
    private readonly db: Db,
    private readonly defaults: QueueDefaults,
    private readonly cacheMs: number,
  ) {}

  async get(scheduleId: number): Promise<QueueSettings | undefined> {
    const hit = this.cache.get(scheduleId);
    const age = hit ? Date.now() - hit.at : Infinity;
    if (hit && age < this.cacheMs) return hit.value;
    const pending = this.load(scheduleId);
    if (hit && age < this.cacheMs * 10) {
      pending.catch(() => undefined);
      return hit.value;
    }
    return pending;
  }

  private load(scheduleId: number): Promise<QueueSettings | undefined> {
    let pending = this.loading.get(scheduleId);
    if (!pending) {
      const read = this.read(scheduleId).finally(() => {
        if (this.loading.get(scheduleId) === read) this.loading.delete(scheduleId);
      });
      this.loading.set(scheduleId, (pending = read));
    }
    return pending;
  }

  private async read(scheduleId: number): Promise<QueueSettings | undefined> {
    this.reads += 1;
    const [row] = await this.db
      .select({ id: schedules.id, saleOpensAt: schedules.saleOpensAt, saleClosesAt: schedules.saleClosesAt, status: schedules.status, ...columns })
      .from(schedules)
      .where(eq(schedules.id, scheduleId))
      .limit(1);
    const value = row ? resolveSettings(row, this.defaults) : undefined;
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(scheduleId, { at: Date.now(), value });
    return value;
  }

  /** The schedule changed (paused, resumed, cancelled): this process reads it afresh on the next call. */
  forget(scheduleId: number): void {
    this.cache.delete(scheduleId);
    this.loading.delete(scheduleId);
  }

  async overrides(scheduleId: number): Promise<QueueOverrides | undefined> {
    const [row] = await this.db.select(columns).from(schedules).where(eq(schedules.id, scheduleId)).limit(1);
    return row;
  }

  /** Changes the overrides given (others stay) and records the admin action in the same transaction. */
  async update(scheduleId: number, o: Partial<QueueOverrides>, adminId: number) {
    await withTransaction(this.db, async (tx) => {
      const set = toColumns(o);
      if (Object.keys(set).length > 0) {
        const res = await tx.update(schedules).set(set).where(eq(schedules.id, scheduleId));
        if (affectedRows(res) === 0 && !(await this.overrides(scheduleId))) return;
      } else if (!(await this.overrides(scheduleId))) return;
      await appendEvent(tx, 'AdminAction', `admin-${adminId}`, { adminId, action: 'queue.settings', target: `schedule-${scheduleId}`, detail: JSON.stringify(o) }, { userId: adminId });
    });
    this.forget(scheduleId);
    return this.get(scheduleId);
  }
}
