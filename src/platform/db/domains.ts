import type { Config } from '../../config.js';

/**
 * The domains that own a database of their own besides booking's (MYSQL_URL, the main migration
 * set): payment, the waiting list, notifications, webhooks, identity (the accounts), events (the
 * sales read model and the consumers' dedupe table) and recommendations (its read model). Each has its
 * migrations in drizzle/<domain>/ (drizzle.<domain>.config.ts) and a MySQL user granted on its
 * database only. The read models' databases (events, recommendations) have no outbox: they write no
 * domain events, and every domain's outbox stays in that domain's own database (transactional outbox).
 * Issue 27 adds the others the same way: a name here, a MYSQL_URL_<DOMAIN> override in config.ts, a
 * drizzle config and a migrations folder.
 */
export const DATA_DOMAINS = ['payment', 'waitlist', 'notifications', 'webhooks', 'identity', 'events', 'recommendations'] as const;
export type DataDomain = (typeof DATA_DOMAINS)[number];

const overrides = {
  payment: 'MYSQL_URL_PAYMENT',
  waitlist: 'MYSQL_URL_WAITLIST',
  notifications: 'MYSQL_URL_NOTIFICATIONS',
  webhooks: 'MYSQL_URL_WEBHOOKS',
  identity: 'MYSQL_URL_IDENTITY',
  events: 'MYSQL_URL_EVENTS',
  recommendations: 'MYSQL_URL_RECOMMENDATIONS',
} as const satisfies Record<DataDomain, keyof Config>;

export type DomainConfig = Pick<Config, 'MYSQL_URL' | 'MYSQL_DATABASE_PREFIX' | 'MYSQL_DOMAIN_PASSWORD' | (typeof overrides)[DataDomain]>;

/**
 * A domain's database URL: its override when set, else MYSQL_URL's server with database and user
 * both named `<MYSQL_DATABASE_PREFIX><domain>` (dev: `payment`; a test file: `t1a2b3c4d_payment`).
 */
export function domainDatabaseUrl(config: DomainConfig, domain: DataDomain): string {
  const override = config[overrides[domain]];
  if (override) return override;
  const url = new URL(config.MYSQL_URL);
  const name = `${config.MYSQL_DATABASE_PREFIX}${domain}`;
  const password = config.MYSQL_DOMAIN_PASSWORD ?? decodeURIComponent(url.password);
  url.username = encodeURIComponent(name);
  url.password = encodeURIComponent(password);
  url.pathname = `/${name}`;
  return url.toString();
}

/** The database name in a MySQL URL, checked to be safe to quote into DDL. */
export function databaseName(url: string): string {
  const name = decodeURIComponent(new URL(url).pathname.slice(1));
  if (!/^[A-Za-z0-9_]+$/.test(name)) throw new Error(`unsafe database name: ${name}`);
  return name;
}
