import { eq } from 'drizzle-orm';
import type { Tx } from '../platform/db/client.js';
import { DEFAULT_SEATS_PER_RESERVATION, DEFAULT_TICKETS_PER_USER } from './schedule-rules.js';
import { schedules, seats } from './schema.js';
import type { SeatSpec } from './seat-map.js';
import type { SeatStatusPort } from './seat-status-port.js';

/** A performance's own settings; absent limits take the defaults (schedule-rules.ts). */
export interface ScheduleSettings {
  startsAt: Date;
  saleOpensAt: Date;
  saleClosesAt: Date;
  maxSeatsPerReservation?: number | undefined;
  maxTicketsPerUser?: number | undefined;
  holdTtlSeconds?: number | undefined;
}

/**
 * Inserts one schedule and its generated seat map inside the caller's transaction (a new concert's
 * schedules, or one added later): the one place a schedule row is written. Seats go in batches of
 * 1,000 rows, each one statement. Booking then creates the seats' statuses in the same transaction
 * (its SeatStatusPort), so no schedule is ever seen with seats but no status.
 */
export async function insertSchedule(tx: Tx, concertId: number, s: ScheduleSettings, layout: readonly SeatSpec[], seatStatus: SeatStatusPort): Promise<number> {
  const [r] = await tx.insert(schedules).values({
    concertId,
    startsAt: s.startsAt,
    saleOpensAt: s.saleOpensAt,
    saleClosesAt: s.saleClosesAt,
    maxSeatsPerReservation: s.maxSeatsPerReservation ?? DEFAULT_SEATS_PER_RESERVATION,
    maxTicketsPerUser: s.maxTicketsPerUser ?? DEFAULT_TICKETS_PER_USER,
    holdTtlSeconds: s.holdTtlSeconds ?? null,
  });
  const scheduleId = Number(r.insertId);
  for (let i = 0; i < layout.length; i += 1000) {
    await tx.insert(seats).values(layout.slice(i, i + 1000).map((seat) => ({ ...seat, scheduleId })));
  }
  const created = await tx.select({ id: seats.id }).from(seats).where(eq(seats.scheduleId, scheduleId));
  await seatStatus.createFor(tx, scheduleId, created.map((r) => r.id));
  return scheduleId;
}
