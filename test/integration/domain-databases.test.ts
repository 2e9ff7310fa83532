import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATA_DOMAINS } from '../../src/platform/db/domains.js';
import { createTestContext, type TestContext } from '../support/harness.js';

/**
 * A database per domain (issue 27): each domain's MySQL user reads and writes its own database only.
 * Connected as each domain's user (booking's, which holds the main set, and every one of DATA_DOMAINS,
 * so a domain added there is covered here at once), every table of its own database answers, and every
 * table of every other domain's database is refused by MySQL itself.
 */
/** Domains that consume events and write none, so they have no outbox (docs/production.md "Databases"). */
const WRITES_NO_EVENTS: string[] = ['notifications', 'webhooks'];

describe('domain databases', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext({ worker: false });
  });
  afterAll(async () => {
    await ctx?.close();
  });

  const connectAs = (url: string) => mysql.createConnection({ uri: url });
  const dbOf = (url: string) => new URL(url).pathname.slice(1);
  const domains = ['booking', ...DATA_DOMAINS] as const;

  it('gives each domain its own user', () => {
    // Without GRANT OPTION for the run's account (an older stack) the harness falls back to that
    // account for every database: this test then fails on purpose.
    expect(ctx.isolatedUsers, 'the MySQL account of the test run cannot create users (restart the stack with scripts/stack.sh)').toBe(true);
    const users = domains.map((d) => new URL(ctx.databaseUrls[d]).username);
    expect(new Set(users).size).toBe(domains.length);
    expect(Object.keys(ctx.databaseUrls).sort()).toEqual([...domains].sort());
  });

  it("lets each domain's user read every table of its own database and refuses it every other domain's", async () => {
    const conns = Object.fromEntries(await Promise.all(domains.map(async (d) => [d, await connectAs(ctx.databaseUrls[d])] as const)));
    try {
      // Each owner lists its own tables (a user sees only the databases it is granted in information_schema).
      const tables: Record<string, string[]> = {};
      for (const d of domains) {
        const db = dbOf(ctx.databaseUrls[d]);
        const [rows] = (await conns[d]!.query('SELECT table_name AS name FROM information_schema.tables WHERE table_schema = ? ORDER BY table_name', [db])) as unknown as [Array<{ name: string }>];
        tables[d] = rows.map((r) => r.name);
        // Every domain database has tables of its own, and its own outbox when the domain writes
        // events (notifications and webhooks write none: they only consume them).
        if (!WRITES_NO_EVENTS.includes(d)) expect(tables[d], d).toContain('domain_events');
        expect(tables[d]!.length, d).toBeGreaterThan(1);
        for (const t of tables[d]!) await expect(conns[d]!.query(`SELECT * FROM \`${db}\`.\`${t}\` LIMIT 1`), `${d} reads its own ${t}`).resolves.toBeDefined();
        // Of this file's databases it sees its own only.
        const [visible] = (await conns[d]!.query('SHOW DATABASES')) as unknown as [Array<{ Database: string }>];
        expect(visible.map((v) => v.Database).filter((name) => name.startsWith(`${ctx.id}_`)), d).toEqual([db]);
      }
      for (const d of domains) {
        for (const other of domains.filter((o) => o !== d)) {
          const otherDb = dbOf(ctx.databaseUrls[other]);
          for (const t of tables[other]!) {
            await expect(conns[d]!.query(`SELECT * FROM \`${otherDb}\`.\`${t}\` LIMIT 1`), `${d} reads ${other}'s ${t}`).rejects.toMatchObject({ code: 'ER_TABLEACCESS_DENIED_ERROR' });
          }
          await expect(connectAs(ctx.databaseUrls[d].replace(`/${dbOf(ctx.databaseUrls[d])}`, `/${otherDb}`)), `${d} connects to ${other}'s database`).rejects.toMatchObject({ code: 'ER_DBACCESS_DENIED_ERROR' });
        }
      }
    } finally {
      await Promise.all(Object.values(conns).map((c) => c.end()));
    }
  });

  it("refuses payment's, booking's and identity's users each other's tables, with real rows in them", async () => {
    const user = await ctx.createUser({ balance: 5_000 });
    const { seatIds } = await ctx.createSchedule();
    const payment = await connectAs(ctx.databaseUrls.payment);
    const booking = await connectAs(ctx.databaseUrls.booking);
    const identity = await connectAs(ctx.databaseUrls.identity);
    try {
      // Each reads its own: payment the wallet, identity the account, booking the seats.
      const [own] = await payment.query('SELECT balance FROM wallets WHERE user_id = ?', [user.id]);
      expect(own).toEqual([{ balance: 5_000 }]);
      const [ownUsers] = await identity.query('SELECT COUNT(*) n FROM users WHERE id = ?', [user.id]);
      expect(ownUsers).toEqual([{ n: 1 }]);
      const [ownSeats] = await booking.query('SELECT COUNT(*) n FROM seats WHERE id = ?', [seatIds[0]]);
      expect(ownSeats).toEqual([{ n: 1 }]);
      // And is refused the others', by name and by any query that would reach across.
      const bookingDb = dbOf(ctx.databaseUrls.booking);
      const paymentDb = dbOf(ctx.databaseUrls.payment);
      const identityDb = dbOf(ctx.databaseUrls.identity);
      await expect(payment.query(`SELECT * FROM \`${identityDb}\`.users LIMIT 1`)).rejects.toMatchObject({ code: 'ER_TABLEACCESS_DENIED_ERROR' });
      await expect(payment.query(`SELECT * FROM \`${bookingDb}\`.seats LIMIT 1`)).rejects.toMatchObject({ code: 'ER_TABLEACCESS_DENIED_ERROR' });
      await expect(booking.query(`UPDATE \`${paymentDb}\`.wallets SET balance = 0`)).rejects.toMatchObject({ code: 'ER_TABLEACCESS_DENIED_ERROR' });
      // Booking's user cannot read the accounts, identity's cannot read booking's tables or payment's.
      await expect(booking.query(`SELECT * FROM \`${identityDb}\`.users WHERE id = ?`, [user.id])).rejects.toMatchObject({ code: 'ER_TABLEACCESS_DENIED_ERROR' });
      await expect(booking.query(`UPDATE \`${identityDb}\`.users SET role = 'ADMIN'`)).rejects.toMatchObject({ code: 'ER_TABLEACCESS_DENIED_ERROR' });
      await expect(identity.query(`SELECT * FROM \`${bookingDb}\`.seats WHERE id = ?`, [seatIds[0]])).rejects.toMatchObject({ code: 'ER_TABLEACCESS_DENIED_ERROR' });
      await expect(identity.query(`SELECT * FROM \`${bookingDb}\`.reservations LIMIT 1`)).rejects.toMatchObject({ code: 'ER_TABLEACCESS_DENIED_ERROR' });
      await expect(identity.query(`SELECT * FROM \`${paymentDb}\`.wallets WHERE user_id = ?`, [user.id])).rejects.toMatchObject({ code: 'ER_TABLEACCESS_DENIED_ERROR' });
      // Booking's database has no payment, waiting-list or identity table left (the main set's 0009, 0012 and 0014 dropped them).
      const [left] = await booking.query(
        `SELECT table_name FROM information_schema.tables WHERE table_schema = ? AND table_name IN ('wallets', 'wallet_ledger', 'payments', 'refunds', 'waitlists', 'waitlist_entries', 'waitlist_offers', 'users')`,
        [bookingDb],
      );
      expect(left).toEqual([]);
    } finally {
      await payment.end();
      await booking.end();
      await identity.end();
    }
  });
});
