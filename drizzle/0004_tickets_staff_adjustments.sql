CREATE TABLE `tickets` (
	`id` bigint unsigned AUTO_INCREMENT NOT NULL,
	`reservation_id` varchar(32) NOT NULL,
	`seat_id` bigint unsigned NOT NULL,
	`schedule_id` bigint unsigned NOT NULL,
	`user_id` bigint unsigned NOT NULL,
	`serial` char(32) NOT NULL,
	`issued_at` datetime(3) NOT NULL,
	`admitted_at` datetime(3),
	`admitted_by` bigint unsigned,
	CONSTRAINT `tickets_id` PRIMARY KEY(`id`),
	CONSTRAINT `tickets_serial_uq` UNIQUE(`serial`),
	CONSTRAINT `tickets_reservation_seat_uq` UNIQUE(`reservation_id`,`seat_id`)
);
--> statement-breakpoint
ALTER TABLE `users` MODIFY COLUMN `role` enum('USER','ADMIN','STAFF') NOT NULL DEFAULT 'USER';--> statement-breakpoint
ALTER TABLE `wallet_ledger` MODIFY COLUMN `kind` enum('CHARGE','PAYMENT','REFUND','ADJUSTMENT') NOT NULL;--> statement-breakpoint
CREATE INDEX `tickets_schedule_idx` ON `tickets` (`schedule_id`);--> statement-breakpoint
-- Hand-written backfill: purchases confirmed before tickets existed get theirs now (a random serial
-- from the server's CSPRNG, issued at the confirmation time) and their TicketsIssued event, as the
-- confirming transaction writes them from now on.
INSERT INTO `tickets` (`reservation_id`, `seat_id`, `schedule_id`, `user_id`, `serial`, `issued_at`)
SELECT rs.`reservation_id`, rs.`seat_id`, r.`schedule_id`, r.`user_id`, LOWER(HEX(RANDOM_BYTES(16))), r.`confirmed_at`
FROM `reservation_seats` rs JOIN `reservations` r ON r.`id` = rs.`reservation_id`
WHERE r.`confirmed_at` IS NOT NULL;
--> statement-breakpoint
INSERT INTO `domain_events` (`id`, `type`, `schema_version`, `aggregate_type`, `aggregate_id`, `sequence`, `user_id`, `payload`, `occurred_at`)
SELECT UUID(), 'TicketsIssued', 1, 'ticket', CONCAT('tickets-', r.`id`), 1, r.`user_id`,
       JSON_OBJECT('reservationId', r.`id`, 'userId', r.`user_id`, 'scheduleId', r.`schedule_id`, 'seatIds', JSON_ARRAYAGG(rs.`seat_id`)), r.`confirmed_at`
FROM `reservations` r JOIN `reservation_seats` rs ON rs.`reservation_id` = r.`id`
WHERE r.`confirmed_at` IS NOT NULL
GROUP BY r.`id`, r.`user_id`, r.`schedule_id`, r.`confirmed_at`;
