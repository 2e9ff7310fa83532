-- Issue 27: the waiting room's settings leave catalog's schedules for the queue's own table, and the
-- waiting list's tables leave booking's database (npm run migrate first copies their rows and the
-- waitlist events of this outbox into the waiting list's own database: src/waitlist/legacy-move.ts).
CREATE TABLE `queue_settings` (
	`schedule_id` bigint unsigned NOT NULL,
	`mode` enum('auto','manual'),
	`max_active` int,
	`admit_rate` int,
	`min_admit_rate` int,
	`max_admit_rate` int,
	`target_p99_ms` int,
	CONSTRAINT `queue_settings_schedule_id` PRIMARY KEY(`schedule_id`)
);
--> statement-breakpoint
-- The waiting room's overrides move out of catalog's schedules into the queue's own table (issue 27).
INSERT IGNORE INTO `queue_settings` (`schedule_id`, `mode`, `max_active`, `admit_rate`, `min_admit_rate`, `max_admit_rate`, `target_p99_ms`)
SELECT `id`, `queue_mode`, `queue_max_active`, `queue_admit_rate`, `queue_min_admit_rate`, `queue_max_admit_rate`, `queue_target_p99_ms` FROM `schedules`
WHERE COALESCE(`queue_mode`, `queue_max_active`, `queue_admit_rate`, `queue_min_admit_rate`, `queue_max_admit_rate`, `queue_target_p99_ms`) IS NOT NULL;--> statement-breakpoint
ALTER TABLE `schedules` DROP COLUMN `queue_max_active`;--> statement-breakpoint
ALTER TABLE `schedules` DROP COLUMN `queue_admit_rate`;--> statement-breakpoint
ALTER TABLE `schedules` DROP COLUMN `queue_mode`;--> statement-breakpoint
ALTER TABLE `schedules` DROP COLUMN `queue_min_admit_rate`;--> statement-breakpoint
ALTER TABLE `schedules` DROP COLUMN `queue_max_admit_rate`;--> statement-breakpoint
ALTER TABLE `schedules` DROP COLUMN `queue_target_p99_ms`;--> statement-breakpoint
-- The waiting list's rows and events were copied to its own database before this (npm run migrate).
DELETE FROM `domain_events` WHERE `aggregate_type` = 'waitlist';--> statement-breakpoint
DROP TABLE `waitlist_entries`;--> statement-breakpoint
DROP TABLE `waitlist_offers`;--> statement-breakpoint
DROP TABLE `waitlists`;