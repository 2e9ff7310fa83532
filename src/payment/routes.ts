import { createRoute, z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { createRouter, type AppEnv } from '../platform/http/app.js';
import type { IdempotencyStore } from '../platform/http/idempotency.js';
import { bearerSecurity, json, jsonBody, problems, RequiredIdempotencyKeyHeader } from '../platform/http/openapi.js';
import { DomainError } from '../shared/errors.js';
import type { WalletRepository } from './wallet-repository.js';
import { ledgerReference } from './references.js';

const MAX_LEDGER_PAGE = 100;

/**
 * The ledger cursor: the id of the last row served (a page's rows come older than it). A plain id,
 * so the API document can state its form (`pattern`) and every cursor that fits it is a bound the
 * server honours: one a client makes up pages that user's own ledger from there, nothing more.
 * Ids are a fair order for one user's ledger: every movement of a wallet is written under that
 * wallet's row lock, so its rows get their ids in the order they commit, and a row written after a
 * page was read always sorts before (newer than) its cursor.
 */
const LEDGER_CURSOR = /^[1-9][0-9]{0,15}$/;

const Wallet = z
  .object({
    balance: z.number().int(),
    updatedAt: z.string(),
    ledger: z.array(z.object({ id: z.number().int(), kind: z.enum(['CHARGE', 'PAYMENT', 'REFUND', 'ADJUSTMENT']), amount: z.number().int(), balanceAfter: z.number().int(), reference: z.string(), createdAt: z.string() })),
    nextCursor: z.string().nullable().openapi({ pattern: LEDGER_CURSOR.source, description: 'Pass as `cursor` for the next (older) page; null on the last page' }),
  })
  .openapi('Wallet');

const LedgerPage = z
  .object({
    limit: z.coerce.number().int().min(1).max(MAX_LEDGER_PAGE).default(50).openapi({ description: `Ledger rows per page, 1..${MAX_LEDGER_PAGE}` }),
    cursor: z
      .string()
      .regex(LEDGER_CURSOR, 'cursor: a ledger id (use nextCursor as given)')
      .transform(Number)
      .optional()
      .openapi({ type: 'string', pattern: LEDGER_CURSOR.source, description: 'The `nextCursor` of the previous page: the id of its last (oldest) row' }),
  })
  .strict();

export function walletRoutes(deps: { wallets: WalletRepository; idempotency: IdempotencyStore; auth: MiddlewareHandler<AppEnv>; maxCharge: number; rateLimit?: MiddlewareHandler | undefined }) {
  const app = createRouter();
  // The 'booking' abuse limit (shared with /reservations). '/wallet/*' also matches '/wallet' in Hono:
  // one registration, or each request counts twice.
  if (deps.rateLimit) app.use('/wallet/*', deps.rateLimit);
  app.use('/wallet', deps.auth);
  app.use('/wallet/*', deps.auth);
  const ChargeBody = z
    .object({ amount: z.number().int('whole KRW').positive().max(deps.maxCharge) })
    .strict()
    .openapi('ChargeRequest');

  app.openapi(
    createRoute({
      method: 'get',
      path: '/wallet',
      tags: ['wallet'],
      summary: 'Own balance (KRW points) and the ledger, newest first, one page at a time',
      description:
        'The ledger comes in pages of `limit` rows (default 50), newest first; `nextCursor` fetches the next older page. ' +
        'Rows written while you page (a payment, a refund) are newer than every cursor, so no row is lost or repeated: start again ' +
        'without a cursor to see them. A `reference` longer than the column (a long Idempotency-Key) reads `charge:sha256:<hex of the key>`.',
      security: bearerSecurity,
      request: { query: LedgerPage },
      responses: { 200: json(Wallet, 'Wallet'), ...problems(400, 401) },
    }),
    async (c) => {
      const userId = c.get('user').id;
      const { limit, cursor } = c.req.valid('query');
      const [w, rows] = await Promise.all([deps.wallets.balance(userId), deps.wallets.ledger(userId, limit + 1, cursor)]);
      const page = rows.slice(0, limit);
      const nextCursor = rows.length > limit ? String(page[page.length - 1]!.id) : null;
      return c.json(
        {
          balance: w.balance,
          updatedAt: w.updatedAt.toISOString(),
          ledger: page.map((l) => ({ id: l.id, kind: l.kind, amount: l.amount, balanceAfter: l.balanceAfter, reference: l.reference, createdAt: l.createdAt.toISOString() })),
          nextCursor,
        },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/wallet/charges',
      tags: ['wallet'],
      summary: 'Top up the wallet (Idempotency-Key required)',
      security: bearerSecurity,
      middleware: [deps.idempotency.route('charge')],
      request: { ...jsonBody(ChargeBody), headers: RequiredIdempotencyKeyHeader },
      responses: { 201: json(z.object({ balance: z.number().int(), charged: z.number().int() }), 'Charged'), ...problems(400, 401, 409) },
    }),
    async (c) => {
      const key = c.req.header('idempotency-key');
      if (!key) throw new DomainError('VALIDATION_FAILED', 'Idempotency-Key header is required for wallet charges');
      const { amount } = c.req.valid('json');
      const userId = c.get('user').id;
      const { balance } = await deps.wallets.charge(userId, amount, ledgerReference('charge:', key));
      return c.json({ balance, charged: amount }, 201);
    },
  );
  return app;
}
