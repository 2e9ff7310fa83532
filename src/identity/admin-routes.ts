import { createRoute, z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { createRouter, type AppEnv } from '../platform/http/app.js';
import type { IdempotencyStore } from '../platform/http/idempotency.js';
import { bearerSecurity, IdempotencyKeyHeader, IdParam, json, jsonBody, PageQuery, problems } from '../platform/http/openapi.js';
import { Email } from './email.js';
import { requireRole } from './middleware.js';
import type { IdentityService } from './service.js';
import { roles } from './tokens.js';

const AdminUser = z
  .object({
    id: z.number().int(),
    email: z.string(),
    name: z.string(),
    phone: z.string().nullable(),
    role: z.enum(roles),
    status: z.enum(['ACTIVE', 'DISABLED']),
    failedLogins: z.number().int(),
    lockedUntil: z.string().nullable(),
    createdAt: z.string(),
  })
  .openapi('AdminUser');

const UserChange = z
  .object({
    role: z.enum(roles).optional().openapi({ description: 'STAFF may scan tickets at the door (POST /entry/scans)' }),
    status: z.enum(['ACTIVE', 'DISABLED']).optional(),
    unlock: z.literal(true).optional().openapi({ description: 'Clear a login lockout' }),
  })
  .strict()
  .refine((b) => b.role !== undefined || b.status !== undefined || b.unlock !== undefined, 'give role, status or unlock')
  .openapi('UserChange', { minProperties: 1 });

/** Admin users API: list accounts (personal data decrypted for admins only) and change role/status. */
export function identityAdminRoutes(deps: { identity: IdentityService; auth: MiddlewareHandler<AppEnv>; idempotency: IdempotencyStore; auditForbidden: MiddlewareHandler<AppEnv> }) {
  const app = createRouter();
  app.use('/admin/users/*', deps.auditForbidden, deps.auth, requireRole('ADMIN')); // also matches /admin/users itself

  app.openapi(
    createRoute({
      method: 'get',
      path: '/admin/users',
      tags: ['admin'],
      summary: 'Accounts, oldest first, with decrypted email and phone; `email` finds one account by its blind index',
      security: bearerSecurity,
      request: { query: PageQuery.extend({ email: Email.optional() }).strict() },
      responses: {
        200: json(z.object({ items: z.array(AdminUser), page: z.number().int(), pageSize: z.number().int(), total: z.number().int() }), 'A page of users'),
        ...problems(400, 401, 403),
      },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const { items, total } = await deps.identity.listUsers(q.page, q.pageSize, q.email);
      // Reading decrypted personal data is itself worth a log line (who looked, at what).
      c.get('log').info({ audit: true, adminAction: 'user.list', adminId: c.get('user').id, page: q.page, byEmail: !!q.email }, 'admin listed users');
      return c.json({ items, page: q.page, pageSize: q.pageSize, total }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/admin/users/{userId}',
      tags: ['admin'],
      summary: "Change a user's role and/or status, or clear a lockout; role/status changes revoke the user's tokens",
      security: bearerSecurity,
      middleware: [deps.idempotency.route('admin.user')],
      request: { params: IdParam('userId'), ...jsonBody(UserChange), headers: IdempotencyKeyHeader },
      responses: { 200: json(AdminUser, 'Updated user'), ...problems(400, 401, 403, 404, 409, 422) },
    }),
    async (c) => {
      const { userId } = c.req.valid('param');
      const user = await deps.identity.updateUser(c.get('user').id, userId, c.req.valid('json'));
      return c.json(user, 200);
    },
  );

  return app;
}
