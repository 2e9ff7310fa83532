import { char, index, int, mysqlTable, primaryKey } from 'drizzle-orm/mysql-core';
import { createdAt, id } from '../platform/db/columns.js';

// Recommendations own their read model: who holds which concert, co-purchase pair counts, and the
// ledger of applied events. All three are rebuilt together from the log (npm run events -- rebuild recommendations).

/** Confirmed, unrefunded reservations a buyer holds per concert (a buyer "holds" it while > 0). */
export const recommendationHoldings = mysqlTable(
  'recommendation_holdings',
  {
    userId: id('user_id').notNull(),
    concertId: id('concert_id').notNull(),
    reservations: int('reservations').notNull(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.concertId] }), index('recommendation_holdings_concert_idx').on(t.concertId, t.reservations)],
);

/** Buyers who hold both concerts, stored in both directions (concert -> other concert). */
export const recommendationPairs = mysqlTable(
  'recommendation_pairs',
  {
    concertId: id('concert_id').notNull(),
    otherConcertId: id('other_concert_id').notNull(),
    buyers: int('buyers').notNull(),
  },
  (t) => [primaryKey({ columns: [t.concertId, t.otherConcertId] }), index('recommendation_pairs_rank_idx').on(t.concertId, t.buyers)],
);

/** Dedup ledger: the reservation events this read model has applied. */
export const recommendationApplied = mysqlTable('recommendation_applied', {
  eventId: char('event_id', { length: 36 }).primaryKey(),
  appliedAt: createdAt(),
});
