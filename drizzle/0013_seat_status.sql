-- Issue 27: booking owns the status of each seat on a schedule. The statuses (and the holder, hold
-- expiry and optimistic version) are copied out of catalog's seats into booking's seat_status, then
-- dropped from seats, which keeps the venue layout. The copy runs before the drops, in this file.
CREATE TABLE `seat_status` (
	`seat_id` bigint unsigned NOT NULL,
	`schedule_id` bigint unsigned NOT NULL,
	`status` enum('AVAILABLE','HELD','SOLD') NOT NULL DEFAULT 'AVAILABLE',
	`reservation_id` varchar(32),
	`held_until` datetime(3),
	`version` int NOT NULL DEFAULT 0,
	CONSTRAINT `seat_status_seat_id` PRIMARY KEY(`seat_id`)
);
--> statement-breakpoint
INSERT IGNORE INTO `seat_status` (`seat_id`, `schedule_id`, `status`, `reservation_id`, `held_until`, `version`)
SELECT `id`, `schedule_id`, `status`, `reservation_id`, `held_until`, `version` FROM `seats`;--> statement-breakpoint
DROP INDEX `seats_schedule_status_idx` ON `seats`;--> statement-breakpoint
DROP INDEX `seats_reservation_idx` ON `seats`;--> statement-breakpoint
CREATE INDEX `seat_status_schedule_status_idx` ON `seat_status` (`schedule_id`,`status`);--> statement-breakpoint
CREATE INDEX `seat_status_reservation_idx` ON `seat_status` (`reservation_id`);--> statement-breakpoint
ALTER TABLE `seats` DROP COLUMN `status`;--> statement-breakpoint
ALTER TABLE `seats` DROP COLUMN `reservation_id`;--> statement-breakpoint
ALTER TABLE `seats` DROP COLUMN `held_until`;--> statement-breakpoint
ALTER TABLE `seats` DROP COLUMN `version`;