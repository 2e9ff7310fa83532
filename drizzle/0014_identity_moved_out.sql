-- Issue 27: identity's accounts (users) moved to identity's own database (drizzle/identity/).
-- `npm run migrate` copies their rows, and the user and security events of this outbox, into
-- identity's database before this migration runs (src/identity/legacy-move.ts, src/main/migrations.ts);
-- this file then drops them here. MariaDB commits each DDL statement on its own: a failure half-way is
-- repaired by running `npm run migrate` again (the copy is INSERT IGNORE, the drop below is IF EXISTS).
-- AdminAction events ('admin') stay: catalog and the queue keep appending theirs here, in the
-- transactions of their changes; the audit log reads this outbox and identity's.
DELETE FROM `domain_events` WHERE `aggregate_type` IN ('user', 'security');--> statement-breakpoint
DROP TABLE IF EXISTS `users`;
