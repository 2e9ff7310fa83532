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
CREATE INDEX `waitlist_entries_schedule_idx` ON `waitlist_entries` (`schedule_id`,`status`,`id`);--> statement-breakpoint
CREATE INDEX `waitlist_entries_user_idx` ON `waitlist_entries` (`user_id`,`id`);--> statement-breakpoint
CREATE INDEX `waitlist_offers_entry_idx` ON `waitlist_offers` (`entry_id`);--> statement-breakpoint
CREATE INDEX `waitlist_offers_source_idx` ON `waitlist_offers` (`released_from`);