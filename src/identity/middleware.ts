import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../platform/http/app.js';
import { DomainError } from '../shared/errors.js';
import type { AccessTokens } from './tokens.js';

/** Requires `Authorization: Bearer <access token>` and puts the user on the context. */
export function requireAuth(tokens: AccessTokens): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const header = c.req.header('authorization') ?? '';
    const match = /^Bearer ([A-Za-z0-9_\-.]{10,2048})$/.exec(header);
    if (!match) throw new DomainError('UNAUTHENTICATED', 'Missing or malformed Authorization: Bearer token');
    const claims = await tokens.verify(match[1]!);
    c.set('user', { id: Number(claims.sub), role: claims.role });
    c.get('log') && c.set('log', c.get('log').child({ userId: Number(claims.sub) }));
    await next();
  };
}

export function requireRole(role: 'ADMIN'): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (c.get('user')?.role !== role) throw new DomainError('FORBIDDEN', `This route needs role ${role}`);
    await next();
  };
}
