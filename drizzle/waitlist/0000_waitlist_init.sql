CREATE TABLE `waitlist_entries` (
	`id` bigint unsigned AUTO_INCREMENT NOT NULL,
	`schedule_id` bigint unsigned NOT NULL,
	`user_id` bigint unsigned NOT NULL,
	`quantity` smallint NOT NULL,
	`tier` varchar(20),
	`section` varchar(20),
	`status` enum('WAITING','OFFERED','SERVED','LEFT','EXPIRED','DECLINED','CLOSED') NOT NULL,
	`offer_reservation_id` varchar(32),
	`active_user_id` bigint unsigned,
	`reason` varchar(200),
	`created_at` datetime(3) NOT NULL,
	`closed_at` datetime(3),
	CONSTRAINT `waitlist_entries_id` PRIMARY KEY(`id`),
	CONSTRAINT `waitlist_entries_active_uq` UNIQUE(`schedule_id`,`active_user_id`)
);
--> statement-breakpoint
CREATE TABLE `waitlist_offers` (
	`reservation_id` varchar(32) NOT NULL,
	`entry_id` bigint unsigned NOT NULL,
	`schedule_id` bigint unsigned NOT NULL,
	`user_id` bigint unsigned NOT NULL,
	`released_from` varchar(32) NOT NULL,
	`seat_ids` longtext NOT NULL,
	`expires_at` datetime(3) NOT NULL,
	`created_at` datetime(3) NOT NULL,
	CONSTRAINT `waitlist_offers_reservation_id` PRIMARY KEY(`reservation_id`)
);
--> statement-breakpoint
CREATE TABLE `waitlists` (
	`schedule_id` bigint unsigned NOT NULL,
	`closed_at` datetime(3),
	`created_at` datetime(3) NOT NULL,
	CONSTRAINT `waitlists_schedule_id` PRIMARY KEY(`schedule_id`)
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
CREATE INDEX `waitlist_entries_schedule_idx` ON `waitlist_entries` (`schedule_id`,`status`,`id`);--> statement-breakpoint
CREATE INDEX `waitlist_entries_user_idx` ON `waitlist_entries` (`user_id`,`id`);--> statement-breakpoint
CREATE INDEX `waitlist_offers_entry_idx` ON `waitlist_offers` (`entry_id`);--> statement-breakpoint
CREATE INDEX `waitlist_offers_source_idx` ON `waitlist_offers` (`released_from`);--> statement-breakpoint
CREATE INDEX `domain_events_unpublished_idx` ON `domain_events` (`published_at`,`position`);