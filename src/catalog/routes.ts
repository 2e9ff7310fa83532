import { createRoute, z } from '@hono/zod-openapi';
import { createRouter } from '../platform/http/app.js';
import { sendJson } from '../platform/http/representation.js';
import { IdParam, isoDate, json, PageQuery, problems } from '../platform/http/openapi.js';
import { notFound } from '../shared/errors.js';
import type { CatalogRepository, ConcertSummary } from './repository.js';
import { scheduleStatuses } from './schedule-rules.js';
import { ScheduleFields, scheduleView } from './representation.js';
import type { SeatMapCache } from './seat-map-cache.js';

const Concert = z
  .object({
    id: z.number().int(),
    title: z.string(),
    artist: z.string(),
    description: z.string(),
    venue: z.string(),
    createdAt: z.string(),
    performances: z
      .object({ count: z.number().int(), firstStartsAt: z.string(), lastStartsAt: z.string() })
      .nullable()
      .openapi({ description: 'How many performances and the first and last date (null: none yet)' }),
    priceRange: z.object({ min: z.number().int(), max: z.number().int() }).nullable().openapi({ description: 'Cheapest and dearest seat, KRW' }),
    availability: z
      .object({ total: z.number().int(), available: z.number().int() })
      .nullable()
      .openapi({ description: 'Seats over all performances, and those free now on performances on sale (not paused or cancelled)' }),
  })
  .openapi('Concert');
/**
 * The schemas that name seat statuses, built from booking's list (SeatStatusPort.statuses): catalog
 * never spells a status itself. Counts carry one lower-case key per status and their total.
 */
function seatSchemas(statuses: readonly [string, ...string[]]) {
  const SeatCounts = z.object({ total: z.number().int(), ...Object.fromEntries(statuses.map((s) => [s.toLowerCase(), z.number().int()])) });
  const Schedule = ScheduleFields
    .extend({
      status: z.enum(scheduleStatuses).openapi({ description: 'SCHEDULED, PAUSED (sale paused), CANCELLING or CANCELLED' }),
      maxTicketsPerUser: z.number().int().openapi({ description: 'Seats one buyer may hold or own on this schedule, over all their reservations (409 TICKET_LIMIT past it)' }),
      seats: SeatCounts,
    })
    .openapi('Schedule');
  const SeatStatus = z.enum(statuses as unknown as [string, ...string[]]);
  const Seat = z
    .object({ id: z.number().int(), section: z.string(), row: z.string(), number: z.number().int(), tier: z.string(), price: z.number().int(), status: SeatStatus })
    .openapi('Seat');
  const SeatMap = z.object({ scheduleId: z.number().int(), items: z.array(Seat) }).openapi('SeatMap');
  return { Schedule, SeatStatus, SeatMap };
}

const COMPACT_COLUMNS = ['id', 'section', 'row', 'number', 'tier', 'price', 'status'] as const;
const CompactSeatMap = z
  .object({
    scheduleId: z.number().int(),
    columns: z.array(z.enum(COMPACT_COLUMNS)).openapi({ description: `Always ${JSON.stringify(COMPACT_COLUMNS)}` }),
    rows: z.array(z.array(z.union([z.number().int(), z.string()]))).openapi({ description: 'One array per seat, its values in `columns` order' }),
  })
  .openapi('CompactSeatMap');

type ConcertRow = { id: number; title: string; artist: string; description: string; venue: string; createdAt: Date };
const toConcert = (c: ConcertRow, summary: ConcertSummary | undefined) => ({
  ...c,
  createdAt: c.createdAt.toISOString(),
  performances: summary?.performances ?? null,
  priceRange: summary?.priceRange ?? null,
  availability: summary?.availability ?? null,
});

/** `seatStatuses`: booking's seat-status list (SeatStatusPort.statuses), for the seat map's and counts' schemas. */
export function catalogRoutes(deps: { catalog: CatalogRepository; seatMaps: SeatMapCache; seatStatuses: readonly [string, ...string[]] }) {
  const app = createRouter();
  const { Schedule, SeatStatus, SeatMap } = seatSchemas(deps.seatStatuses);

  app.openapi(
    createRoute({
      method: 'get',
      path: '/concerts',
      tags: ['catalog'],
      summary: 'Concerts, newest first; optionally only those with a performance in [from, to]',
      request: {
        // from after to is an empty window (no concerts), not an error: the document cannot compare two parameters.
        query: PageQuery.extend({ from: isoDate().optional(), to: isoDate().optional() }).strict(),
      },
      responses: {
        200: json(z.object({ items: z.array(Concert), page: z.number().int(), pageSize: z.number().int(), total: z.number().int() }), 'A page of concerts'),
        ...problems(400),
      },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const { items, total } = await deps.catalog.listConcerts(q);
      const summaries = await deps.catalog.concertSummaries(items.map((i) => i.id));
      return c.json({ items: items.map((i) => toConcert(i, summaries.get(i.id))), page: q.page, pageSize: q.pageSize, total }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/concerts/{concertId}',
      tags: ['catalog'],
      summary: 'Concert detail',
      request: { params: IdParam('concertId') },
      responses: { 200: json(Concert, 'The concert'), ...problems(400, 404) },
    }),
    async (c) => {
      const concert = await deps.catalog.findConcert(c.req.valid('param').concertId);
      if (!concert) throw notFound('Concert');
      const summaries = await deps.catalog.concertSummaries([concert.id]);
      return c.json(toConcert(concert, summaries.get(concert.id)), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/concerts/{concertId}/schedules',
      tags: ['catalog'],
      summary: 'Performances of a concert with seat availability counts',
      request: { params: IdParam('concertId') },
      responses: { 200: json(z.object({ items: z.array(Schedule) }), 'Schedules'), ...problems(400, 404) },
    }),
    async (c) => {
      const { concertId } = c.req.valid('param');
      if (!(await deps.catalog.findConcert(concertId))) throw notFound('Concert');
      const rows = await deps.catalog.schedulesWithAvailability(concertId);
      const items = rows.map((s) => ({ ...scheduleView(s), seats: s.seats }));
      return c.json({ items }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/schedules/{scheduleId}/seats',
      tags: ['catalog'],
      summary: 'Seat map with each seat’s status (served from the Redis cache)',
      description:
        'Public and possibly large (up to 20,000 seats), so it is served the cheap way: an `ETag` (send it back in ' +
        '`If-None-Match` and get `304 Not Modified` until a seat changes), gzip or brotli when `Accept-Encoding` allows, ' +
        'and `view=compact`: the same seats as rows of `columns` (about half the bytes of the default objects).',
      request: { params: IdParam('scheduleId'), query: z.object({ status: SeatStatus.optional(), view: z.enum(['full', 'compact']).optional() }).strict() },
      responses: {
        200: json(z.union([SeatMap, CompactSeatMap]), 'Seats (`CompactSeatMap` with view=compact)'),
        304: { description: 'Not modified: the map is still the one named by If-None-Match' },
        ...problems(400, 404),
      },
    }),
    async (c) => {
      const { scheduleId } = c.req.valid('param');
      const { status, view } = c.req.valid('query');
      const seats = await deps.seatMaps.get(scheduleId);
      if (seats.length === 0 && !(await deps.catalog.findSchedule(scheduleId))) throw notFound('Schedule');
      const items = status ? seats.filter((s) => s.status === status) : seats;
      const body = view === 'compact' ? { scheduleId, columns: COMPACT_COLUMNS, rows: items.map((s) => COMPACT_COLUMNS.map((k) => s[k])) } : { scheduleId, items };
      return (await sendJson(c, body)) as never;
    },
  );

  return app;
}
