import { createRoute, z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { TRANSFER_ID_PATTERN, transferStatuses } from '../../workflows/ticketing/transfer-contract.js';
import { createRouter, type AppEnv } from '../platform/http/app.js';
import type { IdempotencyStore } from '../platform/http/idempotency.js';
import { bearerSecurity, IdempotencyKeyHeader, IdParam, json, jsonBody, problems } from '../platform/http/openapi.js';

const TicketIdParam = IdParam('ticketId');
import type { TransferService } from './transfer-service.js';

const Transfer = z
  .object({
    id: z.string(),
    ticketId: z.number().int(),
    reservationId: z.string(),
    scheduleId: z.number().int(),
    fromUserId: z.number().int(),
    toUserId: z.number().int().nullable().openapi({ description: 'The recipient\'s account; null while the offered email has no account yet' }),
    status: z.enum(transferStatuses),
    reason: z.string().nullable().openapi({ description: 'LAPSED: `DEADLINE`, or why the ticket could not move at the acceptance (a problem code)' }),
    expiresAt: z.string().openapi({ description: 'The recipient accepts before this, or the offer lapses' }),
    createdAt: z.string(),
    closedAt: z.string().nullable(),
    recipientEmail: z.string().optional().openapi({ description: 'The offered address, shown to the holder who offered it only' }),
  })
  .openapi('TicketTransfer');

const OfferBody = z.object({ email: z.string().trim().email().max(254) }).strict().openapi('TicketTransferOffer');
const TransferIdParam = z.object({
  transferId: z.string().regex(TRANSFER_ID_PATTERN, 'a 24-character transfer id').openapi({ param: { name: 'transferId', in: 'path' } }),
});

export interface TransferRouteDeps {
  transfers: TransferService;
  auth: MiddlewareHandler<AppEnv>;
  idempotency: IdempotencyStore;
}

const keyed = (prefix: string, key: string | undefined) => `${prefix}-${key ?? crypto.randomUUID()}`;

/** The holder's and the recipient's transfer routes (docs/tickets.md "Transfer"). */
export function transferRoutes(deps: TransferRouteDeps) {
  const app = createRouter();
  app.use('/tickets/:ticketId/transfers', deps.auth);
  app.use('/ticket-transfers/*', deps.auth);

  app.openapi(
    createRoute({
      method: 'post',
      path: '/tickets/{ticketId}/transfers',
      tags: ['tickets'],
      summary: 'Offer a ticket you hold to another account, by email',
      description:
        'The recipient (the account with that email, now or once it signs up) accepts or declines before `expiresAt` ' +
        '(TRANSFER_OFFER_TTL_SECONDS, never past the transfer close TRANSFER_CLOSE_MINUTES_BEFORE_SHOW before the show), or the offer lapses. ' +
        'Refusals: 404 not your ticket; 409 TICKET_ADMITTED (scanned), TICKET_REFUNDED, TICKET_CANCELLED, TRANSFER_PENDING (an open offer exists), ' +
        'TRANSFER_WINDOW_CLOSED; 422 TRANSFER_TO_SELF. With an Idempotency-Key a retry gets the same offer.',
      security: bearerSecurity,
      middleware: [deps.idempotency.route('ticket.transfer')],
      request: { params: TicketIdParam, ...jsonBody(OfferBody), headers: IdempotencyKeyHeader },
      responses: { 201: json(Transfer, 'The offer, PENDING'), ...problems(400, 401, 404, 409, 422) },
    }),
    async (c) => c.json(await deps.transfers.offer(c.get('user').id, c.req.valid('param').ticketId, c.req.valid('json').email, c.req.header('idempotency-key')), 201),
  );

  for (const [kind, list] of [
    ['incoming', (userId: number) => deps.transfers.incoming(userId)],
    ['outgoing', (userId: number) => deps.transfers.outgoing(userId)],
  ] as const) {
    app.openapi(
      createRoute({
        method: 'get',
        path: `/ticket-transfers/${kind}`,
        tags: ['tickets'],
        summary: kind === 'incoming' ? 'Open offers made to you (to your account, or to your email before you signed up)' : 'Your offers, newest first',
        security: bearerSecurity,
        responses: { 200: json(z.object({ items: z.array(Transfer) }), 'The transfers'), ...problems(401) },
      }),
      async (c) => c.json({ items: await list(c.get('user').id) }, 200),
    );
  }

  const decisions = [
    ['accept', 'Accept an offer made to you: the ticket moves to your account with a new code (every old code stops working)', (u: number, id: string, k: string) => deps.transfers.accept(u, id, k)],
    ['decline', 'Decline an offer made to you', (u: number, id: string, k: string) => deps.transfers.decline(u, id, k)],
    ['withdraw', 'Withdraw your own pending offer', (u: number, id: string, k: string) => deps.transfers.withdraw(u, id, k)],
  ] as const;
  for (const [action, summary, decide] of decisions) {
    app.openapi(
      createRoute({
        method: 'post',
        path: `/ticket-transfers/{transferId}/${action}`,
        tags: ['tickets'],
        summary,
        description:
          'The first decision wins: once the offer is accepted, declined, withdrawn or lapsed, any other is 409 TRANSFER_CLOSED. ' +
          (action === 'accept'
            ? 'Everything is checked again at the move: 409 TICKET_ADMITTED, TICKET_REFUNDED, TICKET_CANCELLED, TICKET_LIMIT (you would hold too many), TRANSFER_WINDOW_CLOSED (the offer then lapses). '
            : '') +
          'Someone else\'s transfer is 404.',
        security: bearerSecurity,
        middleware: [deps.idempotency.route(`ticket.transfer.${action}`)],
        request: { params: TransferIdParam, headers: IdempotencyKeyHeader },
        responses: { 200: json(Transfer, 'The transfer after the decision'), ...problems(401, 404, 409) },
      }),
      async (c) => c.json(await decide(c.get('user').id, c.req.valid('param').transferId, keyed(action, c.req.header('idempotency-key'))), 200),
    );
  }

  return app;
}
