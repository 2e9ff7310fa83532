import mysql from 'mysql2/promise';

const EVENT_COLUMNS = '`id`, `type`, `schema_version`, `aggregate_type`, `aggregate_id`, `sequence`, `user_id`, `payload`, `occurred_at`, `published_at`';

/** What one domain takes with it when its tables leave booking's database. */
export interface LegacyMove {
  /**
   * Its tables, in the order their rows are copied: every column of booking's table, by name (a column
   * a later migration added sits last in booking's table but in its place in the domain's own).
   */
  tables: readonly string[];
  /** Its events' aggregate types in booking's outbox; none for a domain that writes no events (it has no outbox). */
  aggregateTypes: readonly string[];
}

/**
 * Before a main-set migration drops a domain's tables from booking's database, copies their rows and
 * the domain's events of booking's outbox (with their sequences and published marks, so nothing is
 * published twice and each aggregate's sequence goes on) into the domain's own database. A one-off
 * of the migration command, run by the admin account: the one statement that names two databases,
 * never run by the application. INSERT IGNORE makes a repeated run after a failure safe. Returns the
 * rows copied per table; nothing when booking's database no longer has the first table.
 */
export async function moveLegacyRows(adminUrl: string, bookingDb: string, domainDb: string, move: LegacyMove): Promise<Record<string, number>> {
  const u = new URL(adminUrl);
  u.pathname = '/';
  const conn = await mysql.createConnection({ uri: u.toString() });
  try {
    const [existing] = await conn.query('SELECT table_name AS name FROM information_schema.tables WHERE table_schema = ?', [bookingDb]);
    const there = new Set((existing as Array<{ name: string }>).map((t) => t.name));
    if (!there.has(move.tables[0]!)) return {};
    const copied: Record<string, number> = {};
    for (const table of move.tables) {
      // An older database may not have every table yet (a later migration creates it).
      if (!there.has(table)) continue;
      const [cols] = await conn.query('SELECT column_name AS name FROM information_schema.columns WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position', [bookingDb, table]);
      const columns = (cols as Array<{ name: string }>).map((c) => `\`${c.name}\``).join(', ');
      const [r] = await conn.query(`INSERT IGNORE INTO \`${domainDb}\`.\`${table}\` (${columns}) SELECT ${columns} FROM \`${bookingDb}\`.\`${table}\``);
      copied[table] = (r as mysql.ResultSetHeader).affectedRows;
      // Ids booking's table handed out (a row deleted since included) are never handed out again.
      const [[counter]] = (await conn.query('SELECT auto_increment AS next FROM information_schema.tables WHERE table_schema = ? AND table_name = ?', [bookingDb, table])) as unknown as [Array<{ next: number | null }>];
      if (counter?.next) await conn.query(`ALTER TABLE \`${domainDb}\`.\`${table}\` AUTO_INCREMENT = ${Number(counter.next)}`);
    }
    if (move.aggregateTypes.length === 0) return copied;
    const [events] = await conn.query(
      `INSERT IGNORE INTO \`${domainDb}\`.domain_events (${EVENT_COLUMNS}) SELECT ${EVENT_COLUMNS} FROM \`${bookingDb}\`.domain_events
       WHERE aggregate_type IN (?) ORDER BY position`,
      [move.aggregateTypes],
    );
    copied.domain_events = (events as mysql.ResultSetHeader).affectedRows;
    return copied;
  } finally {
    await conn.end();
  }
}
