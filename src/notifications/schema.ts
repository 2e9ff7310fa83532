import { index, int, mysqlEnum, mysqlTable, primaryKey, varchar } from 'drizzle-orm/mysql-core';
import { createdAt, id, jsonText, ts } from '../platform/db/columns.js';

// Notifications owns its database (docs/production.md "Databases"): what it sent and what it still
// has to send later. It writes no domain events, so it has no outbox.

/**
 * One row per email sent, keyed by the event that caused it and the template: the row is inserted in
 * the transaction that is open while the SMTP server accepts the message, so a redelivered event (or a
 * second relay racing on it) finds the row, or waits on its lock, and sends nothing.
 */
export const sentEmails = mysqlTable(
  'sent_emails',
  {
    eventId: varchar('event_id', { length: 64 }).notNull(),
    template: varchar('template', { length: 64 }).notNull(),
    // Null for an address with no account yet (a ticket transfer offered to it).
    userId: id('user_id'),
    locale: varchar('locale', { length: 8 }).notNull(),
    // The Message-ID we gave it (derived from event and template, so a resend would carry the same).
    messageId: varchar('message_id', { length: 200 }).notNull(),
    sentAt: ts('sent_at').notNull().$defaultFn(() => new Date()),
  },
  (t) => [primaryKey({ columns: [t.eventId, t.template] }), index('sent_emails_user_idx').on(t.userId)],
);

/**
 * Emails due later (the "your hold expires soon" reminder): written when the event is consumed, sent by
 * the reminder sweeper at `due_at` if the reason still holds (the hold is still HELD), else dropped.
 */
export const scheduledEmails = mysqlTable(
  'scheduled_emails',
  {
    eventId: varchar('event_id', { length: 64 }).notNull(),
    template: varchar('template', { length: 64 }).notNull(),
    eventType: varchar('event_type', { length: 64 }).notNull(),
    // The event as consumed (its envelope, JSON): the template renders from it when due.
    envelope: jsonText('envelope').notNull(),
    dueAt: ts('due_at').notNull(),
    status: mysqlEnum('status', ['PENDING', 'DONE']).notNull().default('PENDING'),
    attempts: int('attempts').notNull().default(0),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.eventId, t.template] }), index('scheduled_emails_due_idx').on(t.status, t.dueAt)],
);
