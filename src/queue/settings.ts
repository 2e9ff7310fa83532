import { eq, sql } from 'drizzle-orm';
import type { CatalogRepository } from '../catalog/index.js';
import { appendEvent } from '../events/index.js';
import { withTransaction, type Db } from '../platform/db/client.js';
import { resolveSettings, type QueueDefaults, type QueueOverrides, type QueueSettings } from './domain.js';
import { queueSettings } from './schema.js';

/** Port: a schedule's effective queue settings (undefined = no such schedule). */
export interface QueueSettingsSource {
  get(scheduleId: number): Promise<QueueSettings | undefined>;
  /** Per-schedule overrides (null = default); undefined when the schedule does not exist. */
  update(scheduleId: number, o: Partial<QueueOverrides>, adminId: number): Promise<QueueSettings | undefined>;
  overrides(scheduleId: number): Promise<QueueOverrides | undefined>;
}

/** Catalog's port: the schedule's sale window and status (catalog owns them; the queue keeps a cached copy). */
export type ScheduleWindowSource = Pick<CatalogRepository, 'findSchedule'>;

const noOverrides: QueueOverrides = { mode: null, maxActive: null, admitRatePerSec: null, minAdmitRate: null, maxAdmitRate: null, targetP99Ms: null };
const overridesOf = (row: typeof queueSettings.$inferSelect | undefined): QueueOverrides => {
  if (!row) return noOverrides;
  const { scheduleId: _id, ...o } = row;
  return o;
};

/**
 * A schedule's settings: its sale window and status asked of catalog's port (never catalog's tables),
 * the admin's overrides from the queue's own `queue_settings`. Cached per process for a short time:
 * every poll needs them, and an admin change reaching the other processes within `cacheMs` is fine
 * for a rate and a cap.
 *
 * Why a read through the port, not a copy fed by catalog's events: a sale opens at `saleOpensAt`, and
 * the first join of a rush must find the schedule then, whatever the relay's or Kafka's lag (a
 * schedule created or moved minutes before its sale, an outbox relay that is behind). The port is the
 * truth at the moment of asking; the cache below makes it one read per schedule per process per
 * `cacheMs`, and catalog's changes reach it through `forget` (pause, resume, cancel) or the cache time.
 * Concurrent misses for one schedule share one read: a rush of 2,000 joins at the opening (or every
 * time the entry expires) costs MySQL one primary-key read, not 2,000 queued behind the pool.
 * An entry past its time is still served (for up to ten times as long) while one read refreshes it
 * in the background, so a join or poll waits on MySQL only for a schedule this process never read.
 */
export class MysqlQueueSettings implements QueueSettingsSource {
  private readonly cache = new Map<number, { at: number; value: QueueSettings | undefined }>();
  private readonly loading = new Map<number, Promise<QueueSettings | undefined>>();
  /** Reads of a schedule's settings so far (tests check that a rush shares them). */
  reads = 0;

  constructor(
    private readonly db: Db,
    private readonly catalog: ScheduleWindowSource,
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
    const [schedule, overrides] = await Promise.all([this.catalog.findSchedule(scheduleId), this.ownRow(scheduleId)]);
    const value = schedule ? resolveSettings({ ...schedule, ...overridesOf(overrides) }, this.defaults) : undefined;
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
    const [schedule, row] = await Promise.all([this.catalog.findSchedule(scheduleId), this.ownRow(scheduleId)]);
    return schedule ? overridesOf(row) : undefined;
  }

  private async ownRow(scheduleId: number) {
    const [row] = await this.db.select().from(queueSettings).where(eq(queueSettings.scheduleId, scheduleId)).limit(1);
    return row;
  }

  /** Changes the overrides given (others stay) and records the admin action in the same transaction. */
  async update(scheduleId: number, o: Partial<QueueOverrides>, adminId: number) {
    if (!(await this.catalog.findSchedule(scheduleId))) return undefined;
    await withTransaction(this.db, async (tx) => {
      const set = Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<QueueOverrides>;
      // No changed column: the upsert touches nothing but still makes the row.
      await tx
        .insert(queueSettings)
        .values({ scheduleId, ...set })
        .onDuplicateKeyUpdate({ set: Object.keys(set).length > 0 ? set : { scheduleId: sql`${queueSettings.scheduleId}` } });
      await appendEvent(tx, 'AdminAction', `admin-${adminId}`, { adminId, action: 'queue.settings', target: `schedule-${scheduleId}`, detail: JSON.stringify(o) }, { userId: adminId });
    });
    this.forget(scheduleId);
    return this.get(scheduleId);
  }
}
