import { createRoute, z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { reservationStatuses, ReservationSummary, summary, type ReservationSearch } from '../booking/index.js';
import type { AuditLog } from '../events/index.js';
import { Password, type IdentityService, type SecurityAudit } from '../identity/index.js';
import { ledgerReference, type PaymentModule } from '../payment/index.js';
import { createRouter, type AppEnv } from '../platform/http/app.js';
import type { IdempotencyStore } from '../platform/http/idempotency.js';
import { bearerSecurity, canonicalPositiveInt, IdParam, json, jsonBody, PageQuery, problems, RequiredIdempotencyKeyHeader, IdempotencyKeyHeader } from '../platform/http/openapi.js';
import { DomainError } from '../shared/errors.js';

const Page = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item), page: z.number().int(), pageSize: z.number().int(), total: z.number().int() });
const idFilter = (description: string) => canonicalPositiveInt().optional().openapi({ type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description });

const Refund = z
  .object({ id: z.number().int(), paymentId: z.number().int(), reservationId: z.string(), userId: z.number().int(), amount: z.number().int(), reason: z.string(), createdAt: z.string() })
  .openapi('Refund');
const AuditEntry = z
  .object({
    id: z.string(),
    kind: z.enum(['ADMIN', 'SECURITY']),
    type: z.enum(['AdminAction', 'SecurityEvent']),
    userId: z.number().int().nullable().openapi({ description: 'The admin who acted, or the account a security event is about' }),
    occurredAt: z.string(),
    payload: z.record(z.string(), z.unknown()).openapi({ description: 'The event payload: AdminAction {adminId, action, target, detail}; SecurityEvent {kind, userId, ip, detail}' }),
  })
  .openapi('AuditEntry');
// Signed: a credit (goodwill) or a debit (a correction); never zero.
const WalletAdjustment = z
  .object({
    amount: z.number().int('whole KRW').min(-100_000_000).max(100_000_000).refine((n) => n !== 0, 'not zero').openapi({ description: 'KRW, signed: positive credits, negative debits; never 0', not: { const: 0 } }),
    reason: z.string().trim().min(3).max(200),
  })
  .strict()
  .openapi('WalletAdjustment');

export interface BackOfficeDeps {
  search: ReservationSearch;
  /** Payment's module (its own database): the refund list and wallet adjustments go through it. */
  refunds: PaymentModule['refunds'];
  auditLog: AuditLog;
  wallets: PaymentModule['wallets'];
  /** Records the adjustment's AdminAction in the audit log (booking's database). */
  audit: Pick<SecurityAudit, 'recordAdminAction'>;
  identity: IdentityService;
  auth: MiddlewareHandler<AppEnv>;
  requireAdmin: MiddlewareHandler<AppEnv>;
  auditForbidden: MiddlewareHandler<AppEnv>;
  idempotency: IdempotencyStore;
}

/** Back-office views and corrections (issue 11 part 4): every route needs ADMIN. */
export function backOfficeRoutes(deps: BackOfficeDeps) {
  const app = createRouter();
  for (const path of ['/admin/reservations', '/admin/refunds', '/admin/audit-log', '/admin/users/:userId/wallet-adjustments', '/admin/users/:userId/password']) {
    app.use(path, deps.auditForbidden, deps.auth, deps.requireAdmin);
  }

  app.openapi(
    createRoute({
      method: 'get',
      path: '/admin/reservations',
      tags: ['admin'],
      summary: 'Search reservations by user, schedule and status, newest first',
      security: bearerSecurity,
      request: {
        query: PageQuery.extend({ userId: idFilter('Only this buyer'), scheduleId: idFilter('Only this performance'), status: z.enum(reservationStatuses).optional() }).strict(),
      },
      responses: { 200: json(Page(ReservationSummary.extend({ userId: z.number().int() })), 'A page of reservations'), ...problems(400, 401, 403) },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const { items, total } = await deps.search.search({ userId: q.userId, scheduleId: q.scheduleId, status: q.status }, q.page, q.pageSize);
      return c.json({ items: items.map((r) => ({ ...summary(r), userId: r.userId })), page: q.page, pageSize: q.pageSize, total }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/admin/refunds',
      tags: ['admin'],
      summary: 'Refunds, newest first (optionally of one buyer)',
      security: bearerSecurity,
      request: { query: PageQuery.extend({ userId: idFilter('Only this buyer') }).strict() },
      responses: { 200: json(Page(Refund), 'A page of refunds'), ...problems(400, 401, 403) },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const { items, total } = await deps.refunds.list({ userId: q.userId }, q.page, q.pageSize);
      return c.json({ items, page: q.page, pageSize: q.pageSize, total }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/admin/audit-log',
      tags: ['admin'],
      summary: 'Audit log: admin actions and security events, newest first',
      description: 'Read from the AdminAction and SecurityEvent events, written in the same transactions as the changes they record. `kind` picks one of the two; `userId` the actor (admin) or the account concerned.',
      security: bearerSecurity,
      request: { query: PageQuery.extend({ kind: z.enum(['ADMIN', 'SECURITY']).optional(), userId: idFilter('Actor or account concerned') }).strict() },
      responses: { 200: json(Page(AuditEntry), 'A page of the audit log'), ...problems(400, 401, 403) },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const { items, total } = await deps.auditLog.list({ kind: q.kind, userId: q.userId }, q.page, q.pageSize);
      return c.json({ items: items as Array<z.infer<typeof AuditEntry>>, page: q.page, pageSize: q.pageSize, total }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/admin/users/{userId}/wallet-adjustments',
      tags: ['admin'],
      summary: "Adjust a user's wallet with a reason (Idempotency-Key required): a ledger row and a WalletAdjusted event",
      description: 'A debit that would make the balance negative is 409 CONFLICT; a credit past WALLET_MAX_BALANCE is 409 BALANCE_LIMIT_EXCEEDED; an unknown user is 404. The same key applies the adjustment once.',
      security: bearerSecurity,
      middleware: [deps.idempotency.route('admin.wallet-adjust')],
      request: { params: IdParam('userId'), ...jsonBody(WalletAdjustment), headers: RequiredIdempotencyKeyHeader },
      responses: { 201: json(z.object({ userId: z.number().int(), balance: z.number().int(), adjusted: z.number().int() }), 'Adjusted'), ...problems(400, 401, 403, 404, 409, 422) },
    }),
    async (c) => {
      const key = c.req.header('idempotency-key');
      if (!key) throw new DomainError('VALIDATION_FAILED', 'Idempotency-Key header is required for wallet adjustments');
      const { userId } = c.req.valid('param');
      const { amount, reason } = c.req.valid('json');
      const adminId = c.get('user').id;
      const { balance, adjusted } = await deps.wallets.adjust({ userId, amount, reason, reference: ledgerReference(`adjust:${adminId}:`, key), adminId });
      // The audit log is another database: recorded once payment has committed. A crash in between
      // leaves the WalletAdjusted event (which names the admin) as the record.
      if (adjusted) await deps.audit.recordAdminAction({ adminId, action: 'wallet.adjust', target: `user-${userId}`, detail: JSON.stringify({ amount, balance, reason }) });
      return c.json({ userId, balance, adjusted: amount }, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/admin/users/{userId}/password',
      tags: ['admin'],
      summary: "Set a user's password: every session of that user is signed out (their tokens are revoked)",
      description:
        'Also clears a login lockout; recorded as an AdminAction. Admins change their own password with POST /auth/password (409 here). ' +
        'With an Idempotency-Key it applies once; the key\'s record keeps no hash of the body (the password), so the key names the user\'s reset whatever the body; refusals are not kept.',
      security: bearerSecurity,
      middleware: [deps.idempotency.route('admin.password', { secretBody: true })],
      request: { params: IdParam('userId'), ...jsonBody(z.object({ newPassword: Password }).strict().openapi('PasswordReset')), headers: IdempotencyKeyHeader },
      responses: { 204: { description: 'Password set; sessions revoked' }, ...problems(400, 401, 403, 404, 409, 422) },
    }),
    async (c) => {
      await deps.identity.resetPassword(c.get('user').id, c.req.valid('param').userId, c.req.valid('json').newPassword);
      return c.body(null, 204);
    },
  );

  return app;
}
