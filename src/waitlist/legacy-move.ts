import { moveLegacyRows } from '../platform/db/legacy-move.js';

/**
 * Before the main set's 0012 drops the waiting list's tables from booking's database, copies their
 * rows and the waitlist events of booking's outbox into the waiting list's own database.
 */
export const moveLegacyWaitlistRows = (adminUrl: string, bookingDb: string, waitlistDb: string) =>
  moveLegacyRows(adminUrl, bookingDb, waitlistDb, { tables: ['waitlists', 'waitlist_entries', 'waitlist_offers'], aggregateTypes: ['waitlist'] });
