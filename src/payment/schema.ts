import { index, mysqlEnum, mysqlTable, uniqueIndex, varchar } from 'drizzle-orm/mysql-core';
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
