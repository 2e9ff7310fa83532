import { int, mysqlEnum, mysqlTable } from 'drizzle-orm/mysql-core';
import { id } from '../platform/db/columns.js';

/**
 * The waiting room's own table (issue 27: each table has one owner): an admin's per-schedule
 * overrides, null = the configured default. A schedule without a row uses every default. The sale
 * window and status are catalog's: the queue reads them through catalog's port (settings.ts).
 * Moved out of catalog's `schedules` by the main set's 0012.
 */
export const queueSettings = mysqlTable('queue_settings', {
  scheduleId: id('schedule_id').primaryKey(),
  mode: mysqlEnum('mode', ['auto', 'manual']),
  maxActive: int('max_active'),
  admitRatePerSec: int('admit_rate'),
  minAdmitRate: int('min_admit_rate'),
  maxAdmitRate: int('max_admit_rate'),
  targetP99Ms: int('target_p99_ms'),
});
