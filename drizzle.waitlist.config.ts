import { defineConfig } from 'drizzle-kit';

// The waiting list's own database (README "Layout", docs/production.md "Databases"): its tables and
// its own outbox, generated into drizzle/waitlist/ (`npm run db:generate:waitlist`; generate only,
// never push/pull on MariaDB). Every table declared in src/waitlist/schema.ts lands here.
export default defineConfig({
  dialect: 'mysql',
  schema: ['./src/waitlist/schema.ts', './src/events/outbox-schema.ts'],
  out: './drizzle/waitlist',
});
