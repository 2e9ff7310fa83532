import { and, count, eq, inArray } from 'drizzle-orm';
import type { DbOrTx, Db, Tx } from '../platform/db/client.js';
import { scheduleLayoutOf, type SeatLayoutRow, type SeatStatusPort } from '../catalog/index.js';
import type { InventorySeat } from './seat-inventory-layout.js';
import { seatStatus } from './schema.js';
import { FREE_SEAT_STATUS, seatCountsOf, seatStatuses, type SeatCounts, type SeatStatus } from './seat-status.js';

/**
 * Booking's seat statuses as catalog asks for them (catalog's SeatStatusPort): the one place seats
 * are counted per status, and where a new schedule's seats get their rows. The hold, confirm and
 * release transactions change the rows (src/booking/repository.ts).
 */
export class SeatStatusRepository implements SeatStatusPort {
  readonly statuses = seatStatuses;

  /**
   * `layouts`: where the inventory's rebuild reads the venue layout. The API passes catalog's cached
   * layout (the seat map's), so a cold seat map and a cold inventory share one layout query; left
   * out, the layout is read from MySQL.
   */
  constructor(
    private readonly db: Db,
    private readonly layouts?: { layoutOf(scheduleId: number): Promise<SeatLayoutRow[]> },
  ) {}

  /** Free rows for a new schedule's seats, 1,000 per statement; INSERT IGNORE keeps rows that exist (a retry). */
  async createFor(tx: Tx, scheduleId: number, seatIds: number[]): Promise<void> {
    for (let i = 0; i < seatIds.length; i += 1000) {
      await tx.insert(seatStatus).ignore().values(seatIds.slice(i, i + 1000).map((seatId) => ({ seatId, scheduleId })));
    }
  }

  /** Seats per status of one schedule (the waiting room's sold-out check, the seat counts). */
  async counts(scheduleId: number): Promise<SeatCounts> {
    return (await this.countsOf([scheduleId])).get(scheduleId) ?? seatCountsOf([]);
  }

  async countsOf(scheduleIds: number[], db: DbOrTx = this.db): Promise<Map<number, SeatCounts>> {
    if (scheduleIds.length === 0) return new Map();
    const rows = await db
      .select({ scheduleId: seatStatus.scheduleId, status: seatStatus.status, n: count() })
      .from(seatStatus)
      .where(inArray(seatStatus.scheduleId, scheduleIds))
      .groupBy(seatStatus.scheduleId, seatStatus.status);
    return new Map([...new Set(rows.map((r) => r.scheduleId))].map((id) => [id, seatCountsOf(rows.filter((r) => r.scheduleId === id))]));
  }

  async countsAmong(scheduleId: number, seatIds: number[], db: DbOrTx = this.db): Promise<SeatCounts> {
    if (seatIds.length === 0) return seatCountsOf([]);
    const rows = await db
      .select({ status: seatStatus.status, n: count() })
      .from(seatStatus)
      .where(and(eq(seatStatus.scheduleId, scheduleId), inArray(seatStatus.seatId, seatIds)))
      .groupBy(seatStatus.status);
    return seatCountsOf(rows);
  }

  async statusesOf(scheduleId: number): Promise<Map<number, SeatStatus>> {
    return new Map((await this.rowsOf(scheduleId)).map((r) => [r.seatId, r.status]));
  }

  /** The Redis inventory's rebuild source (src/booking/seat-locks.ts): catalog's layout with each seat's status and holder. */
  async seatInventory(scheduleId: number): Promise<InventorySeat[]> {
    const [layout, rows] = await Promise.all([this.layouts ? this.layouts.layoutOf(scheduleId) : scheduleLayoutOf(this.db, scheduleId), this.rowsOf(scheduleId)]);
    const byId = new Map(rows.map((r) => [r.seatId, r]));
    return layout.map((s) => {
      const row = byId.get(s.id);
      return { id: s.id, section: s.section, row: s.row, number: s.number, tier: s.tier, status: row?.status ?? FREE_SEAT_STATUS, reservationId: row?.reservationId ?? null, heldUntil: row?.heldUntil ?? null };
    });
  }

  private async rowsOf(scheduleId: number) {
    return this.db
      .select({ seatId: seatStatus.seatId, status: seatStatus.status, reservationId: seatStatus.reservationId, heldUntil: seatStatus.heldUntil })
      .from(seatStatus)
      .where(eq(seatStatus.scheduleId, scheduleId));
  }
}
