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
const WRITES_NO_EVENTS: string[] = ['notifications', 'webhooks', 'events', 'recommendations'];

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

  it("keeps the read models in their own databases: the events and recommendations users are refused booking's tables and its outbox, and booking's user theirs", async () => {
    const user = await ctx.createUser();
    const { concertId, scheduleId } = await ctx.createSchedule();
    const admin = await ctx.createUser({ role: 'ADMIN' });
    const booking = await connectAs(ctx.databaseUrls.booking);
    const events = await connectAs(ctx.databaseUrls.events);
    const recommendations = await connectAs(ctx.databaseUrls.recommendations);
    try {
      // Each writes and reads its own.
      await events.query('INSERT INTO schedule_sales (schedule_id, reservations_started, seats_sold, revenue, updated_at) VALUES (?, 3, 2, 20000, UTC_TIMESTAMP(3))', [scheduleId]);
      await recommendations.query('INSERT INTO recommendation_holdings (user_id, concert_id, reservations) VALUES (?, ?, 1)', [user.id, concertId]);
      const [ownHolding] = await recommendations.query('SELECT reservations FROM recommendation_holdings WHERE user_id = ?', [user.id]);
      expect(ownHolding).toEqual([{ reservations: 1 }]);
      // The API's sales figures are the events database's row (read through SalesRepository on its own handle).
      const sales = await ctx.request('GET', `/api/v1/admin/schedules/${scheduleId}/sales`, { token: admin.token });
      expect(sales.status).toBe(200);
      expect(sales.body).toMatchObject({ scheduleId, reservationsStarted: 3, seatsSold: 2, revenue: 20000 });

      const bookingDb = dbOf(ctx.databaseUrls.booking);
      const eventsDb = dbOf(ctx.databaseUrls.events);
      const recommendationsDb = dbOf(ctx.databaseUrls.recommendations);
      const denied = { code: 'ER_TABLEACCESS_DENIED_ERROR' };
      // The read models' users read neither booking's tables nor its outbox (they get the events from Kafka).
      await expect(events.query(`SELECT * FROM \`${bookingDb}\`.schedules WHERE id = ?`, [scheduleId])).rejects.toMatchObject(denied);
      await expect(events.query(`SELECT * FROM \`${bookingDb}\`.domain_events LIMIT 1`)).rejects.toMatchObject(denied);
      await expect(recommendations.query(`SELECT * FROM \`${bookingDb}\`.reservations LIMIT 1`)).rejects.toMatchObject(denied);
      await expect(recommendations.query(`SELECT * FROM \`${bookingDb}\`.concerts WHERE id = ?`, [concertId])).rejects.toMatchObject(denied);
      // Nor each other's.
      await expect(events.query(`SELECT * FROM \`${recommendationsDb}\`.recommendation_holdings LIMIT 1`)).rejects.toMatchObject(denied);
      await expect(recommendations.query(`UPDATE \`${eventsDb}\`.schedule_sales SET revenue = 0`)).rejects.toMatchObject(denied);
      // Booking's user is refused both read models.
      await expect(booking.query(`SELECT * FROM \`${eventsDb}\`.schedule_sales WHERE schedule_id = ?`, [scheduleId])).rejects.toMatchObject(denied);
      await expect(booking.query(`UPDATE \`${eventsDb}\`.schedule_sales SET seats_sold = 0`)).rejects.toMatchObject(denied);
      await expect(booking.query(`SELECT * FROM \`${recommendationsDb}\`.recommendation_pairs LIMIT 1`)).rejects.toMatchObject(denied);
      // Booking's database has no read-model table left (the main set's 0015 dropped them), and keeps its outbox.
      const [left] = await booking.query(
        `SELECT table_name FROM information_schema.tables WHERE table_schema = ? AND table_name IN ('processed_events', 'schedule_sales', 'schedule_sales_applied', 'recommendation_holdings', 'recommendation_pairs', 'recommendation_applied')`,
        [bookingDb],
      );
      expect(left).toEqual([]);
      const [outbox] = await booking.query(`SELECT table_name AS name FROM information_schema.tables WHERE table_schema = ? AND table_name = 'domain_events'`, [bookingDb]);
      expect(outbox).toEqual([{ name: 'domain_events' }]);
    } finally {
      await booking.end();
      await events.end();
      await recommendations.end();
    }
  });
});
