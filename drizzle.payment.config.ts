import { defineConfig } from 'drizzle-kit';

// Payment's own database (README "Layout", docs/production.md "Databases"): its tables and its own
// outbox, generated into drizzle/payment/ (`npm run db:generate:payment`; generate only, never
// push/pull on MariaDB). Every table declared in src/payment/schema.ts lands here.
export default defineConfig({
  dialect: 'mysql',
  schema: ['./src/payment/schema.ts', './src/events/outbox-schema.ts'],
  out: './drizzle/payment',
});
