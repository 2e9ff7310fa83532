import { moveLegacyRows } from '../platform/db/legacy-move.js';

/**
 * Before the main set's 0009 drops payment's tables from booking's database, copies their rows and
 * the payment and wallet events of booking's outbox into payment's database (moveLegacyRows).
 */
export const moveLegacyPaymentRows = (adminUrl: string, bookingDb: string, paymentDb: string) =>
  moveLegacyRows(adminUrl, bookingDb, paymentDb, {
    tables: ['wallets', 'wallet_ledger', 'payments', 'refunds', 'card_payments', 'provider_events'],
    aggregateTypes: ['payment', 'wallet'],
  });
