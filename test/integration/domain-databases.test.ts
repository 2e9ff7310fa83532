import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../support/harness.js';

/**
 * A database per domain (issue 27, payment first): each domain's MySQL user reads and writes its own
 * database only. Connected as each user, the other domain's tables are refused by MySQL itself.
 */
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

  it('gives booking and payment their own users', () => {
    // Without GRANT OPTION for the run's account (an older stack) the harness falls back to that
    // account for both databases: this test then fails on purpose.
    expect(ctx.isolatedUsers, 'the MySQL account of the test run cannot create users (restart the stack with scripts/stack.sh)').toBe(true);
    expect(new URL(ctx.databaseUrls.payment).username).not.toBe(new URL(ctx.databaseUrls.booking).username);
  });

  it("refuses payment's user booking's tables, and booking's user payment's tables", async () => {
    const user = await ctx.createUser({ balance: 5_000 });
    const payment = await connectAs(ctx.databaseUrls.payment);
    const booking = await connectAs(ctx.databaseUrls.booking);
    try {
      // Each reads its own.
      const [own] = await payment.query('SELECT balance FROM wallets WHERE user_id = ?', [user.id]);
      expect(own).toEqual([{ balance: 5_000 }]);
      const [ownUsers] = await booking.query('SELECT COUNT(*) n FROM users WHERE id = ?', [user.id]);
      expect(ownUsers).toEqual([{ n: 1 }]);
      // And is refused the other's, by name and by any query that would reach across.
      const bookingDb = dbOf(ctx.databaseUrls.booking);
      const paymentDb = dbOf(ctx.databaseUrls.payment);
      await expect(payment.query(`SELECT * FROM \`${bookingDb}\`.reservations LIMIT 1`)).rejects.toMatchObject({ code: 'ER_TABLEACCESS_DENIED_ERROR' });
      await expect(payment.query(`SELECT * FROM \`${bookingDb}\`.users LIMIT 1`)).rejects.toMatchObject({ code: 'ER_TABLEACCESS_DENIED_ERROR' });
      await expect(booking.query(`SELECT * FROM \`${paymentDb}\`.wallets LIMIT 1`)).rejects.toMatchObject({ code: 'ER_TABLEACCESS_DENIED_ERROR' });
      await expect(booking.query(`UPDATE \`${paymentDb}\`.wallets SET balance = 0`)).rejects.toMatchObject({ code: 'ER_TABLEACCESS_DENIED_ERROR' });
      await expect(connectAs(ctx.databaseUrls.payment.replace(`/${paymentDb}`, `/${bookingDb}`))).rejects.toMatchObject({ code: 'ER_DBACCESS_DENIED_ERROR' });
      // Booking's database has no payment table left (the main set's 0009 dropped them).
      const [left] = await booking.query(`SELECT table_name FROM information_schema.tables WHERE table_schema = ? AND table_name IN ('wallets', 'wallet_ledger', 'payments', 'refunds')`, [bookingDb]);
      expect(left).toEqual([]);
    } finally {
      await payment.end();
      await booking.end();
    }
  });
});
