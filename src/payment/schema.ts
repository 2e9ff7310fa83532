import { index, int, mysqlEnum, mysqlTable, uniqueIndex, varchar } from 'drizzle-orm/mysql-core';
import { ts, createdAt, id, money } from '../platform/db/columns.js';

// Payment owns the wallets, their ledger, payments and refunds.
export const wallets = mysqlTable('wallets', {
  userId: id('user_id').primaryKey(),
  balance: money('balance').notNull().default(0),
  updatedAt: ts('updated_at').notNull().$defaultFn(() => new Date()),
});

export const walletLedger = mysqlTable(
  'wallet_ledger',
  {
    id: id().autoincrement().primaryKey(),
    userId: id('user_id').notNull(),
    kind: mysqlEnum('kind', ['CHARGE', 'PAYMENT', 'REFUND', 'ADJUSTMENT']).notNull(),
    amount: money('amount').notNull(), // signed: charges and refunds positive, payments negative, adjustments either
    balanceAfter: money('balance_after').notNull(),
    // What caused the movement (charge idempotency key, reservation id); unique per kind, so a
    // retried debit or refund cannot move money twice.
    reference: varchar('reference', { length: 100 }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('wallet_ledger_reference_uq').on(t.userId, t.kind, t.reference)],
);

export const payments = mysqlTable(
  'payments',
  {
    id: id().autoincrement().primaryKey(),
    reservationId: varchar('reservation_id', { length: 32 }).notNull().unique(),
    userId: id('user_id').notNull(),
    amount: money('amount').notNull(),
    status: mysqlEnum('status', ['SUCCEEDED', 'REFUNDED']).notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('payments_user_idx').on(t.userId)],
);

export const refunds = mysqlTable('refunds', {
  id: id().autoincrement().primaryKey(),
  paymentId: id('payment_id').notNull().unique(),
  reservationId: varchar('reservation_id', { length: 32 }).notNull(),
  amount: money('amount').notNull(),
  reason: varchar('reason', { length: 200 }).notNull(),
  createdAt: createdAt(),
});

/**
 * Card payments through the provider (docs/payments.md): one provider payment (a Stripe
 * PaymentIntent) per reservation. A success becomes a `payments` row like a wallet payment; a refund
 * a `refunds` row; `refundId` is the provider's refund, so a refund is never asked for twice.
 */
export const cardPayments = mysqlTable(
  'card_payments',
  {
    reservationId: varchar('reservation_id', { length: 32 }).primaryKey(),
    userId: id('user_id').notNull(),
    provider: varchar('provider', { length: 20 }).notNull(),
    providerPaymentId: varchar('provider_payment_id', { length: 255 }).notNull().unique(),
    amount: money('amount').notNull(),
    currency: varchar('currency', { length: 3 }).notNull(),
    // PENDING: created, not paid; FAILED: the latest attempt was declined (the buyer may retry);
    // LATE_REFUNDED: it succeeded after the reservation closed and was refunded (never applied).
    status: mysqlEnum('status', ['PENDING', 'SUCCEEDED', 'FAILED', 'CANCELED', 'REFUNDED', 'LATE_REFUNDED']).notNull(),
    failedAttempts: int('failed_attempts').notNull().default(0),
    lastError: varchar('last_error', { length: 200 }),
    providerRefundId: varchar('provider_refund_id', { length: 255 }),
    createdAt: createdAt(),
    updatedAt: ts('updated_at').notNull().$defaultFn(() => new Date()),
  },
  (t) => [index('card_payments_user_idx').on(t.userId), index('card_payments_created_idx').on(t.createdAt)],
);

/** Provider webhook events already handled, by the provider's event id (a redelivery is a no-op). */
export const providerEvents = mysqlTable('provider_events', {
  eventId: varchar('event_id', { length: 255 }).primaryKey(),
  type: varchar('type', { length: 100 }).notNull(),
  providerPaymentId: varchar('provider_payment_id', { length: 255 }),
  receivedAt: createdAt(),
});
