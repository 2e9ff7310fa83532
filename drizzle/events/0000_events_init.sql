CREATE TABLE `processed_events` (
	`consumer` varchar(64) NOT NULL,
	`event_id` char(36) NOT NULL,
	`created_at` datetime(3) NOT NULL,
	CONSTRAINT `processed_events_consumer_event_id_pk` PRIMARY KEY(`consumer`,`event_id`)
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
CREATE TABLE `schedule_sales_applied` (
	`event_id` char(36) NOT NULL,
	`created_at` datetime(3) NOT NULL,
	CONSTRAINT `schedule_sales_applied_event_id` PRIMARY KEY(`event_id`)
);
