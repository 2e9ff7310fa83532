import { createRoute, z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import type { SalesReport } from '../booking/index.js';
import type { LedgerEntry, SalesLedger } from '../payment/index.js';
import { attendeesOf, type Attendee, type AttendeeSources } from '../ticketing/index.js';
import type { Db } from '../platform/db/client.js';
import { csvStream, CSV_TYPE, xlsxStream, XLSX_TYPE, type Column } from './spreadsheet-stream.js';
import { createRouter, type AppEnv } from '../platform/http/app.js';
import { bearerSecurity, IdParam, json, problems } from '../platform/http/openapi.js';
import { notFound } from '../shared/errors.js';

const SalesTimelineBody = z
  .object({
    scheduleId: z.number().int(),
    minutes: z.array(
      z.object({
        minute: z.string().openapi({ description: 'Start of the minute (UTC, ISO 8601)' }),
        purchases: z.number().int().openapi({ description: 'Purchases confirmed in this minute (refunded later or not)' }),
        seats: z.number().int(),
        amount: z.number().int().openapi({ description: 'KRW' }),
      }),
    ),
  })
  .openapi('SalesReport');

const ExportQuery = z.object({ format: z.enum(['csv', 'xlsx']).default('csv').openapi({ description: 'csv (UTF-8 with BOM) or xlsx' }) }).strict();
const exportResponse = (what: string) => ({
  200: {
    description: `${what}, streamed`,
    content: { [CSV_TYPE]: { schema: z.string() }, [XLSX_TYPE]: { schema: z.string().openapi({ format: 'binary' }) } },
  },
  ...problems(400, 401, 403, 404),
});

const ATTENDEE_COLUMNS: Column<Attendee>[] = [
  { header: 'ticket', value: (a) => a.ticketId, width: 10 },
  { header: 'reservation', value: (a) => a.reservationId, width: 28 },
  { header: 'section', value: (a) => a.section, width: 10 },
  { header: 'row', value: (a) => a.row, width: 6 },
  { header: 'seat', value: (a) => a.number, width: 6 },
  { header: 'tier', value: (a) => a.tier, width: 8 },
  { header: 'holder id', value: (a) => a.holderId, width: 10 },
  { header: 'holder', value: (a) => a.holder, width: 24 },
  { header: 'state', value: (a) => a.state, width: 8 },
  { header: 'admitted at', value: (a) => a.admittedAt, width: 24 },
];
const LEDGER_COLUMNS: Column<LedgerEntry>[] = [
  { header: 'at', value: (e) => e.at, width: 24 },
  { header: 'kind', value: (e) => e.kind, width: 10 },
  { header: 'reservation', value: (e) => e.reservationId, width: 28 },
  { header: 'payment', value: (e) => e.paymentId, width: 10 },
  { header: 'buyer id', value: (e) => e.buyerId, width: 10 },
  { header: 'amount (KRW)', value: (e) => e.amount, width: 14 },
  { header: 'reason', value: (e) => e.reason, width: 30 },
];

export interface PerformanceReportDeps {
  db: Db;
  timeline: SalesReport;
  /** Payment's module for its payments and refunds (its tables are payment's alone). */
  ledger: SalesLedger;
  attendeeSources: AttendeeSources;
  audit: { recordAdminAction(action: { adminId: number; action: string; target: string; detail: string }): Promise<void> };
  scheduleExists: (scheduleId: number) => Promise<boolean>;
  auth: MiddlewareHandler<AppEnv>;
  requireAdmin: MiddlewareHandler<AppEnv>;
  auditForbidden: MiddlewareHandler<AppEnv>;
}

/**
 * The organiser's reports on one performance (ADMIN): sales over time for the dashboard's chart, and
 * the exports (attendee list, sales ledger) as CSV or XLSX, streamed a page of rows at a time and
 * audited (an AdminAction per export: who took which list of whom).
 */
export function performanceReportRoutes(deps: PerformanceReportDeps) {
  const app = createRouter();
  app.use('/admin/schedules/:scheduleId/sales/timeline', deps.auditForbidden, deps.auth, deps.requireAdmin);
  app.use('/admin/schedules/:scheduleId/exports/*', deps.auditForbidden, deps.auth, deps.requireAdmin);

  const exported = async <T>(
    adminId: number,
    scheduleId: number,
    format: 'csv' | 'xlsx',
    name: string,
    columns: Column<T>[],
    rows: () => AsyncIterable<T>,
  ) => {
    if (!(await deps.scheduleExists(scheduleId))) throw notFound('Schedule');
    await deps.audit.recordAdminAction({ adminId, action: `export.${name}`, target: `schedule-${scheduleId}`, detail: format });
    const body = format === 'xlsx' ? xlsxStream(name, columns, rows()) : csvStream(columns, rows());
    return new Response(body, {
      status: 200,
      headers: { 'content-type': format === 'xlsx' ? XLSX_TYPE : CSV_TYPE, 'content-disposition': `attachment; filename="schedule-${scheduleId}-${name}.${format}"`, 'cache-control': 'no-store' },
    });
  };

  app.openapi(
    createRoute({
      method: 'get',
      path: '/admin/schedules/{scheduleId}/exports/attendees',
      tags: ['admin'],
      summary: "A performance's attendee list (every ticket: seat, tier, holder, state as the door sees it), CSV or XLSX",
      description: 'Streamed a thousand tickets at a time, so any size fits in little memory. state: VALID, USED (admitted, with the time) or VOID (refunded or the performance cancelled). Each export is audited (AdminAction export.attendees).',
      security: bearerSecurity,
      request: { params: IdParam('scheduleId'), query: ExportQuery },
      responses: exportResponse('The attendee list'),
    }),
    async (c) => {
      const { scheduleId } = c.req.valid('param');
      return exported(c.get('user').id, scheduleId, c.req.valid('query').format, 'attendees', ATTENDEE_COLUMNS, () => attendeesOf(deps.db, deps.attendeeSources, scheduleId)) as never;
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/admin/schedules/{scheduleId}/exports/sales-ledger',
      tags: ['admin'],
      summary: "A performance's sales ledger (each payment, and each refund as a negative amount), CSV or XLSX",
      description: "Booking names the performance's purchases a page at a time; payment's own module gives their payments and refunds. Streamed; audited (AdminAction export.sales-ledger).",
      security: bearerSecurity,
      request: { params: IdParam('scheduleId'), query: ExportQuery },
      responses: exportResponse('The sales ledger'),
    }),
    async (c) => {
      const { scheduleId } = c.req.valid('param');
      const ledger = deps.ledger;
      const pages = deps.timeline.purchaseIdPages(scheduleId);
      async function* entries() {
        for await (const ids of pages) yield* await ledger.entriesFor(ids);
      }
      return exported(c.get('user').id, scheduleId, c.req.valid('query').format, 'sales-ledger', LEDGER_COLUMNS, entries) as never;
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/admin/schedules/{scheduleId}/sales/timeline',
      tags: ['admin'],
      summary: "A performance's sales over time: purchases, seats and amount per minute, oldest first",
      description: 'Read from the reservations themselves (each purchase keeps its confirmation time), so it is exact and includes purchases refunded since.',
      security: bearerSecurity,
      request: { params: IdParam('scheduleId') },
      responses: { 200: json(SalesTimelineBody, 'Sales per minute'), ...problems(400, 401, 403, 404) },
    }),
    async (c) => {
      const { scheduleId } = c.req.valid('param');
      if (!(await deps.scheduleExists(scheduleId))) throw notFound('Schedule');
      return c.json({ scheduleId, minutes: await deps.timeline.perMinute(scheduleId) }, 200);
    },
  );

  return app;
}
