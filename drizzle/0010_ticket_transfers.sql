CREATE TABLE `ticket_transfers` (
	`id` char(24) NOT NULL,
	`ticket_id` bigint unsigned NOT NULL,
	`reservation_id` varchar(32) NOT NULL,
	`schedule_id` bigint unsigned NOT NULL,
	`buyer_user_id` bigint unsigned NOT NULL,
	`from_user_id` bigint unsigned NOT NULL,
	`to_user_id` bigint unsigned,
	`recipient_email_index` char(64) NOT NULL,
	`recipient_email_cipher` varchar(512) NOT NULL,
	`status` enum('PENDING','ACCEPTED','DECLINED','LAPSED','WITHDRAWN') NOT NULL,
	`reason` varchar(40),
	`pending_ticket_id` bigint unsigned,
	`expires_at` datetime(3) NOT NULL,
	`created_at` datetime(3) NOT NULL,
	`closed_at` datetime(3),
	CONSTRAINT `ticket_transfers_id` PRIMARY KEY(`id`),
	CONSTRAINT `ticket_transfers_pending_uq` UNIQUE(`pending_ticket_id`)
);
--> statement-breakpoint
CREATE INDEX `ticket_transfers_ticket_idx` ON `ticket_transfers` (`ticket_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `ticket_transfers_recipient_idx` ON `ticket_transfers` (`recipient_email_index`,`status`);--> statement-breakpoint
CREATE INDEX `ticket_transfers_to_user_idx` ON `ticket_transfers` (`to_user_id`,`schedule_id`);--> statement-breakpoint
CREATE INDEX `ticket_transfers_from_user_idx` ON `ticket_transfers` (`from_user_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `ticket_transfers_buyer_idx` ON `ticket_transfers` (`buyer_user_id`,`schedule_id`);