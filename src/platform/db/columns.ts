import { bigint, customType, datetime } from 'drizzle-orm/mysql-core';

/**
 * Column shapes every capability's schema shares. Money is integer KRW (bigint for sums). Times are
 * UTC datetime(3). MariaDB returns JSON columns as strings, so JSON lives in a text column parsed here.
 */
export const jsonText = customType<{ data: unknown; driverData: string }>({
  dataType: () => 'longtext',
  toDriver: (value) => JSON.stringify(value),
  fromDriver: (value) => (typeof value === 'string' ? JSON.parse(value) : value),
});

export const ts = (name: string) => datetime(name, { mode: 'date', fsp: 3 });
export const createdAt = () => ts('created_at').notNull().$defaultFn(() => new Date());
export const id = (name = 'id') => bigint(name, { mode: 'number', unsigned: true });
export const money = (name: string) => bigint(name, { mode: 'number' });
