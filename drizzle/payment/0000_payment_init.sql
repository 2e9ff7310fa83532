CREATE TABLE `payments` (
	`id` bigint unsigned AUTO_INCREMENT NOT NULL,
	`reservation_id` varchar(32) NOT NULL,
	`user_id` bigint unsigned NOT NULL,
	`amount` bigint NOT NULL,
	`status` enum('SUCCEEDED','REFUNDED') NOT NULL,
	`created_at` datetime(3) NOT NULL,
	CONSTRAINT `payments_id` PRIMARY KEY(`id`),
	CONSTRAINT `payments_reservation_id_unique` UNIQUE(`reservation_id`)
);
--> statement-breakpoint
CREATE TABLE `refunds` (
	`id` bigint unsigned AUTO_INCREMENT NOT NULL,
	`payment_id` bigint unsigned NOT NULL,
	`reservation_id` varchar(32) NOT NULL,
	`amount` bigint NOT NULL,
	`reason` varchar(200) NOT NULL,
	`created_at` datetime(3) NOT NULL,
	CONSTRAINT `refunds_id` PRIMARY KEY(`id`),
	CONSTRAINT `refunds_payment_id_unique` UNIQUE(`payment_id`)
);
--> statement-breakpoint
CREATE TABLE `wallet_ledger` (
	`id` bigint unsigned AUTO_INCREMENT NOT NULL,
	`user_id` bigint unsigned NOT NULL,
	`kind` enum('CHARGE','PAYMENT','REFUND','ADJUSTMENT') NOT NULL,
	`amount` bigint NOT NULL,
	`balance_after` bigint NOT NULL,
	`reference` varchar(100) NOT NULL,
	`created_at` datetime(3) NOT NULL,
	CONSTRAINT `wallet_ledger_id` PRIMARY KEY(`id`),
	CONSTRAINT `wallet_ledger_reference_uq` UNIQUE(`user_id`,`kind`,`reference`)
);
--> statement-breakpoint
CREATE TABLE `wallets` (
	`user_id` bigint unsigned NOT NULL,
	`balance` bigint NOT NULL DEFAULT 0,
	`updated_at` datetime(3) NOT NULL,
	CONSTRAINT `wallets_user_id` PRIMARY KEY(`user_id`)
);
--> statement-breakpoint
CREATE TABLE `domain_events` (
	`position` bigint unsigned AUTO_INCREMENT NOT NULL,
	`id` char(36) NOT NULL,
	`type` varchar(64) NOT NULL,
	`schema_version` smallint NOT NULL,
	`aggregate_type` varchar(32) NOT NULL,
	`aggregate_id` varchar(64) NOT NULL,
	`sequence` int NOT NULL,
	`user_id` bigint unsigned,
	`payload` longtext NOT NULL,
	`occurred_at` datetime(3) NOT NULL,
	`published_at` datetime(3),
	CONSTRAINT `domain_events_position` PRIMARY KEY(`position`),
	CONSTRAINT `domain_events_id_unique` UNIQUE(`id`),
	CONSTRAINT `domain_events_aggregate_seq_uq` UNIQUE(`aggregate_type`,`aggregate_id`,`sequence`)
);
--> statement-breakpoint
CREATE INDEX `payments_user_idx` ON `payments` (`user_id`);--> statement-breakpoint
CREATE INDEX `domain_events_unpublished_idx` ON `domain_events` (`published_at`,`position`);