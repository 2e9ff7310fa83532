import { moveLegacyRows } from '../platform/db/legacy-move.js';

/**
 * Before the main set's 0014 drops the accounts from booking's database, copies the users (with
 * their ids, and booking's id counter) and the user and security events of booking's outbox into
 * identity's own database (moveLegacyRows). AdminAction events stay in booking's outbox, where
 * catalog and the queue keep appending theirs.
 */
export const moveLegacyIdentityRows = (adminUrl: string, bookingDb: string, identityDb: string) =>
  moveLegacyRows(adminUrl, bookingDb, identityDb, { tables: ['users'], aggregateTypes: ['user', 'security'] });
