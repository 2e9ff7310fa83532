import type { EventEnvelope } from '../events/index.js';
import { foldDifferences, foldReservation, type FoldDifference, type FoldedReservation, type TableReservation } from './reservation-fold.js';

export interface FoldReport {
  reservationId: string;
  events: Array<Pick<EventEnvelope, 'sequence' | 'type' | 'schemaVersion' | 'occurredAt'>>;
  folded: FoldedReservation | undefined;
  table: TableReservation | undefined;
  differences: FoldDifference[];
}

/** Folds a reservation's events and sets the result beside what the reservations table says. */
export function foldReport(reservationId: string, events: readonly EventEnvelope[], table: TableReservation | undefined): FoldReport {
  const folded = foldReservation(events as never);
  return {
    reservationId,
    events: events.map((e) => ({ sequence: e.sequence, type: e.type, schemaVersion: e.schemaVersion, occurredAt: e.occurredAt })),
    folded,
    table,
    differences: foldDifferences(folded, table),
  };
}

/** The report as the operator reads it: the events, then one line per field, the differences marked. */
export function formatFoldReport(r: FoldReport): string {
  const lines = [`reservation ${r.reservationId}: ${r.events.length} events`];
  for (const e of r.events) lines.push(`  #${e.sequence} ${e.type} v${e.schemaVersion} at ${e.occurredAt}`);
  const fields: Array<keyof FoldedReservation> = ['status', 'userId', 'scheduleId', 'amount', 'seatIds', 'expiresAt'];
  const show = (v: unknown) => (v === undefined ? '-' : Array.isArray(v) ? v.join(',') : v instanceof Date ? v.toISOString() : String(v));
  const differing = new Set(r.differences.map((d) => d.field));
  lines.push('', `  ${'field'.padEnd(12)}${'folded from the log'.padEnd(34)}reservations table`);
  for (const f of fields) lines.push(`${differing.has(f) ? '! ' : '  '}${f.padEnd(12)}${show(r.folded?.[f]).padEnd(34)}${show(r.table?.[f])}`);
  lines.push('', r.differences.length === 0 ? 'the log and the table agree' : `DIFFERENT: ${r.differences.map((d) => `${d.field} (log ${show(d.folded)}, table ${show(d.table)})`).join('; ')}`);
  return lines.join('\n');
}
