import { index, int, mysqlEnum, mysqlTable, primaryKey, uniqueIndex, varchar } from 'drizzle-orm/mysql-core';
import { ts, createdAt, id, money } from '../platform/db/columns.js';
import { reservationStatuses } from './domain.js';
import { FREE_SEAT_STATUS, seatStatuses } from './seat-status.js';

// Booking owns reservations, the seats each one holds, the status of every seat on a schedule, and
// the per-user ticket-limit lock rows.

export const reservations = mysqlTable(
  'reservations',
  {
    id: varchar('id', { length: 32 }).primaryKey(),
    userId: id('user_id').notNull(),
    scheduleId: id('schedule_id').notNull(),
    concertId: id('concert_id').notNull(),
    status: mysqlEnum('status', reservationStatuses).notNull(),
    amount: money('amount').notNull(),
    expiresAt: ts('expires_at').notNull(),
    confirmedAt: ts('confirmed_at'),
    closedAt: ts('closed_at'),
    reason: varchar('reason', { length: 200 }),
    // Set once booking allowed a refund (no ticket admitted): from then on a door scan refuses the
    // ticket, before payment has moved the money back (src/booking/repository.ts startRefund).
    refundStartedAt: ts('refund_started_at'),
    version: int('version').notNull().default(0),
    createdAt: createdAt(),
  },
  (t) => [
    index('reservations_user_idx').on(t.userId, t.createdAt),
    index('reservations_status_expiry_idx').on(t.status, t.expiresAt),
    index('reservations_schedule_idx').on(t.scheduleId, t.status),
  ],
);

export const reservationSeats = mysqlTable(
  'reservation_seats',
  {
    reservationId: varchar('reservation_id', { length: 32 }).notNull(),
    seatId: id('seat_id').notNull(),
    price: int('price').notNull(),
    // Set while the reservation holds or owns the seat, NULL once released: a UNIQUE index over it
    // is the last guard against one seat in two live reservations (NULLs do not collide).
    activeSeatId: id('active_seat_id'),
  },
  (t) => [primaryKey({ columns: [t.reservationId, t.seatId] }), uniqueIndex('reservation_seats_active_uq').on(t.activeSeatId)],
);

/**
 * One row per (user, schedule) that ever held a seat: the hold transaction locks it first, so one
 * user's concurrent holds on one schedule take turns counting their seats against the ticket limit
 * (different users never wait on each other). The row carries no data; it is only the lock.
 */
export const ticketLimitLocks = mysqlTable(
  'ticket_limit_locks',
  {
    userId: id('user_id').notNull(),
    scheduleId: id('schedule_id').notNull(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.scheduleId] })],
);

/**
 * The status of each seat of a schedule (issue 27): booking's, written only by its hold, confirm and
 * release transactions. Catalog's `seats` keeps the layout (section, row, number, tier, price); a row
 * here is created for each seat when catalog creates the schedule (SeatStatusRepository.createFor,
 * in catalog's transaction) and keyed by catalog's seat id.
 */
export const seatStatus = mysqlTable(
  'seat_status',
  {
    seatId: id('seat_id').primaryKey(),
    scheduleId: id('schedule_id').notNull(),
    status: mysqlEnum('status', seatStatuses).notNull().default(FREE_SEAT_STATUS),
    reservationId: varchar('reservation_id', { length: 32 }),
    heldUntil: ts('held_until'),
    // Optimistic lock: every change bumps it; a hold succeeds only against the version it read.
    version: int('version').notNull().default(0),
  },
  (t) => [index('seat_status_schedule_status_idx').on(t.scheduleId, t.status), index('seat_status_reservation_idx').on(t.reservationId)],
);
