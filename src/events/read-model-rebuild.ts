import { sql, type SQL } from 'drizzle-orm';
import type { Db } from '../platform/db/client.js';
import type { EventEnvelope } from './catalog.js';
import type { EventLogReader } from './log-reader.js';

export type Row = Record<string, string | number | Date | null>;

/** A read model's fold of the whole log in memory: the rows its fresh tables start with. */
export interface ReadModelFold {
  apply(event: EventEnvelope): void | Promise<void>;
  /** Rows per table name (column names as in SQL). */
  rows(): Record<string, Row[]>;
}

/** What a read model tells the rebuild about itself. */
export interface RebuildableReadModel {
  name: string;
  /** Every table of the read model, swapped together; one of them is the ledger. */
  tables: readonly string[];
  /** The dedup ledger: one `event_id` column, a row per applied event. */
  ledger: string;
  aggregateTypes: readonly string[];
  fold(): ReadModelFold;
  /** The live consumer's idempotent apply (ledger + change in one transaction). */
  applyLive(event: EventEnvelope): Promise<boolean>;
}

export interface RebuildReport {
  readModel: string;
  eventsFolded: number;
  rows: Record<string, number>;
  /** Events the live consumer applied to the old tables that the fold had not read, applied after the swap. */
  caughtUp: number;
  ms: number;
}

const ident = (name: string) => sql.identifier(name);
const REBUILD = '__rebuild';
const OLD = '__old';

/**
 * Rebuilds a read model from the outbox (the complete log; Kafka keeps only its retention) while its
 * live consumer keeps running:
 *  1. fresh empty copies of its tables (CREATE TABLE ... LIKE);
 *  2. every event of its aggregate types, in log order, folded in memory; the ledger copy gets each id;
 *  3. the folded rows written to the fresh tables;
 *  4. one RENAME TABLE swaps every table at once: readers see either the old model or the new one,
 *     never a mix and never nothing (RENAME waits for the consumer's open transaction to finish);
 *  5. the events the consumer applied to the old tables while the fold ran, and that the fold had
 *     not read (committed after its scan passed them), are the old ledger's ids missing from the new
 *     one: they are applied to the new tables through the consumer's own idempotent apply.
 * Events the consumer has not reached yet arrive through Kafka as usual; those the fold already
 * counted are in the new ledger, so the consumer skips them. Each event therefore counts once.
 * Run one rebuild of a model at a time.
 */
export async function rebuildReadModel(db: Db, log: EventLogReader, model: RebuildableReadModel): Promise<RebuildReport> {
  const started = Date.now();
  for (const t of model.tables) {
    await db.execute(sql`DROP TABLE IF EXISTS ${ident(t + REBUILD)}`);
    await db.execute(sql`CREATE TABLE ${ident(t + REBUILD)} LIKE ${ident(t)}`);
  }
  const fold = model.fold();
  let eventsFolded = 0;
  for await (const page of log.scan(model.aggregateTypes)) {
    for (const event of page) await fold.apply(event);
    eventsFolded += page.length;
    await insertRows(db, model.ledger + REBUILD, page.map((e) => ({ event_id: e.id, created_at: new Date() })));
  }
  const rows = fold.rows();
  for (const [table, tableRows] of Object.entries(rows)) await insertRows(db, table + REBUILD, tableRows);

  for (const t of model.tables) await db.execute(sql`DROP TABLE IF EXISTS ${ident(t + OLD)}`);
  const renames = model.tables.flatMap((t) => [sql`${ident(t)} TO ${ident(t + OLD)}`, sql`${ident(t + REBUILD)} TO ${ident(t)}`]);
  await db.execute(sql`RENAME TABLE ${sql.join(renames, sql`, `)}`);

  const [missed] = (await db.execute(
    sql`SELECT o.event_id FROM ${ident(model.ledger + OLD)} o LEFT JOIN ${ident(model.ledger)} n ON n.event_id = o.event_id WHERE n.event_id IS NULL`,
  )) as unknown as [Array<{ event_id: string }>];
  let caughtUp = 0;
  for (let i = 0; i < missed.length; i += 500) {
    for (const event of await log.byIds(missed.slice(i, i + 500).map((m) => m.event_id))) if (await model.applyLive(event)) caughtUp++;
  }
  for (const t of model.tables) await db.execute(sql`DROP TABLE IF EXISTS ${ident(t + OLD)}`);
  return { readModel: model.name, eventsFolded, rows: Object.fromEntries(Object.entries(rows).map(([t, r]) => [t, r.length])), caughtUp, ms: Date.now() - started };
}

async function insertRows(db: Db, table: string, rows: Row[], chunk = 500): Promise<void> {
  if (rows.length === 0) return;
  const columns = Object.keys(rows[0]!);
  for (let i = 0; i < rows.length; i += chunk) {
    const values: SQL[] = rows.slice(i, i + chunk).map((r) => sql`(${sql.join(columns.map((c) => sql`${r[c]}`), sql`, `)})`);
    await db.execute(sql`INSERT IGNORE INTO ${ident(table)} (${sql.join(columns.map(ident), sql`, `)}) VALUES ${sql.join(values, sql`, `)}`);
  }
}
