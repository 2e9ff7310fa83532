-- Payment's tables moved to payment's own database (drizzle/payment/). `npm run migrate` copies
-- their rows, and the payment and wallet events of this outbox, into payment's database before this
-- migration runs (src/main/migrations.ts); this file then drops them here. MariaDB commits each DDL
-- statement on its own: a failure half-way is repaired by running `npm run migrate` again (the copy
-- is INSERT IGNORE, the drops below are IF EXISTS).
DELETE FROM `domain_events` WHERE `aggregate_type` IN ('payment', 'wallet');--> statement-breakpoint
DROP TABLE IF EXISTS `payments`;--> statement-breakpoint
DROP TABLE IF EXISTS `refunds`;--> statement-breakpoint
DROP TABLE IF EXISTS `wallet_ledger`;--> statement-breakpoint
DROP TABLE IF EXISTS `wallets`;
