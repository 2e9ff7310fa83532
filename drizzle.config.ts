import { defineConfig } from 'drizzle-kit';

// Only `generate` (and our own migrate command) is used: drizzle-kit push/pull crash on MariaDB.
const url = new URL(process.env.MYSQL_URL ?? 'mysql://booking:booking@127.0.0.1:3306/booking');

export default defineConfig({
  dialect: 'mysql',
  // Each capability owns its tables (README "Layout"); drizzle-kit diffs the union against drizzle/meta.
  // This is booking's database (the main set); payment's tables are in drizzle.payment.config.ts,
  // the waiting list's in drizzle.waitlist.config.ts, identity's accounts in drizzle.identity.config.ts,
  // the read models' in drizzle.events.config.ts and drizzle.recommendations.config.ts.
  schema: [
    './src/catalog/schema.ts',
    './src/booking/schema.ts',
    './src/events/outbox-schema.ts',
    './src/platform/http/schema.ts',
    './src/ticketing/schema.ts',
    './src/ticketing/transfer-schema.ts',
    './src/queue/schema.ts',
  ],
  out: './drizzle',
  dbCredentials: {
    host: url.hostname,
    port: Number(url.port || 3306),
    user: decodeURIComponent(url.username),
    // drizzle-kit rejects an empty password string, so omit the field instead.
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
    database: url.pathname.slice(1),
  },
});
