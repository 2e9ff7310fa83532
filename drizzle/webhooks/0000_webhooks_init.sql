CREATE TABLE `webhook_attempts` (
	`id` bigint unsigned AUTO_INCREMENT NOT NULL,
	`delivery_id` bigint unsigned NOT NULL,
	`run` smallint NOT NULL,
	`attempt` int NOT NULL,
	`status_code` smallint,
	`latency_ms` int NOT NULL,
	`error` varchar(300),
	`created_at` datetime(3) NOT NULL,
	CONSTRAINT `webhook_attempts_id` PRIMARY KEY(`id`)
);
--> statement-breakpoint
CREATE TABLE `webhook_deliveries` (
	`id` bigint unsigned AUTO_INCREMENT NOT NULL,
	`endpoint_id` bigint unsigned NOT NULL,
	`event_id` varchar(36) NOT NULL,
	`event_type` varchar(60) NOT NULL,
	`message_id` varchar(80) NOT NULL,
	`body` longtext NOT NULL,
	`status` enum('PENDING','DELIVERED','FAILED','CANCELLED') NOT NULL DEFAULT 'PENDING',
	`workflow_id` varchar(120) NOT NULL,
	`replays` smallint NOT NULL DEFAULT 0,
	`attempts` int NOT NULL DEFAULT 0,
	`last_status_code` smallint,
	`last_latency_ms` int,
	`last_error` varchar(300),
	`next_attempt_at` datetime(3),
	`created_at` datetime(3) NOT NULL,
	`finished_at` datetime(3),
	CONSTRAINT `webhook_deliveries_id` PRIMARY KEY(`id`),
	CONSTRAINT `webhook_deliveries_endpoint_event_uq` UNIQUE(`endpoint_id`,`event_id`)
);
--> statement-breakpoint
CREATE TABLE `webhook_endpoints` (
	`id` bigint unsigned AUTO_INCREMENT NOT NULL,
	`concert_id` int NOT NULL,
	`url` varchar(2048) NOT NULL,
	`event_types` longtext NOT NULL,
	`description` varchar(200) NOT NULL DEFAULT '',
	`secret` varchar(100) NOT NULL,
	`previous_secret` varchar(100),
	`previous_secret_expires_at` datetime(3),
	`enabled` boolean NOT NULL DEFAULT true,
	`disabled_reason` varchar(40),
	`created_by` int NOT NULL,
	`created_at` datetime(3) NOT NULL,
	`updated_at` datetime(3) NOT NULL,
	CONSTRAINT `webhook_endpoints_id` PRIMARY KEY(`id`)
);
--> statement-breakpoint
CREATE INDEX `webhook_attempts_delivery_idx` ON `webhook_attempts` (`delivery_id`,`id`);--> statement-breakpoint
CREATE INDEX `webhook_deliveries_endpoint_idx` ON `webhook_deliveries` (`endpoint_id`,`id`);--> statement-breakpoint
CREATE INDEX `webhook_endpoints_concert_idx` ON `webhook_endpoints` (`concert_id`);