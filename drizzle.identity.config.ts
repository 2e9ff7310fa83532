import { defineConfig } from 'drizzle-kit';

// Identity's own database (README "Layout", docs/production.md "Databases"): the accounts and its own
// outbox (UserRegistered, SecurityEvent and the admin actions identity records), generated into
// drizzle/identity/ (`npm run db:generate:identity`; generate only, never push/pull on MariaDB).
// Every table declared in src/identity/schema.ts lands here.
export default defineConfig({
  dialect: 'mysql',
  schema: ['./src/identity/schema.ts', './src/events/outbox-schema.ts'],
  out: './drizzle/identity',
});
