-- Payment's tables (wallets, ledger, payments, refunds, and the card tables of 0007) moved to
-- payment's own database (drizzle/payment/). `npm run migrate` copies their rows, and the payment and
-- wallet events of this outbox, into payment's database before this migration runs
-- (src/main/migrations.ts); this file then drops them here. MariaDB commits each DDL statement on its
-- own: a failure half-way is repaired by running `npm run migrate` again (the copy is INSERT IGNORE,
-- the drops below are IF EXISTS). Numbered after 0008: drizzle applies by the journal's order.
-- Also: booking's "refund started" mark (issue 25 defect 3, booking decides a refund in its database).
DELETE FROM `domain_events` WHERE `aggregate_type` IN ('payment', 'wallet');--> statement-breakpoint
DROP TABLE IF EXISTS `card_payments`;--> statement-breakpoint
DROP TABLE IF EXISTS `payments`;--> statement-breakpoint
DROP TABLE IF EXISTS `provider_events`;--> statement-breakpoint
DROP TABLE IF EXISTS `refunds`;--> statement-breakpoint
DROP TABLE IF EXISTS `wallet_ledger`;--> statement-breakpoint
DROP TABLE IF EXISTS `wallets`;--> statement-breakpoint
ALTER TABLE `reservations` ADD `refund_started_at` datetime(3);
