CREATE TABLE `users` (
	`id` bigint unsigned AUTO_INCREMENT NOT NULL,
	`email_cipher` varchar(512) NOT NULL,
	`email_index` char(64) NOT NULL,
	`phone_cipher` varchar(512),
	`name` varchar(100) NOT NULL,
	`password_hash` varchar(255) NOT NULL,
	`role` enum('USER','ADMIN','STAFF') NOT NULL DEFAULT 'USER',
	`status` enum('ACTIVE','DISABLED') NOT NULL DEFAULT 'ACTIVE',
	`failed_logins` int NOT NULL DEFAULT 0,
	`locked_until` datetime(3),
	`token_version` int NOT NULL DEFAULT 0,
	`locale` enum('ko','en') NOT NULL DEFAULT 'ko',
	`created_at` datetime(3) NOT NULL,
	CONSTRAINT `users_id` PRIMARY KEY(`id`),
	CONSTRAINT `users_email_index_unique` UNIQUE(`email_index`)
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
CREATE INDEX `domain_events_unpublished_idx` ON `domain_events` (`published_at`,`position`);