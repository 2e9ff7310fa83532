import { defineConfig } from 'drizzle-kit';

// Notifications' own database (docs/production.md "Databases", docs/tickets.md "Email"): the sent-email
// log and the scheduled emails, generated into drizzle/notifications/ (`npm run db:generate:notifications`;
// generate only, never push/pull on MariaDB). It writes no domain events, so it has no outbox table.
export default defineConfig({
  dialect: 'mysql',
  schema: ['./src/notifications/schema.ts'],
  out: './drizzle/notifications',
});
