import { char, index, mysqlEnum, mysqlTable, uniqueIndex, varchar } from 'drizzle-orm/mysql-core';
import { transferStatuses } from '../../workflows/ticketing/transfer-contract.js';
import { id, ts } from '../platform/db/columns.js';

/**
 * Ticketing owns the transfers (docs/tickets.md "Transfer"): one row per offer of one ticket, written
 * by the transfer workflow's activities. Together with the ticket's purchase they are its chain of
 * holders: the buyer, then the recipient of each ACCEPTED transfer in order.
 */
export const ticketTransfers = mysqlTable(
  'ticket_transfers',
  {
    id: char('id', { length: 24 }).primaryKey(),
    ticketId: id('ticket_id').notNull(),
    reservationId: varchar('reservation_id', { length: 32 }).notNull(),
    scheduleId: id('schedule_id').notNull(),
    // Who paid for the ticket (the reservation's user), copied at the offer: the ticket limit counts
    // a moved ticket on its holder, not on its buyer.
    buyerUserId: id('buyer_user_id').notNull(),
    fromUserId: id('from_user_id').notNull(),
    // Known at the offer when the email has an account, else set when someone with it accepts.
    toUserId: id('to_user_id'),
    // The recipient's email: identity's blind index (to find offers made before they signed up) and
    // the address sealed with identity's cipher (read only by transferRecipientContact, for emails).
    recipientEmailIndex: char('recipient_email_index', { length: 64 }).notNull(),
    recipientEmailCipher: varchar('recipient_email_cipher', { length: 512 }).notNull(),
    status: mysqlEnum('status', transferStatuses).notNull(),
    // LAPSED: DEADLINE, or the refusal the move met (TICKET_REFUNDED, TICKET_ADMITTED, TICKET_LIMIT, ...).
    reason: varchar('reason', { length: 40 }),
    // The ticket id while PENDING, NULL once closed: at most one open offer per ticket (unique index).
    pendingTicketId: id('pending_ticket_id'),
    expiresAt: ts('expires_at').notNull(),
    createdAt: ts('created_at').notNull(),
    closedAt: ts('closed_at'),
  },
  (t) => [
    uniqueIndex('ticket_transfers_pending_uq').on(t.pendingTicketId),
    index('ticket_transfers_ticket_idx').on(t.ticketId, t.createdAt),
    index('ticket_transfers_recipient_idx').on(t.recipientEmailIndex, t.status),
    index('ticket_transfers_to_user_idx').on(t.toUserId, t.scheduleId),
    index('ticket_transfers_from_user_idx').on(t.fromUserId, t.createdAt),
    index('ticket_transfers_buyer_idx').on(t.buyerUserId, t.scheduleId),
  ],
);

export type TransferRow = typeof ticketTransfers.$inferSelect;
