import mysql from 'mysql2/promise';

/** Payment's tables, in the order their rows are copied (all columns, same shapes on both sides). */
const MOVED_TABLES = ['wallets', 'wallet_ledger', 'payments', 'refunds', 'card_payments', 'provider_events'] as const;
const EVENT_COLUMNS = '`id`, `type`, `schema_version`, `aggregate_type`, `aggregate_id`, `sequence`, `user_id`, `payload`, `occurred_at`, `published_at`';

/**
 * Before the main set's 0009 drops payment's tables from booking's database, copies their rows and
 * the payment and wallet events of booking's outbox (with their sequences and published marks, so
 * nothing is published twice and each wallet's event sequence goes on) into payment's database.
 * A one-off of the migration command, run by the admin account: the one statement that names two
 * databases, never run by the application. INSERT IGNORE makes a repeated run after a failure safe.
 * Returns the rows copied per table; nothing when booking's database no longer has the tables.
 */
export async function moveLegacyPaymentRows(adminUrl: string, bookingDb: string, paymentDb: string): Promise<Record<string, number>> {
  const u = new URL(adminUrl);
  u.pathname = '/';
  const conn = await mysql.createConnection({ uri: u.toString() });
  try {
    const [present] = await conn.query('SELECT COUNT(*) n FROM information_schema.tables WHERE table_schema = ? AND table_name = ?', [bookingDb, 'wallets']);
    if (Number((present as Array<{ n: number }>)[0]?.n) === 0) return {};
    const copied: Record<string, number> = {};
    const [existing] = await conn.query('SELECT table_name AS name FROM information_schema.tables WHERE table_schema = ?', [bookingDb]);
    const there = new Set((existing as Array<{ name: string }>).map((t) => t.name));
    for (const table of MOVED_TABLES) {
      // A database from before 0007 has no card tables yet (0007 creates them, 0009 drops them again).
      if (!there.has(table)) continue;
      const [r] = await conn.query(`INSERT IGNORE INTO \`${paymentDb}\`.\`${table}\` SELECT * FROM \`${bookingDb}\`.\`${table}\``);
      copied[table] = (r as mysql.ResultSetHeader).affectedRows;
    }
    const [events] = await conn.query(
      `INSERT IGNORE INTO \`${paymentDb}\`.domain_events (${EVENT_COLUMNS}) SELECT ${EVENT_COLUMNS} FROM \`${bookingDb}\`.domain_events
       WHERE aggregate_type IN ('payment', 'wallet') ORDER BY position`,
    );
    copied.domain_events = (events as mysql.ResultSetHeader).affectedRows;
    return copied;
  } finally {
    await conn.end();
  }
}
