import { index, mysqlEnum, mysqlTable, smallint, uniqueIndex, varchar } from 'drizzle-orm/mysql-core';
import { createdAt, id, jsonText, ts } from '../platform/db/columns.js';
import { entryStatuses } from './domain.js';

// The waiting list owns these three tables. Seats and reservations stay booking's: the waiting list
// decides who gets a released seat, booking writes the hold (both inside one release transaction).

/**
 * One row per schedule that has (or had) a waiting list. Every change to the list, and every release
 * of a seat of the schedule while the row exists, takes this row's lock first: joins, offers,
 * leaves and releases of one schedule take turns, so a seat is matched against a list that cannot
 * change under it. `closed_at` set = closed for good (performance cancelled): no joins, no offers.
 */
export const waitlists = mysqlTable('waitlists', {
  scheduleId: id('schedule_id').primaryKey(),
  closedAt: ts('closed_at'),
  createdAt: createdAt(),
});

/** A buyer's wish for `quantity` more seats of a schedule, optionally of one tier and/or section. */
export const waitlistEntries = mysqlTable(
  'waitlist_entries',
  {
    id: id().autoincrement().primaryKey(),
    scheduleId: id('schedule_id').notNull(),
    userId: id('user_id').notNull(),
    // Seats still wanted: a paid offer smaller than the wish lowers it; 0 means served.
    quantity: smallint('quantity').notNull(),
    tier: varchar('tier', { length: 20 }),
    section: varchar('section', { length: 20 }),
    status: mysqlEnum('status', entryStatuses).notNull(),
    // The live offer's reservation while OFFERED.
    offerReservationId: varchar('offer_reservation_id', { length: 32 }),
    // The user id while the entry is on the list (WAITING or OFFERED), NULL after: the unique index
    // allows one live entry per buyer and schedule (NULLs do not collide).
    activeUserId: id('active_user_id'),
    reason: varchar('reason', { length: 200 }),
    createdAt: createdAt(),
    closedAt: ts('closed_at'),
  },
  (t) => [
    uniqueIndex('waitlist_entries_active_uq').on(t.scheduleId, t.activeUserId),
    index('waitlist_entries_schedule_idx').on(t.scheduleId, t.status, t.id),
    index('waitlist_entries_user_idx').on(t.userId, t.id),
  ],
);

/**
 * Every offer ever made: the reservation that holds the offered seats, whose entry it serves and
 * which release it came from (so a retried release finds the offers it already made). The offer's
 * state is its reservation's status.
 */
export const waitlistOffers = mysqlTable(
  'waitlist_offers',
  {
    reservationId: varchar('reservation_id', { length: 32 }).primaryKey(),
    entryId: id('entry_id').notNull(),
    scheduleId: id('schedule_id').notNull(),
    userId: id('user_id').notNull(),
    releasedFrom: varchar('released_from', { length: 32 }).notNull(),
    seatIds: jsonText('seat_ids').$type<number[]>().notNull(),
    expiresAt: ts('expires_at').notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('waitlist_offers_entry_idx').on(t.entryId), index('waitlist_offers_source_idx').on(t.releasedFrom)],
);
