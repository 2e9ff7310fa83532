CREATE TABLE `ticket_limit_locks` (
	`user_id` bigint unsigned NOT NULL,
	`schedule_id` bigint unsigned NOT NULL,
	CONSTRAINT `ticket_limit_locks_user_id_schedule_id_pk` PRIMARY KEY(`user_id`,`schedule_id`)
);
--> statement-breakpoint
ALTER TABLE `schedules` ADD `max_tickets_per_user` smallint DEFAULT 4 NOT NULL;