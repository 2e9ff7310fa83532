import { char, index, mysqlTable, uniqueIndex, varchar } from 'drizzle-orm/mysql-core';
import { ts, id } from '../platform/db/columns.js';

/**
 * Ticketing owns the tickets: one row per seat of a confirmed reservation, written in the
 * transaction that confirms it (booking calls issueTickets). The row carries no status column: a
 * ticket is void exactly when its reservation is no longer CONFIRMED (refunded) or its performance is
 * cancelled, read at scan time, so a refund can never leave a ticket that still admits.
 */
export const tickets = mysqlTable(
  'tickets',
  {
    id: id().autoincrement().primaryKey(),
    reservationId: varchar('reservation_id', { length: 32 }).notNull(),
    seatId: id('seat_id').notNull(),
    scheduleId: id('schedule_id').notNull(),
    userId: id('user_id').notNull(),
    // 16 random bytes in hex (hex, not base64: the column's collation ignores case): the code's
    // unguessable part; codes.ts adds the HMAC signature.
    serial: char('serial', { length: 32 }).notNull(),
    issuedAt: ts('issued_at').notNull(),
    // The first admitting scan; set once (the scan transaction holds the row lock), never cleared.
    admittedAt: ts('admitted_at'),
    admittedBy: id('admitted_by'),
  },
  (t) => [
    uniqueIndex('tickets_serial_uq').on(t.serial),
    // One ticket per seat of a reservation: a retried confirmation cannot issue a second one.
    uniqueIndex('tickets_reservation_seat_uq').on(t.reservationId, t.seatId),
    index('tickets_schedule_idx').on(t.scheduleId),
  ],
);
