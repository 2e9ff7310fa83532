CREATE TABLE `card_payments` (
	`reservation_id` varchar(32) NOT NULL,
	`user_id` bigint unsigned NOT NULL,
	`provider` varchar(20) NOT NULL,
	`provider_payment_id` varchar(255) NOT NULL,
	`amount` bigint NOT NULL,
	`currency` varchar(3) NOT NULL,
	`status` enum('PENDING','SUCCEEDED','FAILED','CANCELED','REFUNDED','LATE_REFUNDED') NOT NULL,
	`failed_attempts` int NOT NULL DEFAULT 0,
	`last_error` varchar(200),
	`provider_refund_id` varchar(255),
	`created_at` datetime(3) NOT NULL,
	`updated_at` datetime(3) NOT NULL,
	CONSTRAINT `card_payments_reservation_id` PRIMARY KEY(`reservation_id`),
	CONSTRAINT `card_payments_provider_payment_id_unique` UNIQUE(`provider_payment_id`)
);
--> statement-breakpoint
CREATE TABLE `provider_events` (
	`event_id` varchar(255) NOT NULL,
	`type` varchar(100) NOT NULL,
	`provider_payment_id` varchar(255),
	`created_at` datetime(3) NOT NULL,
	CONSTRAINT `provider_events_event_id` PRIMARY KEY(`event_id`)
);
--> statement-breakpoint
CREATE INDEX `card_payments_user_idx` ON `card_payments` (`user_id`);--> statement-breakpoint
CREATE INDEX `card_payments_created_idx` ON `card_payments` (`created_at`);