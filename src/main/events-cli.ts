import { ReservationRepository } from '../booking/repository.js';
import { CatalogRepository } from '../catalog/repository.js';
import { loadConfig } from '../config.js';
import { foldReport, formatFoldReport } from '../booking/fold-report.js';
import { EventLogReader } from '../events/log-reader.js';
import { rebuildReadModel, type RebuildableReadModel } from '../events/read-model-rebuild.js';
import type { TableReservation } from '../booking/reservation-fold.js';
import { salesReadModel } from '../events/sales-rebuild.js';
import { SalesRepository } from '../events/sales-repository.js';
import { createDatabase, type Db } from '../platform/db/client.js';
import { domainDatabaseUrl } from '../platform/db/domains.js';
import { recommendationsReadModel } from '../recommendations/rebuild.js';
import { buildRecommendations } from '../recommendations/wiring.js';

/**
 * The read models `rebuild` knows, by name, each with the database its tables live in (the events
 * database for sales, recommendations' own for recommendations). The log they fold is booking's outbox
 * (reservation and concert events); the catalog is asked through its repository on booking's database.
 */
export function readModels(dbs: { booking: Db; events: Db; recommendations: Db }): Record<string, { model: RebuildableReadModel; db: Db }> {
  const recs = buildRecommendations(dbs.recommendations, new CatalogRepository(dbs.booking));
  return {
    sales: { model: salesReadModel(new SalesRepository(dbs.events)), db: dbs.events },
    recommendations: { model: recommendationsReadModel(recs.repo, recs.concertOf), db: dbs.recommendations },
  };
}

/** The reservations table's row in the fold's terms (booking's repository is its owner). */
export async function tableReservation(db: Db, reservationId: string): Promise<TableReservation | undefined> {
  const r = await new ReservationRepository(db).find(reservationId);
  if (!r) return undefined;
  return { reservationId: r.id, status: r.status, userId: r.userId, scheduleId: r.scheduleId, amount: r.amount, seatIds: r.seats.map((s) => s.seatId), expiresAt: r.expiresAt.toISOString() };
}

/** Composition root of `npm run events -- fold|rebuild` (scripts/events.ts). Returns the exit code. */
export async function runOperatorCommand(command: 'fold' | 'rebuild', args: string[]): Promise<number> {
  const config = loadConfig();
  const database = createDatabase(config.MYSQL_URL, 4);
  try {
    const log = new EventLogReader(database.db);
    if (command === 'fold') {
      const [aggregate, id] = args;
      if (aggregate !== 'reservation' || !id) throw new Error('usage: npm run events -- fold reservation <reservation id>');
      const report = foldReport(id, await log.aggregate('reservation', id), await tableReservation(database.db, id));
      if (report.events.length === 0 && !report.table) {
        console.error(`no reservation ${id} in the log or the table`);
        return 1;
      }
      console.log(formatFoldReport(report));
      return report.differences.length === 0 ? 0 : 3;
    }
    const eventsDatabase = createDatabase(domainDatabaseUrl(config, 'events'), 2);
    const recommendationsDatabase = createDatabase(domainDatabaseUrl(config, 'recommendations'), 2);
    try {
      const models = readModels({ booking: database.db, events: eventsDatabase.db, recommendations: recommendationsDatabase.db });
      const chosen = args[0] ? models[args[0]] : undefined;
      if (!chosen) throw new Error(`usage: npm run events -- rebuild <${Object.keys(models).join('|')}>`);
      const report = await rebuildReadModel(chosen.db, log, chosen.model);
      console.log(
        `rebuilt ${report.readModel} from the outbox in ${report.ms} ms: ${report.eventsFolded} events folded, ` +
          `${Object.entries(report.rows).map(([t, n]) => `${n} rows in ${t}`).join(', ')}; swapped in; ${report.caughtUp} events applied during the rebuild caught up`,
      );
      return 0;
    } finally {
      await Promise.all([eventsDatabase.close(), recommendationsDatabase.close()]);
    }
  } finally {
    await database.close();
  }
}
