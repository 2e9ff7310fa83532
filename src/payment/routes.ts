import { createRoute, z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { createRouter, type AppEnv } from '../platform/http/app.js';
import type { IdempotencyStore } from '../platform/http/idempotency.js';
import { bearerSecurity, json, jsonBody, problems, RequiredIdempotencyKeyHeader } from '../platform/http/openapi.js';
import { DomainError } from '../shared/errors.js';
import type { WalletRepository } from './wallet-repository.js';

const Wallet = z
  .object({
    balance: z.number().int(),
    updatedAt: z.string(),
    ledger: z.array(z.object({ id: z.number().int(), kind: z.enum(['CHARGE', 'PAYMENT', 'REFUND', 'ADJUSTMENT']), amount: z.number().int(), balanceAfter: z.number().int(), reference: z.string(), createdAt: z.string() })),
  })
  .openapi('Wallet');

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
      summary: 'Own balance (KRW points) and the latest ledger rows',
      security: bearerSecurity,
      responses: { 200: json(Wallet, 'Wallet'), ...problems(401) },
    }),
    async (c) => {
      const userId = c.get('user').id;
      const [w, ledger] = await Promise.all([deps.wallets.balance(userId), deps.wallets.ledger(userId)]);
      return c.json(
        { balance: w.balance, updatedAt: w.updatedAt.toISOString(), ledger: ledger.map((l) => ({ id: l.id, kind: l.kind, amount: l.amount, balanceAfter: l.balanceAfter, reference: l.reference, createdAt: l.createdAt.toISOString() })) },
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
      responses: { 201: json(z.object({ balance: z.number().int(), charged: z.number().int() }), 'Charged'), ...problems(400, 401, 422) },
    }),
    async (c) => {
      const key = c.req.header('idempotency-key');
      if (!key) throw new DomainError('VALIDATION_FAILED', 'Idempotency-Key header is required for wallet charges');
      const { amount } = c.req.valid('json');
      const userId = c.get('user').id;
      const { balance } = await deps.wallets.charge(userId, amount, `charge:${key}`);
      return c.json({ balance, charged: amount }, 201);
    },
  );
  return app;
}
