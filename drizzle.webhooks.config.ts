import { defineConfig } from 'drizzle-kit';

// Webhooks' own database (docs/production.md "Databases", docs/webhooks.md): endpoints, deliveries and
// their attempts, generated into drizzle/webhooks/ (`npm run db:generate:webhooks`; generate only,
// never push/pull on MariaDB). Webhooks write no domain events, so no outbox table here.
export default defineConfig({
  dialect: 'mysql',
  schema: ['./src/webhooks/schema.ts'],
  out: './drizzle/webhooks',
});
