-- Run once by the MariaDB image on an empty data volume (docker-compose.yml mounts it into
-- /docker-entrypoint-initdb.d). A database per domain (docs/production.md "Databases"):
-- booking's database and user come from MARIADB_DATABASE / MARIADB_USER; each other domain gets its
-- own database and a user granted on it only (the names the app derives by default:
-- src/platform/db/domains.ts). The booking account is also the admin `npm run migrate` uses to
-- create them when missing, hence GRANT OPTION, as in scripts/stack.sh.
GRANT ALL PRIVILEGES ON *.* TO 'booking'@'%' WITH GRANT OPTION;
CREATE DATABASE IF NOT EXISTS `payment` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS 'payment'@'%' IDENTIFIED BY 'booking';
GRANT ALL PRIVILEGES ON `payment`.* TO 'payment'@'%';
CREATE DATABASE IF NOT EXISTS `notifications` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS 'notifications'@'%' IDENTIFIED BY 'booking';
GRANT ALL PRIVILEGES ON `notifications`.* TO 'notifications'@'%';
CREATE DATABASE IF NOT EXISTS `webhooks` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS 'webhooks'@'%' IDENTIFIED BY 'booking';
GRANT ALL PRIVILEGES ON `webhooks`.* TO 'webhooks'@'%';
CREATE DATABASE IF NOT EXISTS `waitlist` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS 'waitlist'@'%' IDENTIFIED BY 'booking';
GRANT ALL PRIVILEGES ON `waitlist`.* TO 'waitlist'@'%';
CREATE DATABASE IF NOT EXISTS `identity` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS 'identity'@'%' IDENTIFIED BY 'booking';
GRANT ALL PRIVILEGES ON `identity`.* TO 'identity'@'%';
CREATE DATABASE IF NOT EXISTS `events` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS 'events'@'%' IDENTIFIED BY 'booking';
GRANT ALL PRIVILEGES ON `events`.* TO 'events'@'%';
CREATE DATABASE IF NOT EXISTS `recommendations` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS 'recommendations'@'%' IDENTIFIED BY 'booking';
GRANT ALL PRIVILEGES ON `recommendations`.* TO 'recommendations'@'%';
