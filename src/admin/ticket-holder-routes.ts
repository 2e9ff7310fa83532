import { createRoute, z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import type { TransferRepository } from '../ticketing/index.js';
import { createRouter, type AppEnv } from '../platform/http/app.js';
import { bearerSecurity, IdParam, json, problems } from '../platform/http/openapi.js';
import { notFound } from '../shared/errors.js';

const Holder = z
  .object({
    userId: z.number().int(),
    name: z.string(),
    since: z.string(),
    via: z.enum(['PURCHASE', 'TRANSFER']),
    transferId: z.string().nullable(),
  })
  .openapi('TicketHolder');
const TransferLine = z
  .object({
    id: z.string(),
    status: z.string(),
    reason: z.string().nullable(),
    fromUserId: z.number().int(),
    toUserId: z.number().int().nullable(),
    createdAt: z.string(),
    expiresAt: z.string(),
    closedAt: z.string().nullable(),
  })
  .openapi('TicketTransferLine');
const TicketHolders = z
  .object({
    ticketId: z.number().int(),
    reservationId: z.string(),
    scheduleId: z.number().int(),
    seatId: z.number().int(),
    holderId: z.number().int().openapi({ description: 'Who holds the ticket now' }),
    holders: z.array(Holder).openapi({ description: 'The chain of holders: the buyer, then the recipient of each accepted transfer, oldest first' }),
    transfers: z.array(TransferLine).openapi({ description: 'Every offer of the ticket, accepted or not, oldest first' }),
  })
  .openapi('TicketHolders');

export interface TicketHolderDeps {
  transfers: Pick<TransferRepository, 'holdersOf'>;
  holderNames(userIds: number[]): Promise<Map<number, string>>;
  auth: MiddlewareHandler<AppEnv>;
  requireAdmin: MiddlewareHandler<AppEnv>;
  auditForbidden: MiddlewareHandler<AppEnv>;
}

/** The back office's view of a ticket's chain of holders (docs/tickets.md "Transfer"): ADMIN only. */
export function ticketHolderRoutes(deps: TicketHolderDeps) {
  const app = createRouter();
  app.use('/admin/tickets/:ticketId/holders', deps.auditForbidden, deps.auth, deps.requireAdmin);
  app.openapi(
    createRoute({
      method: 'get',
      path: '/admin/tickets/{ticketId}/holders',
      tags: ['admin'],
      summary: "A ticket's chain of holders: its buyer, then each accepted transfer's recipient, and every offer made",
      security: bearerSecurity,
      request: { params: IdParam('ticketId') },
      responses: { 200: json(TicketHolders, 'The chain'), ...problems(400, 401, 403, 404) },
    }),
    async (c) => {
      const found = await deps.transfers.holdersOf(c.req.valid('param').ticketId);
      if (!found) throw notFound('Ticket');
      const { ticket, holders, transfers } = found;
      const names = await deps.holderNames([...new Set(holders.map((h) => h.userId))]);
      return c.json(
        {
          ticketId: ticket.id,
          reservationId: ticket.reservationId,
          scheduleId: ticket.scheduleId,
          seatId: ticket.seatId,
          holderId: ticket.userId,
          holders: holders.map((h) => ({ ...h, name: names.get(h.userId) ?? '', since: h.since.toISOString() })),
          transfers: transfers.map((t) => ({
            id: t.id,
            status: t.status,
            reason: t.reason,
            fromUserId: t.fromUserId,
            toUserId: t.toUserId,
            createdAt: t.createdAt.toISOString(),
            expiresAt: t.expiresAt.toISOString(),
            closedAt: t.closedAt?.toISOString() ?? null,
          })),
        },
        200,
      );
    },
  );
  return app;
}
