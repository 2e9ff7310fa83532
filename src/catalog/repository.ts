import { and, asc, count, desc, eq, gte, inArray, lte, max, min, sql } from 'drizzle-orm';
import { appendEvent } from '../events/index.js';
import { withTransaction, type Db, type DbOrTx } from '../platform/db/client.js';
import { concerts, schedules, seats } from './schema.js';
import { generateSeatMap, type SectionSpec } from './seat-map.js';
import { insertSchedule, type ScheduleSettings } from './schedule-insert.js';
import { DEFAULT_TICKETS_PER_USER } from './schedule-rules.js';
import type { SeatCounts, SeatStatusPort } from './seat-status-port.js';

export interface NewConcert {
  title: string;
  artist: string;
  description: string;
  venue: string;
  schedules: ScheduleSettings[];
  sections: SectionSpec[];
}

/** A seat of the venue layout (catalog's): where it is and what it costs. */
export interface SeatLayoutRow {
  id: number;
  section: string;
  row: string;
  number: number;
  tier: string;
  price: number;
}

/** A seat of the seat map: catalog's layout with booking's status (SeatStatusPort). */
export interface SeatRow extends SeatLayoutRow {
  status: string;
}

export interface ConcertSummary {
  performances: { count: number; firstStartsAt: string; lastStartsAt: string };
  priceRange: { min: number; max: number };
  availability: { total: number; available: number };
}

export { DEFAULT_TICKETS_PER_USER };

export class CatalogRepository {
  /**
   * `seatStatus`: booking's port, for what needs a seat's status (counts, the seat map, creating a
   * schedule's seats). Processes that read only concerts, schedules or the layout may leave it out.
   */
  constructor(
    private readonly db: Db,
    private readonly seatStatus?: SeatStatusPort,
  ) {}

  /** Booking's seat status port; a clear error where a process did not wire it. */
  private get statuses(): SeatStatusPort {
    if (!this.seatStatus) throw new Error("this CatalogRepository was built without booking's SeatStatusPort");
    return this.seatStatus;
  }

  /** Creates a concert, its schedules and a generated seat map per schedule in one transaction. */
  async createConcert(input: NewConcert, adminId: number | null): Promise<{ concertId: number; scheduleIds: number[]; seatCount: number }> {
    const layout = generateSeatMap(input.sections);
    return withTransaction(this.db, async (tx) => {
      const [c] = await tx.insert(concerts).values({ title: input.title, artist: input.artist, description: input.description, venue: input.venue });
      const concertId = Number(c.insertId);
      const scheduleIds: number[] = [];
      for (const s of input.schedules) scheduleIds.push(await insertSchedule(tx, concertId, s, layout, this.statuses));
      const seatCount = layout.length * scheduleIds.length;
      await appendEvent(tx, 'ConcertCreated', concertId, { concertId, title: input.title, scheduleIds, seatCount, adminId }, { userId: adminId });
      // The audit log reads AdminAction events: an admin's concert is one (the seed's has no admin).
      if (adminId !== null) {
        const detail = JSON.stringify({ title: input.title, scheduleIds, seatCount });
        await appendEvent(tx, 'AdminAction', `admin-${adminId}`, { adminId, action: 'concert.create', target: `concert-${concertId}`, detail }, { userId: adminId });
      }
      return { concertId, scheduleIds, seatCount };
    });
  }

  /** Concerts having a performance in [from, to] (either bound optional), newest first. */
  async listConcerts(opts: { page: number; pageSize: number; from?: Date | undefined; to?: Date | undefined }) {
    const dateFilter = and(opts.from ? gte(schedules.startsAt, opts.from) : undefined, opts.to ? lte(schedules.startsAt, opts.to) : undefined);
    const filtered = opts.from || opts.to;
    const where = filtered
      ? inArray(concerts.id, this.db.selectDistinct({ id: schedules.concertId }).from(schedules).where(dateFilter))
      : undefined;
    const [items, [total]] = await Promise.all([
      this.db
        .select()
        .from(concerts)
        .where(where)
        .orderBy(desc(concerts.id))
        .limit(opts.pageSize)
        .offset((opts.page - 1) * opts.pageSize),
      this.db.select({ n: count() }).from(concerts).where(where),
    ]);
    return { items, total: Number(total?.n ?? 0) };
  }

  /**
   * What a buyer sees of each concert beside its title: first and last performance, the price range
   * and seats still available (on schedules whose sale is not paused or cancelled): the layout in one
   * grouped query over the concerts' seats, the free seats counted by booking (SeatStatusPort). A
   * concert without seats is absent from the map.
   */
  async concertSummaries(concertIds: number[]): Promise<Map<number, ConcertSummary>> {
    if (concertIds.length === 0) return new Map();
    const rows = await this.db
      .select({ concertId: schedules.concertId, scheduleId: schedules.id, startsAt: schedules.startsAt, status: schedules.status, minPrice: min(seats.price), maxPrice: max(seats.price), total: count() })
      .from(seats)
      .innerJoin(schedules, eq(schedules.id, seats.scheduleId))
      .where(inArray(schedules.concertId, concertIds))
      .groupBy(schedules.id, schedules.concertId, schedules.startsAt, schedules.status);
    const onSale = rows.filter((r) => r.status === 'SCHEDULED').map((r) => r.scheduleId);
    const counts = await this.statuses.countsOf(onSale);
    const out = new Map<number, ConcertSummary>();
    for (const concertId of new Set(rows.map((r) => r.concertId))) {
      const mine = rows.filter((r) => r.concertId === concertId);
      const starts = mine.map((r) => r.startsAt.getTime());
      out.set(concertId, {
        performances: { count: mine.length, firstStartsAt: new Date(Math.min(...starts)).toISOString(), lastStartsAt: new Date(Math.max(...starts)).toISOString() },
        priceRange: { min: Math.min(...mine.map((r) => Number(r.minPrice))), max: Math.max(...mine.map((r) => Number(r.maxPrice))) },
        availability: { total: mine.reduce((n, r) => n + Number(r.total), 0), available: mine.reduce((n, r) => n + (counts.get(r.scheduleId)?.available ?? 0), 0) },
      });
    }
    return out;
  }

  async findConcert(id: number) {
    const [row] = await this.db.select().from(concerts).where(eq(concerts.id, id)).limit(1);
    return row;
  }

  async findSchedule(id: number, db: DbOrTx = this.db) {
    const [row] = await db.select().from(schedules).where(eq(schedules.id, id)).limit(1);
    return row;
  }

  /** Schedules of a concert with seat counts per status (booking's counts, SeatStatusPort). */
  async schedulesWithAvailability(concertId: number) {
    const rows = await this.db.select().from(schedules).where(eq(schedules.concertId, concertId)).orderBy(asc(schedules.startsAt));
    if (rows.length === 0) return [];
    const counts = await this.statuses.countsOf(rows.map((r) => r.id));
    return rows.map((s) => ({ ...s, seats: counts.get(s.id) ?? this.noSeats() }));
  }

  /**
   * Seats of a schedule of one tier and/or section (null = any): how many there are and how many are
   * AVAILABLE now. The waiting list's join check: the layout here, the statuses counted by booking.
   */
  async seatCountsMatching(scheduleId: number, filter: { tier: string | null; section: string | null }, db: DbOrTx = this.db): Promise<{ total: number; available: number }> {
    const rows = await db
      .select({ id: seats.id })
      .from(seats)
      .where(and(eq(seats.scheduleId, scheduleId), filter.tier === null ? undefined : eq(seats.tier, filter.tier), filter.section === null ? undefined : eq(seats.section, filter.section)));
    if (rows.length === 0) return { total: 0, available: 0 };
    const counts = await this.statuses.countsAmong(scheduleId, rows.map((r) => r.id), db);
    return { total: rows.length, available: counts.available ?? 0 };
  }

  /** Lowest and highest seat id of a schedule and how many seats it has (seat maps never change). */
  async seatIdSpan(scheduleId: number): Promise<{ min: number; max: number; count: number }> {
    const [row] = await this.db.select({ min: min(seats.id), max: max(seats.id), n: count() }).from(seats).where(eq(seats.scheduleId, scheduleId));
    return { min: Number(row?.min ?? 0), max: Number(row?.max ?? -1), count: Number(row?.n ?? 0) };
  }

  /** Which of these seat ids belong to the schedule. */
  async seatIdsIn(scheduleId: number, seatIds: number[]): Promise<number[]> {
    const rows = await this.db.select({ id: seats.id }).from(seats).where(and(eq(seats.scheduleId, scheduleId), inArray(seats.id, seatIds)));
    return rows.map((r) => r.id);
  }

  /** Seats by id, any schedule (ticketing's labels, booking's held seats: section, row, number, tier, price). */
  async seatsByIds(seatIds: number[], db: DbOrTx = this.db): Promise<SeatLayoutRow[]> {
    return seatLayoutOf(db, seatIds);
  }

  /** A schedule's layout (no status), seat id order: booking's Redis inventory and the seat map build on it. */
  async layoutOf(scheduleId: number): Promise<SeatLayoutRow[]> {
    return scheduleLayoutOf(this.db, scheduleId);
  }

  /** The seat map: the layout with booking's status of each seat. */
  async seatsOfSchedule(scheduleId: number): Promise<SeatRow[]> {
    const [layout, statuses] = await Promise.all([this.layoutOf(scheduleId), this.statuses.statusesOf(scheduleId)]);
    return layout.map((s) => ({ ...s, status: statuses.get(s.id) ?? this.statuses.statuses[0] }));
  }

  /** Counts of a schedule without seats: every status 0. */
  private noSeats(): SeatCounts {
    return { total: 0, ...Object.fromEntries(this.statuses.statuses.map((s) => [s.toLowerCase(), 0])) } as SeatCounts;
  }
}

/** A schedule's layout, seat id order (booking's Redis inventory rebuilds from it). */
export async function scheduleLayoutOf(db: DbOrTx, scheduleId: number): Promise<SeatLayoutRow[]> {
  return db
    .select({ id: seats.id, section: seats.section, row: seats.row, number: seats.number, tier: seats.tier, price: seats.price })
    .from(seats)
    .where(eq(seats.scheduleId, scheduleId))
    .orderBy(asc(seats.id));
}

/**
 * Seats' layout by id (section, row, number, tier, price), in seat id order, in the caller's
 * transaction: booking's hold reads the seats it holds with it (src/booking/repository.ts).
 */
export async function seatLayoutOf(db: DbOrTx, seatIds: number[]): Promise<SeatLayoutRow[]> {
  if (seatIds.length === 0) return [];
  return db
    .select({ id: seats.id, section: seats.section, row: seats.row, number: seats.number, tier: seats.tier, price: seats.price })
    .from(seats)
    .where(inArray(seats.id, seatIds))
    .orderBy(asc(seats.id));
}

/**
 * The schedule as a hold needs it (status, per-user ticket limit, hold TTL), share-locked until the
 * caller's transaction ends: a pause or a cancellation (which update the schedule row) waits for
 * holds in flight, and every later hold sees it. Undefined when the schedule does not exist.
 */
export async function lockScheduleForHold(tx: DbOrTx, scheduleId: number): Promise<{ status: string; limit: number; holdTtlSeconds: number | null } | undefined> {
  // Raw SQL for the lock: MariaDB knows LOCK IN SHARE MODE, not the FOR SHARE drizzle would write.
  const [rows] = (await tx.execute(sql`
    SELECT ${schedules.status} AS status, ${schedules.maxTicketsPerUser} AS \`limit\`, ${schedules.holdTtlSeconds} AS holdTtlSeconds
    FROM ${schedules} WHERE ${schedules.id} = ${scheduleId} LOCK IN SHARE MODE`)) as unknown as [Array<{ status: string; limit: number; holdTtlSeconds: number | null }>];
  const row = rows[0];
  return row && { status: row.status, limit: Number(row.limit), holdTtlSeconds: row.holdTtlSeconds === null ? null : Number(row.holdTtlSeconds) };
}

/** A schedule's per-buyer ticket limit (0 when it does not exist), read in the caller's transaction without a lock. */
export async function ticketLimitOf(db: DbOrTx, scheduleId: number): Promise<number> {
  const [row] = await db.select({ limit: schedules.maxTicketsPerUser }).from(schedules).where(eq(schedules.id, scheduleId));
  return Number(row?.limit ?? 0);
}
