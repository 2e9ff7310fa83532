-- Issue 27: the read models leave booking's database. The events capability's tables (the sales read
-- model schedule_sales, its ledger schedule_sales_applied, the consumers' processed_events) now live in
-- the events database (drizzle/events/), recommendations' (holdings, pairs, ledger) in recommendations'
-- own (drizzle/recommendations/). `npm run migrate` copies their rows there before this migration runs
-- (src/events/legacy-move.ts, src/recommendations/legacy-move.ts, src/main/migrations.ts); this file
-- then drops them here. Both read models can instead be rebuilt from the event log afterwards
-- (`npm run events -- rebuild sales|recommendations`, docs/events.md). The outbox (domain_events)
-- stays: it is written in the transaction of each change it records. MariaDB commits each DDL
-- statement on its own: a failure half-way is repaired by running `npm run migrate` again (the copy is
-- INSERT IGNORE, the drops are IF EXISTS).
DROP TABLE IF EXISTS `processed_events`;--> statement-breakpoint
DROP TABLE IF EXISTS `schedule_sales`;--> statement-breakpoint
DROP TABLE IF EXISTS `schedule_sales_applied`;--> statement-breakpoint
DROP TABLE IF EXISTS `recommendation_applied`;--> statement-breakpoint
DROP TABLE IF EXISTS `recommendation_holdings`;--> statement-breakpoint
DROP TABLE IF EXISTS `recommendation_pairs`;--> statement-breakpoint
-- What a rebuild stopped half-way leaves beside them (src/events/read-model-rebuild.ts).
DROP TABLE IF EXISTS `schedule_sales__rebuild`, `schedule_sales__old`, `schedule_sales_applied__rebuild`, `schedule_sales_applied__old`;--> statement-breakpoint
DROP TABLE IF EXISTS `recommendation_applied__rebuild`, `recommendation_applied__old`, `recommendation_holdings__rebuild`, `recommendation_holdings__old`, `recommendation_pairs__rebuild`, `recommendation_pairs__old`;
