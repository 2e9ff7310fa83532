import { randomUUID } from 'node:crypto';
import mysql from 'mysql2/promise';
import { afterAll, describe, expect, inject, it } from 'vitest';
import type { EventEnvelope } from '../../src/events/catalog.js';
import { SalesRepository } from '../../src/events/sales-repository.js';
import { migrateAllDatabases } from '../../src/main/migrations.js';
import { createDatabase } from '../../src/platform/db/client.js';
import { domainDatabaseUrl } from '../../src/platform/db/domains.js';
import { legacyMainSet } from '../support/legacy-main-set.js';

/**
 * Issue 27, the read models leave booking's database: a booking database as the release before left
 * it (the main set up to 0014, the sales and recommendations read models in it, a rebuild's leftover
 * beside them) is migrated with `npm run migrate`'s code. The sales figures, their ledger and
 * processed_events end up in the events database, the holdings, pairs and their ledger in
 * recommendations' own, row for row; booking's copies (and the leftover) are gone, its outbox stays
 * untouched; an event the old ledger had applied still counts once; a second run moves nothing.
 */
describe('read models migration (main set 0015)', () => {
  const stack = inject('stack');
  const legacy = legacyMainSet(stack.mysqlServerUrl);
  const { bookingUrl, config } = legacy;

  afterAll(() => legacy.drop());

  it("copies both read models into their own databases before 0015 drops them from booking's", async () => {
    // The main set as the release before shipped it: every migration up to 0014.
    await legacy.migrateUpTo(14, '0015_read_models_moved_out');

    const booking = await mysql.createConnection({ uri: bookingUrl, timezone: 'Z' });
    let events: mysql.Connection | undefined;
    let recommendations: mysql.Connection | undefined;
    const eventsDatabase = createDatabase(domainDatabaseUrl(config, 'events'), 1);
    try {
      // The read models as the old code wrote them in booking's database.
      const at = (s: string) => new Date(`2026-11-05T12:00:${s}.000Z`);
      const sales = [
        { schedule_id: 1, reservations_started: 5, reservations_confirmed: 3, seats_held: 2, seats_sold: 6, revenue: 60_000, updated_at: at('01') },
        { schedule_id: 2, reservations_started: 0, reservations_confirmed: 0, seats_held: 0, seats_sold: 0, revenue: 0, updated_at: at('02') },
      ];
      const salesLedger = [randomUUID(), randomUUID(), randomUUID()].sort().map((eventId) => ({ event_id: eventId, created_at: at('03') }));
      const processed = [{ consumer: 'some-consumer', event_id: randomUUID(), created_at: at('04') }];
      const holdings = [
        { user_id: 7, concert_id: 1, reservations: 1 },
        { user_id: 7, concert_id: 2, reservations: 2 },
      ];
      const pairs = [
        { concert_id: 1, other_concert_id: 2, buyers: 1 },
        { concert_id: 2, other_concert_id: 1, buyers: 1 },
      ];
      const recsLedger = [randomUUID(), randomUUID()].sort().map((eventId) => ({ event_id: eventId, created_at: at('05') }));
      const insert = async (table: string, rows: object[]) => {
        for (const r of rows) await booking.query(`INSERT INTO \`${table}\` SET ?`, [r]);
      };
      await insert('schedule_sales', sales);
      await insert('schedule_sales_applied', salesLedger);
      await insert('processed_events', processed);
      await insert('recommendation_holdings', holdings);
      await insert('recommendation_pairs', pairs);
      await insert('recommendation_applied', recsLedger);
      // What a rebuild stopped half-way leaves (src/events/read-model-rebuild.ts).
      await booking.query('CREATE TABLE `schedule_sales__rebuild` LIKE `schedule_sales`');
      // Booking's outbox keeps every event: none of it belongs to the read models.
      const logged = { id: randomUUID(), type: 'ReservationStarted', schema_version: 1, aggregate_type: 'reservation', aggregate_id: 'r-1', sequence: 1, user_id: 7, payload: '{}', occurred_at: at('00'), published_at: at('00') };
      await insert('domain_events', [logged]);

      const { moved } = await migrateAllDatabases(config);
      expect(moved).toMatchObject({
        'events.schedule_sales': 2,
        'events.schedule_sales_applied': 3,
        'events.processed_events': 1,
        'recommendations.recommendation_holdings': 2,
        'recommendations.recommendation_pairs': 2,
        'recommendations.recommendation_applied': 2,
      });
      // No events moved: the read models have no outbox.
      expect(Object.keys(moved).filter((k) => /^(events|recommendations)\.domain_events$/.test(k))).toEqual([]);

      // Row for row in their own databases (each connected as its own user, created by the migration).
      events = await mysql.createConnection({ uri: domainDatabaseUrl(config, 'events'), timezone: 'Z' });
      recommendations = await mysql.createConnection({ uri: domainDatabaseUrl(config, 'recommendations'), timezone: 'Z' });
      expect((await events.query('SELECT * FROM schedule_sales ORDER BY schedule_id'))[0]).toEqual(sales);
      expect((await events.query('SELECT * FROM schedule_sales_applied ORDER BY event_id'))[0]).toEqual(salesLedger);
      expect((await events.query('SELECT * FROM processed_events'))[0]).toEqual(processed);
      expect((await recommendations.query('SELECT * FROM recommendation_holdings ORDER BY user_id, concert_id'))[0]).toEqual(holdings);
      expect((await recommendations.query('SELECT * FROM recommendation_pairs ORDER BY concert_id, other_concert_id'))[0]).toEqual(pairs);
      expect((await recommendations.query('SELECT * FROM recommendation_applied ORDER BY event_id'))[0]).toEqual(recsLedger);

      // Booking's copies are gone, the rebuild's leftover too; its outbox is untouched.
      const [left] = await booking.query(
        `SELECT table_name FROM information_schema.tables WHERE table_schema = ? AND (table_name LIKE 'schedule\\_sales%' OR table_name LIKE 'recommendation\\_%' OR table_name = 'processed_events')`,
        [legacy.bookingDb],
      );
      expect(left).toEqual([]);
      const [kept] = await booking.query('SELECT id, aggregate_type, sequence FROM domain_events');
      expect(kept).toEqual([{ id: logged.id, aggregate_type: 'reservation', sequence: 1 }]);

      // An event the old ledger had applied, redelivered after the move, counts once: the ledger moved with the figures.
      expect(await new SalesRepository(eventsDatabase.db).apply({ id: salesLedger[0]!.event_id } as unknown as EventEnvelope)).toBe(false);
      expect((await events.query('SELECT seats_sold FROM schedule_sales WHERE schedule_id = 1'))[0]).toEqual([{ seats_sold: 6 }]);

      // Run again (say after a failure half-way): nothing to move, nothing changes.
      expect((await migrateAllDatabases(config)).moved).toEqual({});
      const [[count]] = (await events.query('SELECT COUNT(*) n FROM schedule_sales')) as unknown as [Array<{ n: number }>];
      expect(Number(count!.n)).toBe(2);
    } finally {
      await eventsDatabase.close();
      await booking.end();
      await events?.end();
      await recommendations?.end();
    }
  });
});
