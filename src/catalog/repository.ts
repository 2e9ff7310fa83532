import { and, asc, count, desc, eq, gte, inArray, lte, max, min, sql } from 'drizzle-orm';
import { appendEvent } from '../events/index.js';
import { withTransaction, type Db, type DbOrTx } from '../platform/db/client.js';
import { concerts, schedules, seats } from './schema.js';
import { generateSeatMap, type SectionSpec } from './seat-map.js';
import { insertSchedule, type ScheduleSettings } from './schedule-insert.js';
import { DEFAULT_TICKETS_PER_USER, type SeatStatus } from './schedule-rules.js';

export interface NewConcert {
  title: string;
  artist: string;
  description: string;
  venue: string;
  schedules: ScheduleSettings[];
  sections: SectionSpec[];
}

export type { SeatStatus };

export interface SeatRow {
  id: number;
  section: string;
  row: string;
  number: number;
  tier: string;
  price: number;
  status: SeatStatus;
}

export interface ConcertSummary {
  performances: { count: number; firstStartsAt: string; lastStartsAt: string };
  priceRange: { min: number; max: number };
  availability: { total: number; available: number };
}

export { DEFAULT_TICKETS_PER_USER };

export class CatalogRepository {
  constructor(private readonly db: Db) {}

  /** Creates a concert, its schedules and a generated seat map per schedule in one transaction. */
  async createConcert(input: NewConcert, adminId: number | null): Promise<{ concertId: number; scheduleIds: number[]; seatCount: number }> {
    const layout = generateSeatMap(input.sections);
    return withTransaction(this.db, async (tx) => {
      const [c] = await tx.insert(concerts).values({ title: input.title, artist: input.artist, description: input.description, venue: input.venue });
      const concertId = Number(c.insertId);
      const scheduleIds: number[] = [];
      for (const s of input.schedules) scheduleIds.push(await insertSchedule(tx, concertId, s, layout));
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
   * and seats still available (on schedules whose sale is not paused or cancelled), in one grouped
   * query over the concerts' seats. A concert without seats is absent from the map.
   */
  async concertSummaries(concertIds: number[]): Promise<Map<number, ConcertSummary>> {
    if (concertIds.length === 0) return new Map();
    const rows = await this.db
      .select({
        concertId: schedules.concertId,
        first: sql<Date | string>`MIN(${schedules.startsAt})`,
        last: sql<Date | string>`MAX(${schedules.startsAt})`,
        performances: sql<number>`COUNT(DISTINCT ${schedules.id})`,
        minPrice: min(seats.price),
        maxPrice: max(seats.price),
        total: count(),
        available: sql<number>`SUM(${seats.status} = 'AVAILABLE' AND ${schedules.status} = 'SCHEDULED')`,
      })
      .from(seats)
      .innerJoin(schedules, eq(schedules.id, seats.scheduleId))
      .where(inArray(schedules.concertId, concertIds))
      .groupBy(schedules.concertId);
    const iso = (v: Date | string) => (v instanceof Date ? v : new Date(`${v.replace(' ', 'T')}Z`)).toISOString();
    return new Map(
      rows.map((r) => [
        r.concertId,
        {
          performances: { count: Number(r.performances), firstStartsAt: iso(r.first), lastStartsAt: iso(r.last) },
          priceRange: { min: Number(r.minPrice), max: Number(r.maxPrice) },
          availability: { total: Number(r.total), available: Number(r.available ?? 0) },
        },
      ]),
    );
  }

  async findConcert(id: number) {
    const [row] = await this.db.select().from(concerts).where(eq(concerts.id, id)).limit(1);
    return row;
  }

  async findSchedule(id: number, db: DbOrTx = this.db) {
    const [row] = await db.select().from(schedules).where(eq(schedules.id, id)).limit(1);
    return row;
  }

  /** Schedules of a concert with seat counts per status (one grouped query). */
  async schedulesWithAvailability(concertId: number) {
    const rows = await this.db.select().from(schedules).where(eq(schedules.concertId, concertId)).orderBy(asc(schedules.startsAt));
    if (rows.length === 0) return [];
    const counts = await this.db
      .select({ scheduleId: seats.scheduleId, status: seats.status, n: count() })
      .from(seats)
      .where(inArray(seats.scheduleId, rows.map((r) => r.id)))
      .groupBy(seats.scheduleId, seats.status);
    return rows.map((s) => {
      const c = seatCountsOf(counts.filter((row) => row.scheduleId === s.id));
      return { ...s, seats: { total: c.available + c.held + c.sold, ...c } };
    });
  }

  /** Seats of one schedule per status (the waiting room's SeatInventory port: sold out or not). */
  async seatCounts(scheduleId: number): Promise<{ available: number; held: number; sold: number }> {
    return seatCountsOf(await this.db.select({ status: seats.status, n: count() }).from(seats).where(eq(seats.scheduleId, scheduleId)).groupBy(seats.status));
  }

  /**
   * Seats of a schedule of one tier and/or section (null = any): how many there are and how many are
   * AVAILABLE now. The waiting list's join check, run inside its transaction (`db`).
   */
  async seatCountsMatching(scheduleId: number, filter: { tier: string | null; section: string | null }, db: DbOrTx = this.db): Promise<{ total: number; available: number }> {
    const rows = await db
      .select({ status: seats.status, n: count() })
      .from(seats)
      .where(and(eq(seats.scheduleId, scheduleId), filter.tier === null ? undefined : eq(seats.tier, filter.tier), filter.section === null ? undefined : eq(seats.section, filter.section)))
      .groupBy(seats.status);
    const counts = seatCountsOf(rows);
    return { total: counts.available + counts.held + counts.sold, available: counts.available };
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

  /** Seats by id, any schedule (ticketing's labels: section, row, number, tier). */
  async seatsByIds(seatIds: number[]): Promise<SeatRow[]> {
    if (seatIds.length === 0) return [];
    return this.db
      .select({ id: seats.id, section: seats.section, row: seats.row, number: seats.number, tier: seats.tier, price: seats.price, status: seats.status })
      .from(seats)
      .where(inArray(seats.id, seatIds));
  }

  /** Every seat of a schedule with who holds it (the booking allocator's rebuild source: src/booking/seat-locks.ts). */
  async seatInventory(scheduleId: number) {
    return this.db
      .select({ id: seats.id, section: seats.section, row: seats.row, number: seats.number, tier: seats.tier, status: seats.status, reservationId: seats.reservationId, heldUntil: seats.heldUntil })
      .from(seats)
      .where(eq(seats.scheduleId, scheduleId));
  }

  async seatsOfSchedule(scheduleId: number): Promise<SeatRow[]> {
    return this.db
      .select({ id: seats.id, section: seats.section, row: seats.row, number: seats.number, tier: seats.tier, price: seats.price, status: seats.status })
      .from(seats)
      .where(eq(seats.scheduleId, scheduleId))
      .orderBy(asc(seats.id));
  }
}

/** Grouped (status, count) rows of one schedule as counts per seat status (absent = 0). */
function seatCountsOf(rows: Array<{ status: SeatStatus; n: number | string }>): { available: number; held: number; sold: number } {
  const of = (status: SeatStatus) => Number(rows.find((r) => r.status === status)?.n ?? 0);
  return { available: of('AVAILABLE'), held: of('HELD'), sold: of('SOLD') };
}
