import { defineConfig } from 'drizzle-kit';

// Recommendations' own database (README "Layout", docs/recommendations.md, docs/production.md
// "Databases"): the co-purchase read model (holdings, pairs, its ledger), generated into
// drizzle/recommendations/ (`npm run db:generate:recommendations`; generate only, never push/pull on
// MariaDB). Every table declared in src/recommendations/schema.ts lands here. No outbox: the read
// model writes no domain events.
export default defineConfig({
  dialect: 'mysql',
  schema: ['./src/recommendations/schema.ts'],
  out: './drizzle/recommendations',
});
