import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../platform/http/app.js';
import { DomainError } from '../shared/errors.js';
import type { TokenVersions } from './token-versions.js';
import type { AccessTokens, Role } from './tokens.js';

/**
 * Requires `Authorization: Bearer <access token>` (the scheme in any case, RFC 9110 section 11.1)
 * and puts the user on the context. Answers to an authenticated request are personal (profile,
 * wallet, reservations, queue tokens), so no cache may keep them: Cache-Control: no-store. With
 * `versions`, a token older than the user's token_version (revoked) or of a disabled user is
 * refused; see TokenVersions for the cost and staleness trade-off.
 */
export function requireAuth(tokens: AccessTokens, versions?: TokenVersions): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const header = c.req.header('authorization') ?? '';
    const match = /^Bearer ([A-Za-z0-9_\-.]{10,2048})$/i.exec(header);
    if (!match) throw new DomainError('UNAUTHENTICATED', 'Missing or malformed Authorization: Bearer token');
    const claims = await tokens.verify(match[1]!);
    const userId = Number(claims.sub);
    if (versions?.checksEveryRequest && (await versions.current(userId)) !== claims.ver) {
      throw new DomainError('UNAUTHENTICATED', 'Access token was revoked; log in again');
    }
    c.set('user', { id: userId, role: claims.role, tokenExpiresAt: claims.exp });
    c.get('log') && c.set('log', c.get('log').child({ userId }));
    await next();
    c.res.headers.set('Cache-Control', 'no-store');
  };
}

/** Admits the listed roles only (ADMIN routes; STAFF or ADMIN at the door). */
export function requireRole(...allowed: [Role, ...Role[]]): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const role = c.get('user')?.role;
    if (!role || !allowed.includes(role)) throw new DomainError('FORBIDDEN', `This route needs role ${allowed.join(' or ')}`);
    await next();
  };
}

/**
 * Records every 403 under the guarded paths as a SecurityEvent (FORBIDDEN). Each back-office
 * router declares it before its role guard (the composition root passes it in); ownership
 * violations are 404s by design and are not recorded here. Routers' path middleware overlap
 * (src/admin guards all of /admin/*), so only the outermost one on a request records: one event per 403.
 */
export function auditForbidden(audit: { record(e: { kind: 'FORBIDDEN'; userId: number | null; ip: string | null; detail: string }): Promise<void> }, clientIp: (c: Parameters<MiddlewareHandler<AppEnv>>[0]) => string | null): MiddlewareHandler<AppEnv> {
  const auditing = new WeakSet<Request>();
  return async (c, next) => {
    if (auditing.has(c.req.raw)) return next();
    auditing.add(c.req.raw);
    await next();
    if (c.res.status === 403) {
      const user = c.get('user');
      await audit.record({ kind: 'FORBIDDEN', userId: user?.id ?? null, ip: clientIp(c), detail: `${c.req.method} ${c.req.path}`.slice(0, 300) });
    }
  };
}
