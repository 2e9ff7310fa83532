import { index, int, mysqlEnum, mysqlTable, smallint, text, uniqueIndex, varchar } from 'drizzle-orm/mysql-core';
import { ts, createdAt, id } from '../platform/db/columns.js';
import { DEFAULT_SEATS_PER_RESERVATION, DEFAULT_TICKETS_PER_USER, scheduleStatuses } from './schedule-rules.js';

// The catalog owns concerts, schedules and the layout of each schedule's seats. A seat's status is
// booking's (seat_status, src/booking/schema.ts), read through the SeatStatusPort (seat-status-port.ts).
export const concerts = mysqlTable(
  'concerts',
  {
    id: id().autoincrement().primaryKey(),
    title: varchar('title', { length: 200 }).notNull(),
    artist: varchar('artist', { length: 200 }).notNull(),
    description: text('description').notNull(),
    venue: varchar('venue', { length: 200 }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('concerts_title_idx').on(t.title)],
);

export const schedules = mysqlTable(
  'schedules',
  {
    id: id().autoincrement().primaryKey(),
    concertId: id('concert_id').notNull(),
    startsAt: ts('starts_at').notNull(),
    saleOpensAt: ts('sale_opens_at').notNull(),
    saleClosesAt: ts('sale_closes_at').notNull(),
    // SCHEDULED <-> PAUSED (sale paused by the organiser); CANCELLING while the cancellation
    // workflow refunds, then CANCELLED (src/catalog/schedule-rules.ts).
    status: mysqlEnum('status', scheduleStatuses).notNull().default('SCHEDULED'),
    maxSeatsPerReservation: smallint('max_seats_per_reservation').notNull().default(DEFAULT_SEATS_PER_RESERVATION),
    // Seats one user may hold or own on this schedule, over all their reservations (anti-hoarding).
    maxTicketsPerUser: smallint('max_tickets_per_user').notNull().default(DEFAULT_TICKETS_PER_USER),
    // How long a new hold on this schedule lasts; null means HOLD_TTL_SECONDS.
    holdTtlSeconds: int('hold_ttl_seconds'),
    // The waiting room's per-schedule settings are the queue's own table (src/queue/schema.ts).
    createdAt: createdAt(),
  },
  (t) => [index('schedules_concert_idx').on(t.concertId, t.startsAt), index('schedules_starts_idx').on(t.startsAt)],
);

export const seats = mysqlTable(
  'seats',
  {
    id: id().autoincrement().primaryKey(),
    scheduleId: id('schedule_id').notNull(),
    section: varchar('section', { length: 20 }).notNull(),
    row: varchar('row_label', { length: 10 }).notNull(),
    number: smallint('seat_number').notNull(),
    tier: varchar('tier', { length: 20 }).notNull(),
    price: int('price').notNull(),
  },
  (t) => [uniqueIndex('seats_position_uq').on(t.scheduleId, t.section, t.row, t.number)],
);
