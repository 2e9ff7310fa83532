import { and, count, desc, eq } from 'drizzle-orm';
import type { Db } from '../platform/db/client.js';
import type { ReservationStatus } from './domain.js';
import { reservations } from './schema.js';

export interface ReservationFilter {
  userId?: number | undefined;
  scheduleId?: number | undefined;
  status?: ReservationStatus | undefined;
}

/**
 * The back office's reservation search, newest first. Each filter is served by an index
 * (reservations_user_idx, reservations_schedule_idx, reservations_status_expiry_idx).
 */
export class ReservationSearch {
  constructor(private readonly db: Db) {}

  async search(filter: ReservationFilter, page: number, pageSize: number) {
    const where = and(
      filter.userId !== undefined ? eq(reservations.userId, filter.userId) : undefined,
      filter.scheduleId !== undefined ? eq(reservations.scheduleId, filter.scheduleId) : undefined,
      filter.status !== undefined ? eq(reservations.status, filter.status) : undefined,
    );
    const [items, [total]] = await Promise.all([
      this.db
        .select()
        .from(reservations)
        .where(where)
        .orderBy(desc(reservations.createdAt), desc(reservations.id))
        .limit(pageSize)
        .offset((page - 1) * pageSize),
      this.db.select({ n: count() }).from(reservations).where(where),
    ]);
    return { items, total: Number(total?.n ?? 0) };
  }
}
