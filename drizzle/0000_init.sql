CREATE TABLE `concerts` (
	`id` bigint unsigned AUTO_INCREMENT NOT NULL,
	`title` varchar(200) NOT NULL,
	`artist` varchar(200) NOT NULL,
	`description` text NOT NULL,
	`venue` varchar(200) NOT NULL,
	`created_at` datetime(3) NOT NULL,
	CONSTRAINT `concerts_id` PRIMARY KEY(`id`)
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
CREATE TABLE `idempotency_keys` (
	`user_id` bigint unsigned NOT NULL,
	`scope` varchar(40) NOT NULL,
	`idem_key` varchar(100) NOT NULL,
	`request_hash` char(64) NOT NULL,
	`status_code` smallint,
	`response_body` longtext,
	`created_at` datetime(3) NOT NULL,
	`expires_at` datetime(3) NOT NULL,
	CONSTRAINT `idempotency_keys_user_id_scope_idem_key_pk` PRIMARY KEY(`user_id`,`scope`,`idem_key`)
);
--> statement-breakpoint
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
CREATE TABLE `processed_events` (
	`consumer` varchar(64) NOT NULL,
	`event_id` char(36) NOT NULL,
	`created_at` datetime(3) NOT NULL,
	CONSTRAINT `processed_events_consumer_event_id_pk` PRIMARY KEY(`consumer`,`event_id`)
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
CREATE TABLE `reservation_seats` (
	`reservation_id` varchar(32) NOT NULL,
	`seat_id` bigint unsigned NOT NULL,
	`price` int NOT NULL,
	`active_seat_id` bigint unsigned,
	CONSTRAINT `reservation_seats_reservation_id_seat_id_pk` PRIMARY KEY(`reservation_id`,`seat_id`),
	CONSTRAINT `reservation_seats_active_uq` UNIQUE(`active_seat_id`)
);
--> statement-breakpoint
CREATE TABLE `reservations` (
	`id` varchar(32) NOT NULL,
	`user_id` bigint unsigned NOT NULL,
	`schedule_id` bigint unsigned NOT NULL,
	`concert_id` bigint unsigned NOT NULL,
	`status` enum('HELD','CONFIRMED','EXPIRED','CANCELLED','FAILED','REFUNDED') NOT NULL,
	`amount` bigint NOT NULL,
	`expires_at` datetime(3) NOT NULL,
	`confirmed_at` datetime(3),
	`closed_at` datetime(3),
	`reason` varchar(200),
	`version` int NOT NULL DEFAULT 0,
	`created_at` datetime(3) NOT NULL,
	CONSTRAINT `reservations_id` PRIMARY KEY(`id`)
);
--> statement-breakpoint
CREATE TABLE `schedule_sales` (
	`schedule_id` bigint unsigned NOT NULL,
	`reservations_started` int NOT NULL DEFAULT 0,
	`reservations_confirmed` int NOT NULL DEFAULT 0,
	`seats_held` int NOT NULL DEFAULT 0,
	`seats_sold` int NOT NULL DEFAULT 0,
	`revenue` bigint NOT NULL DEFAULT 0,
	`updated_at` datetime(3) NOT NULL,
	CONSTRAINT `schedule_sales_schedule_id` PRIMARY KEY(`schedule_id`)
);
--> statement-breakpoint
CREATE TABLE `schedules` (
	`id` bigint unsigned AUTO_INCREMENT NOT NULL,
	`concert_id` bigint unsigned NOT NULL,
	`starts_at` datetime(3) NOT NULL,
	`sale_opens_at` datetime(3) NOT NULL,
	`sale_closes_at` datetime(3) NOT NULL,
	`status` enum('SCHEDULED','CANCELLED') NOT NULL DEFAULT 'SCHEDULED',
	`max_seats_per_reservation` smallint NOT NULL DEFAULT 4,
	`queue_max_active` int,
	`queue_admit_rate` int,
	`created_at` datetime(3) NOT NULL,
	CONSTRAINT `schedules_id` PRIMARY KEY(`id`)
);
--> statement-breakpoint
CREATE TABLE `seats` (
	`id` bigint unsigned AUTO_INCREMENT NOT NULL,
	`schedule_id` bigint unsigned NOT NULL,
	`section` varchar(20) NOT NULL,
	`row_label` varchar(10) NOT NULL,
	`seat_number` smallint NOT NULL,
	`tier` varchar(20) NOT NULL,
	`price` int NOT NULL,
	`status` enum('AVAILABLE','HELD','SOLD') NOT NULL DEFAULT 'AVAILABLE',
	`reservation_id` varchar(32),
	`held_until` datetime(3),
	`version` int NOT NULL DEFAULT 0,
	CONSTRAINT `seats_id` PRIMARY KEY(`id`),
	CONSTRAINT `seats_position_uq` UNIQUE(`schedule_id`,`section`,`row_label`,`seat_number`)
);
--> statement-breakpoint
CREATE TABLE `users` (
	`id` bigint unsigned AUTO_INCREMENT NOT NULL,
	`email_cipher` varchar(512) NOT NULL,
	`email_index` char(64) NOT NULL,
	`phone_cipher` varchar(512),
	`name` varchar(100) NOT NULL,
	`password_hash` varchar(255) NOT NULL,
	`role` enum('USER','ADMIN') NOT NULL DEFAULT 'USER',
	`status` enum('ACTIVE','DISABLED') NOT NULL DEFAULT 'ACTIVE',
	`failed_logins` int NOT NULL DEFAULT 0,
	`locked_until` datetime(3),
	`token_version` int NOT NULL DEFAULT 0,
	`created_at` datetime(3) NOT NULL,
	CONSTRAINT `users_id` PRIMARY KEY(`id`),
	CONSTRAINT `users_email_index_unique` UNIQUE(`email_index`)
);
--> statement-breakpoint
CREATE TABLE `wallet_ledger` (
	`id` bigint unsigned AUTO_INCREMENT NOT NULL,
	`user_id` bigint unsigned NOT NULL,
	`kind` enum('CHARGE','PAYMENT','REFUND') NOT NULL,
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
CREATE INDEX `concerts_title_idx` ON `concerts` (`title`);--> statement-breakpoint
CREATE INDEX `domain_events_unpublished_idx` ON `domain_events` (`published_at`,`position`);--> statement-breakpoint
CREATE INDEX `idempotency_keys_expiry_idx` ON `idempotency_keys` (`expires_at`);--> statement-breakpoint
CREATE INDEX `payments_user_idx` ON `payments` (`user_id`);--> statement-breakpoint
CREATE INDEX `reservations_user_idx` ON `reservations` (`user_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `reservations_status_expiry_idx` ON `reservations` (`status`,`expires_at`);--> statement-breakpoint
CREATE INDEX `reservations_schedule_idx` ON `reservations` (`schedule_id`,`status`);--> statement-breakpoint
CREATE INDEX `schedules_concert_idx` ON `schedules` (`concert_id`,`starts_at`);--> statement-breakpoint
CREATE INDEX `schedules_starts_idx` ON `schedules` (`starts_at`);--> statement-breakpoint
CREATE INDEX `seats_schedule_status_idx` ON `seats` (`schedule_id`,`status`);--> statement-breakpoint
CREATE INDEX `seats_reservation_idx` ON `seats` (`reservation_id`);