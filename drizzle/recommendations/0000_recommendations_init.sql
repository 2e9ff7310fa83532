CREATE TABLE `recommendation_applied` (
	`event_id` char(36) NOT NULL,
	`created_at` datetime(3) NOT NULL,
	CONSTRAINT `recommendation_applied_event_id` PRIMARY KEY(`event_id`)
);
--> statement-breakpoint
CREATE TABLE `recommendation_holdings` (
	`user_id` bigint unsigned NOT NULL,
	`concert_id` bigint unsigned NOT NULL,
	`reservations` int NOT NULL,
	CONSTRAINT `recommendation_holdings_user_id_concert_id_pk` PRIMARY KEY(`user_id`,`concert_id`)
);
--> statement-breakpoint
CREATE TABLE `recommendation_pairs` (
	`concert_id` bigint unsigned NOT NULL,
	`other_concert_id` bigint unsigned NOT NULL,
	`buyers` int NOT NULL,
	CONSTRAINT `recommendation_pairs_concert_id_other_concert_id_pk` PRIMARY KEY(`concert_id`,`other_concert_id`)
);
--> statement-breakpoint
CREATE INDEX `recommendation_holdings_concert_idx` ON `recommendation_holdings` (`concert_id`,`reservations`);--> statement-breakpoint
CREATE INDEX `recommendation_pairs_rank_idx` ON `recommendation_pairs` (`concert_id`,`buyers`);