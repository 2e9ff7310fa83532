import { and, asc, eq, gt } from 'drizzle-orm';
import type { Db } from '../platform/db/client.js';
import type { TicketCatalog } from './contracts.js';
import { tickets } from './schema.js';

/** One line of a performance's attendee list. */
export interface Attendee {
  ticketId: number;
  reservationId: string;
  section: string;
  row: string;
  number: number;
  tier: string;
  holderId: number;
  holder: string;
  /** VALID, USED (admitted) or VOID (refunded, or the performance cancelled): as the door decides. */
  state: 'VALID' | 'USED' | 'VOID';
  admittedAt: string | null;
}

/** What the list needs from booking (is the purchase still standing?) and identity (holders' names). */
export interface AttendeeSources {
  catalog: TicketCatalog;
  reservationStatuses(ids: string[]): Promise<Map<string, string>>;
  holderNames(userIds: number[]): Promise<Map<number, string>>;
}

/**
 * A performance's tickets, page by page (keyset on the ticket id), so an export of 50,000 tickets
 * holds one page in memory at a time.
 */
export async function* attendeesOf(db: Db, sources: AttendeeSources, scheduleId: number, pageSize = 1000): AsyncGenerator<Attendee> {
  const schedule = await sources.catalog.findSchedule(scheduleId);
  const cancelled = schedule?.status === 'CANCELLING' || schedule?.status === 'CANCELLED';
  let after = 0;
  for (;;) {
    const page = await db.select().from(tickets).where(and(eq(tickets.scheduleId, scheduleId), gt(tickets.id, after))).orderBy(asc(tickets.id)).limit(pageSize);
    if (page.length === 0) return;
    after = page[page.length - 1]!.id;
    const [seats, statuses, names] = await Promise.all([
      sources.catalog.seatsByIds([...new Set(page.map((t) => t.seatId))]),
      sources.reservationStatuses([...new Set(page.map((t) => t.reservationId))]),
      sources.holderNames([...new Set(page.map((t) => t.userId))]),
    ]);
    const seatById = new Map(seats.map((s) => [s.id, s]));
    for (const t of page) {
      const seat = seatById.get(t.seatId);
      const standing = statuses.get(t.reservationId) === 'CONFIRMED' && !cancelled;
      yield {
        ticketId: t.id,
        reservationId: t.reservationId,
        section: seat?.section ?? '',
        row: seat?.row ?? '',
        number: seat?.number ?? 0,
        tier: seat?.tier ?? '',
        holderId: t.userId,
        holder: names.get(t.userId) ?? '',
        state: !standing ? 'VOID' : t.admittedAt ? 'USED' : 'VALID',
        admittedAt: t.admittedAt?.toISOString() ?? null,
      };
    }
  }
}
