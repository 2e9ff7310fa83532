import { sign, verify } from 'hono/jwt';
import { DomainError } from '../shared/errors.js';

export interface AccessClaims {
  sub: string;
  role: 'USER' | 'ADMIN';
  ver: number;
  exp: number;
  iat: number;
}

/** Short-lived HS256 access tokens; the algorithm is pinned on verify so `alg: none` or RS/HS confusion fails. */
export class AccessTokens {
  constructor(
    private readonly secret: string,
    private readonly ttlSeconds: number,
  ) {}

  async issue(user: { id: number; role: 'USER' | 'ADMIN'; tokenVersion: number }): Promise<{ accessToken: string; expiresIn: number }> {
    const now = Math.floor(Date.now() / 1000);
    const claims: AccessClaims = { sub: String(user.id), role: user.role, ver: user.tokenVersion, iat: now, exp: now + this.ttlSeconds };
    return { accessToken: await sign({ ...claims }, this.secret, 'HS256'), expiresIn: this.ttlSeconds };
  }

  async verify(token: string): Promise<AccessClaims> {
    try {
      const claims = (await verify(token, this.secret, 'HS256')) as unknown as AccessClaims;
      if (!/^\d+$/.test(String(claims.sub)) || (claims.role !== 'USER' && claims.role !== 'ADMIN')) throw new Error('bad claims');
      return claims;
    } catch (err) {
      const expired = (err as Error)?.name === 'JwtTokenExpired';
      throw new DomainError(expired ? 'TOKEN_EXPIRED' : 'UNAUTHENTICATED', expired ? 'Access token expired; log in again' : 'Invalid access token');
    }
  }
}
