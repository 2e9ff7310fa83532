import { randomUUID } from 'node:crypto';
import mysql from 'mysql2/promise';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { migrateAllDatabases } from '../../src/main/migrations.js';
import { domainDatabaseUrl } from '../../src/platform/db/domains.js';
import { legacyMainSet } from '../support/legacy-main-set.js';

/**
 * Issue 27, identity's accounts leave booking's database: a booking database as the release before
 * left it (the main set up to 0013, `users` in it) is migrated with `npm run migrate`'s code. The
 * accounts (every column by name: `locale`, added last by 0011, sits elsewhere in identity's table)
 * and the user and security events of booking's outbox end up in identity's own database, with their
 * ids, sequences and published marks; booking's id counter goes on there; booking's admin actions
 * stay; booking's `users` is gone; a second run moves nothing.
 */
describe('identity migration (main set 0014)', () => {
  const stack = inject('stack');
  const legacy = legacyMainSet(stack.mysqlServerUrl);
  const { bookingUrl, config } = legacy;

  afterAll(() => legacy.drop());

  it("copies the accounts and their events into identity's database before 0014 drops them", async () => {
    // The main set as the release before shipped it: every migration up to 0013.
    await legacy.migrateUpTo(13, '0014_identity_moved_out');

    const booking = await mysql.createConnection({ uri: bookingUrl, timezone: 'Z' });
    let identity: mysql.Connection | undefined;
    try {
      // Two accounts as the old code wrote them, and an id handed out whose row is gone since.
      const account = (n: number, role: string, locale: string) => ({
        id: n,
        email_cipher: `cipher-${n}`,
        email_index: `index-${n}`.padEnd(64, '0'),
        phone_cipher: n === 1 ? 'phone-1' : null,
        name: `Account ${n}`,
        password_hash: `hash-${n}`,
        role,
        status: n === 2 ? 'DISABLED' : 'ACTIVE',
        failed_logins: n,
        locked_until: n === 2 ? new Date('2026-12-01T10:00:00.123Z') : null,
        token_version: 3 * n,
        locale,
        created_at: new Date(`2026-11-0${n}T09:00:00.456Z`),
      });
      const accounts = [account(1, 'ADMIN', 'en'), account(2, 'USER', 'ko')];
      for (const a of [...accounts, account(9, 'USER', 'ko')]) await booking.query('INSERT INTO users SET ?', [a]);
      await booking.query('DELETE FROM users WHERE id = 9');
      const event = (type: string, aggregateType: string, aggregateId: string, sequence: number, published: boolean) => ({
        id: randomUUID(),
        type,
        schema_version: 1,
        aggregate_type: aggregateType,
        aggregate_id: aggregateId,
        sequence,
        user_id: 1,
        payload: JSON.stringify({ n: sequence }),
        occurred_at: new Date('2026-11-05T12:00:00.000Z'),
        published_at: published ? new Date('2026-11-05T12:00:01.000Z') : null,
      });
      const moving = [event('UserRegistered', 'user', '1', 1, true), event('SecurityEvent', 'security', 'user-1', 1, true), event('SecurityEvent', 'security', 'user-1', 2, false)];
      const staying = event('AdminAction', 'admin', 'admin-1', 1, true);
      for (const e of [...moving, staying]) await booking.query('INSERT INTO domain_events SET ?', [e]);

      const { moved } = await migrateAllDatabases(config);
      expect(moved).toMatchObject({ 'identity.users': 2, 'identity.domain_events': 3 });
      // Identity's database and its own user exist now (the migration created them).
      identity = await mysql.createConnection({ uri: domainDatabaseUrl(config, 'identity'), timezone: 'Z' });

      // The accounts, column by column, in identity's database; none left in booking's.
      const [rows] = await identity.query('SELECT * FROM users ORDER BY id');
      expect(rows).toEqual(accounts);
      const [left] = await booking.query(`SELECT table_name FROM information_schema.tables WHERE table_schema = ? AND table_name = 'users'`, [legacy.bookingDb]);
      expect(left).toEqual([]);
      // The events with their ids, sequences and published marks (the unpublished one is still to publish).
      const columns = 'id, type, aggregate_type, aggregate_id, sequence, published_at';
      const [copied] = await identity.query(`SELECT ${columns} FROM domain_events ORDER BY position`);
      expect(copied).toEqual(moving.map((e) => ({ id: e.id, type: e.type, aggregate_type: e.aggregate_type, aggregate_id: e.aggregate_id, sequence: e.sequence, published_at: e.published_at })));
      const [kept] = await booking.query(`SELECT ${columns} FROM domain_events ORDER BY position`);
      expect(kept).toEqual([{ id: staying.id, type: 'AdminAction', aggregate_type: 'admin', aggregate_id: 'admin-1', sequence: 1, published_at: staying.published_at }]);
      // The next account gets an id booking never handed out.
      const [created] = (await identity.query('INSERT INTO users SET ?', [{ ...account(3, 'USER', 'ko'), id: undefined }])) as unknown as [mysql.ResultSetHeader];
      expect(created.insertId).toBe(10);

      // Run again (say after a failure half-way): nothing to move, nothing changes.
      expect((await migrateAllDatabases(config)).moved).toEqual({});
      const [[count]] = (await identity.query('SELECT COUNT(*) n FROM users')) as unknown as [Array<{ n: number }>];
      expect(Number(count!.n)).toBe(3);
    } finally {
      await booking.end();
      await identity?.end();
    }
  });
});
