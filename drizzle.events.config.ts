import { defineConfig } from 'drizzle-kit';

// The events capability's own database (README "Layout", docs/production.md "Databases"): the sales
// read model (schedule_sales, its ledger schedule_sales_applied) and the consumers' dedupe table
// (processed_events), generated into drizzle/events/ (`npm run db:generate:events`; generate only,
// never push/pull on MariaDB). Every table declared in src/events/schema.ts lands here. No outbox: the
// read model writes no domain events, and the outbox table (src/events/outbox-schema.ts) stays in each
// writing domain's own database, written in the transaction of the change it records.
export default defineConfig({
  dialect: 'mysql',
  schema: ['./src/events/schema.ts'],
  out: './drizzle/events',
});
