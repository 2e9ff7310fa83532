ALTER TABLE `schedules` ADD `queue_mode` enum('auto','manual');--> statement-breakpoint
ALTER TABLE `schedules` ADD `queue_min_admit_rate` int;--> statement-breakpoint
ALTER TABLE `schedules` ADD `queue_max_admit_rate` int;--> statement-breakpoint
ALTER TABLE `schedules` ADD `queue_target_p99_ms` int;