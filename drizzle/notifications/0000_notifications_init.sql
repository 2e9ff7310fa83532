CREATE TABLE `scheduled_emails` (
	`event_id` varchar(64) NOT NULL,
	`template` varchar(64) NOT NULL,
	`event_type` varchar(64) NOT NULL,
	`envelope` longtext NOT NULL,
	`due_at` datetime(3) NOT NULL,
	`status` enum('PENDING','DONE') NOT NULL DEFAULT 'PENDING',
	`attempts` int NOT NULL DEFAULT 0,
	`created_at` datetime(3) NOT NULL,
	CONSTRAINT `scheduled_emails_event_id_template_pk` PRIMARY KEY(`event_id`,`template`)
);
--> statement-breakpoint
CREATE TABLE `sent_emails` (
	`event_id` varchar(64) NOT NULL,
	`template` varchar(64) NOT NULL,
	`user_id` bigint unsigned NOT NULL,
	`locale` varchar(8) NOT NULL,
	`message_id` varchar(200) NOT NULL,
	`sent_at` datetime(3) NOT NULL,
	CONSTRAINT `sent_emails_event_id_template_pk` PRIMARY KEY(`event_id`,`template`)
);
--> statement-breakpoint
CREATE INDEX `scheduled_emails_due_idx` ON `scheduled_emails` (`status`,`due_at`);--> statement-breakpoint
CREATE INDEX `sent_emails_user_idx` ON `sent_emails` (`user_id`);