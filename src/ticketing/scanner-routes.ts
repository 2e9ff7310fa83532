import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../platform/http/app.js';
import type { IdempotencyStore } from '../platform/http/idempotency.js';
import { bearerSecurity, IdempotencyKeyHeader, IdParam, json, jsonBody, problems } from '../platform/http/openapi.js';
import type { OfflineScans } from './scan-offline.js';

/**
 * The offline door scanner's API (STAFF or ADMIN; the caller's `/entry/*` guard applies):
 * the door list to download, the sync of queued scans, the performance's entry conflicts.
 * docs/tickets.md "Offline scanning".
 */
const ScheduleParam = IdParam('scheduleId');

const DoorList = z
  .object({
    scheduleId: z.number().int(),
    generatedAt: z.string(),
    publicKeys: z.array(z.string()).openapi({ description: 'Raw Ed25519 public keys of the performance, base64url (WebCrypto `raw`), current first' }),
    stepSeconds: z.number().int(),
    skewSteps: z.number().int(),
    gatesOpenAt: z.string().openapi({ description: 'From then on the PDF\'s static code admits' }),
    tickets: z.array(
      z.object({
        id: z.number().int(),
        serial: z.string().openapi({ description: 'The current serial (base64url, as in codes): a code with another one is revoked' }),
        state: z.enum(['VALID', 'USED', 'VOID']),
        voidReason: z.enum(['TICKET_REFUNDED', 'TICKET_CANCELLED']).nullable(),
        admittedAt: z.string().nullable(),
      }),
    ),
  })
  .openapi('DoorList');

const Conflict = z
  .object({
    ticketId: z.number().int(),
    entries: z.array(z.object({ scanId: z.string().nullable(), deviceId: z.string().nullable(), staffId: z.number().int(), scannedAt: z.string(), stands: z.boolean() })),
  })
  .openapi('EntryConflict');

const SyncBody = z
  .object({
    deviceId: z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, '8 to 64 of A-Z a-z 0-9 _ -'),
    scans: z
      .array(
        z
          .object({
            scanId: z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, '8 to 64 of A-Z a-z 0-9 _ -'),
            code: z.string().min(1).max(200),
            scannedAt: z.iso.datetime(),
          })
          .strict(),
      )
      .min(1)
      .max(500),
  })
  .strict()
  .openapi('ScanSync');

const SyncResult = z
  .object({
    results: z.array(
      z.object({
        scanId: z.string(),
        outcome: z.enum(['ADMITTED', 'CONFLICT', 'REFUSED']),
        ticketId: z.number().int().nullable(),
        firstScanAt: z.string().optional(),
        reason: z.string().optional(),
      }),
    ),
    conflicts: z.array(Conflict),
  })
  .openapi('ScanSyncResult');

export function registerScannerRoutes(app: OpenAPIHono<AppEnv>, deps: { offline: OfflineScans; idempotency: IdempotencyStore }) {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/entry/schedules/{scheduleId}/door-list',
      tags: ['tickets'],
      summary: 'What an offline door scanner downloads: the performance\'s public keys and its revocation list (every ticket\'s current serial and state)',
      security: bearerSecurity,
      request: { params: ScheduleParam },
      responses: { 200: json(DoorList, 'The door list'), ...problems(400, 401, 403, 404) },
    }),
    async (c) => {
      c.header('Cache-Control', 'no-store');
      return c.json(await deps.offline.doorList(c.req.valid('param').scheduleId), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/entry/schedules/{scheduleId}/scans/sync',
      tags: ['tickets'],
      summary: 'Sync the scans an offline scanner admitted: applied once each (by scanId), the first scan of a ticket by scan time stands',
      description:
        'Each scan is applied like an online scan, under the same locks, as of its `scannedAt`: ADMITTED (it stands), CONFLICT (an earlier scan of the ticket ' +
        'stands: a duplicate got in), REFUSED with a reason (a void ticket, an old serial, a code the scanner should not have admitted). A repeat of a scanId ' +
        'answers as the first time and changes nothing. `conflicts`: every ticket of the performance admitted more than once, so every gate sees them after its next sync.',
      security: bearerSecurity,
      middleware: [deps.idempotency.route('entry.sync')],
      request: { params: ScheduleParam, ...jsonBody(SyncBody), headers: IdempotencyKeyHeader },
      responses: { 200: json(SyncResult, 'What the server decided for each scan, and the performance\'s conflicts'), ...problems(400, 401, 403, 404, 409, 422) },
    }),
    async (c) => {
      const { scheduleId } = c.req.valid('param');
      const body = c.req.valid('json');
      const results = await deps.offline.sync(
        scheduleId,
        body.scans.map((s) => ({ scanId: s.scanId, deviceId: body.deviceId, code: s.code, scannedAt: new Date(s.scannedAt) })),
        c.get('user').id,
      );
      return c.json({ results, conflicts: await deps.offline.conflicts(scheduleId) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/entry/schedules/{scheduleId}/conflicts',
      tags: ['tickets'],
      summary: 'Tickets of the performance that let more than one person in (offline gates), the first scan marked as the one that stands',
      security: bearerSecurity,
      request: { params: ScheduleParam },
      responses: { 200: json(z.object({ items: z.array(Conflict) }), 'The conflicts'), ...problems(400, 401, 403) },
    }),
    async (c) => c.json({ items: await deps.offline.conflicts(c.req.valid('param').scheduleId) }, 200),
  );
}
