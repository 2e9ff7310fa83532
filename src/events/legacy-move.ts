import { moveLegacyRows } from '../platform/db/legacy-move.js';

/**
 * Before the main set's 0015 drops the events capability's tables from booking's database, copies
 * their rows into the events database (moveLegacyRows): the sales read model's figures and its ledger
 * (so no event counts twice after the move), and the consumers' processed_events. No events move: the
 * read model writes none, and booking's outbox stays in booking's database. The alternative is a
 * rebuild from the log afterwards (`npm run events -- rebuild sales`, docs/events.md).
 */
export const moveLegacyEventsRows = (adminUrl: string, bookingDb: string, eventsDb: string) =>
  moveLegacyRows(adminUrl, bookingDb, eventsDb, { tables: ['schedule_sales', 'schedule_sales_applied', 'processed_events'], aggregateTypes: [] });
