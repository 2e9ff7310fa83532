import { createHmac, randomUUID, webcrypto } from 'node:crypto';
import { sign, verify } from 'hono/jwt';
import { DomainError } from '../shared/errors.js';

/** STAFF scans tickets at the door (POST /entry/scans); ADMIN may too. */
export const roles = ['USER', 'ADMIN', 'STAFF'] as const;
export type Role = (typeof roles)[number];

export interface AccessClaims {
  sub: string;
  role: Role;
  ver: number;
  exp: number;
  iat: number;
}

export interface RefreshClaims {
  sub: string;
  ver: number;
  jti: string;
  exp: number;
  iat: number;
  typ: 'refresh';
}

/**
 * A device token (issue 25, defect 6): handed out at every successful login and kept by the device
 * (the web app's HttpOnly cookie, a native app's keychain). It proves that this device once logged in
 * to this account, so its logins skip the account's lockout (which anyone may trigger with wrong
 * passwords). It grants nothing else: the password is still checked, and its own failures lock it.
 * Not bound to token_version, so a logout everywhere or a password change does not take the way
 * out away from the owner's devices.
 */
export interface DeviceClaims {
  sub: string;
  jti: string;
  exp: number;
  iat: number;
  typ: 'device';
}

export interface IssuedTokens {
  accessToken: string;
  expiresIn: number;
  refreshToken: string;
  refreshExpiresIn: number;
}

/**
 * Short-lived HS256 access tokens and longer-lived refresh tokens. The algorithm is pinned on
 * verify, so `alg: none` or RS/HS confusion fails. Refresh tokens are signed with a key derived
 * from the secret for that purpose only, so one kind can never be presented as the other.
 * `previousSecret` keeps tokens signed before a JWT_SECRET rotation valid until they expire.
 */
export class AccessTokens {
  private readonly accessKeys: string[];
  private readonly refreshKeys: string[];
  private readonly deviceKeys: string[];
  /**
   * The access secrets imported once as WebCrypto keys: given a string, hono/jwt imports it again
   * on every verify, and that import was the most expensive step of checking a token.
   */
  private accessVerifyKeys?: Promise<webcrypto.CryptoKey[]>;
  /**
   * Access tokens that already passed the full check, by their exact text. A waiting-room poll
   * presents the same token every few seconds (and the rate limiter and the auth middleware both
   * verify it): the signature and claims of a given text never change, so only the expiry (which
   * does) is checked again on a hit. Revocation is not affected: the token version is checked after
   * verify (TokenVersions), per request as before. Failures are never cached.
   */
  private readonly verified = new Map<string, AccessClaims>();

  constructor(
    secret: string,
    private readonly ttlSeconds: number,
    private readonly refreshTtlSeconds = 7 * 86_400,
    previousSecret?: string,
  ) {
    const secrets = previousSecret ? [secret, previousSecret] : [secret];
    this.accessKeys = secrets;
    this.refreshKeys = secrets.map((s) => createHmac('sha256', s).update('refresh-token').digest('base64url'));
    this.deviceKeys = secrets.map((s) => createHmac('sha256', s).update('device-token').digest('base64url'));
  }

  async issue(user: { id: number; role: Role; tokenVersion: number }): Promise<{ accessToken: string; expiresIn: number }> {
    const now = Math.floor(Date.now() / 1000);
    const claims: AccessClaims = { sub: String(user.id), role: user.role, ver: user.tokenVersion, iat: now, exp: now + this.ttlSeconds };
    return { accessToken: await sign({ ...claims }, this.accessKeys[0]!, 'HS256'), expiresIn: this.ttlSeconds };
  }

  /** An access token plus a one-time refresh token (its `jti` is spent on use, see RefreshService). */
  async issuePair(user: { id: number; role: Role; tokenVersion: number }): Promise<IssuedTokens> {
    const access = await this.issue(user);
    const now = Math.floor(Date.now() / 1000);
    const claims: RefreshClaims = { sub: String(user.id), ver: user.tokenVersion, jti: randomUUID(), typ: 'refresh', iat: now, exp: now + this.refreshTtlSeconds };
    const refreshToken = await sign({ ...claims }, this.refreshKeys[0]!, 'HS256');
    return { ...access, refreshToken, refreshExpiresIn: this.refreshTtlSeconds };
  }

  /** A device token for the user (see DeviceClaims), valid `DEVICE_TOKEN_TTL_SECONDS`. */
  async issueDevice(userId: number, ttlSeconds = DEVICE_TTL_SECONDS): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const claims: DeviceClaims = { sub: String(userId), jti: randomUUID(), typ: 'device', iat: now, exp: now + ttlSeconds };
    return sign({ ...claims }, this.deviceKeys[0]!, 'HS256');
  }

  /** The device token's claims, or undefined when it is not one of ours (forged, expired, another kind). */
  async verifyDevice(token: string): Promise<DeviceClaims | undefined> {
    try {
      const claims = await verifyWithAny<DeviceClaims>(token, this.deviceKeys, 'expired', 'invalid');
      return claims.typ === 'device' && isUserId(claims.sub) && typeof claims.jti === 'string' && claims.jti.length <= 64 ? claims : undefined;
    } catch {
      return undefined;
    }
  }

  async verify(token: string): Promise<AccessClaims> {
    const known = this.verified.get(token);
    if (known) {
      if (known.exp > Math.floor(Date.now() / 1000)) return known;
      this.verified.delete(token);
      throw new DomainError('TOKEN_EXPIRED', ACCESS_EXPIRED);
    }
    this.accessVerifyKeys ??= Promise.all(this.accessKeys.map(importVerifyKey));
    const claims = await verifyWithAny<AccessClaims>(token, await this.accessVerifyKeys, ACCESS_EXPIRED, 'Invalid access token');
    if (!isUserId(claims.sub) || !roles.includes(claims.role) || !Number.isInteger(claims.ver)) {
      throw new DomainError('UNAUTHENTICATED', 'Invalid access token');
    }
    // Oldest out first: bounded memory (about 10 MB when full) however many tokens are presented.
    if (this.verified.size >= MAX_VERIFIED_TOKENS) this.verified.delete(this.verified.keys().next().value!);
    this.verified.set(token, Object.freeze(claims));
    return claims;
  }

  async verifyRefresh(token: string): Promise<RefreshClaims> {
    const claims = await verifyWithAny<RefreshClaims>(token, this.refreshKeys, 'Refresh token expired; log in again', 'Invalid refresh token');
    if (claims.typ !== 'refresh' || !isUserId(claims.sub) || !Number.isInteger(claims.ver) || typeof claims.jti !== 'string' || claims.jti.length > 64) {
      throw new DomainError('UNAUTHENTICATED', 'Invalid refresh token');
    }
    return claims;
  }
}

/** 90 days: long enough that an owner's phone or laptop still holds one when the account is attacked. */
export const DEVICE_TTL_SECONDS = 90 * 86_400;
const ACCESS_EXPIRED = 'Access token expired; refresh it or log in again';
/** Enough for every buyer of a large on-sale polling with one token each. */
const MAX_VERIFIED_TOKENS = 50_000;

const importVerifyKey = (secret: string) => webcrypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);

const isUserId = (sub: unknown) => typeof sub === 'string' && /^[1-9]\d{0,15}$/.test(sub);

/**
 * hono/jwt checks `exp` before the signature; verifying the signature first (exp: false) and then
 * the expiry ourselves keeps a forged token from learning anything, and insists that `exp` exists.
 */
async function verifyWithAny<T extends { exp: number }>(token: string, keys: Array<string | webcrypto.CryptoKey>, expiredMessage: string, invalidMessage: string): Promise<T> {
  for (const key of keys) {
    let claims: T;
    try {
      claims = (await verify(token, key, { alg: 'HS256', exp: false })) as unknown as T;
    } catch {
      continue;
    }
    if (typeof claims.exp !== 'number' || !Number.isFinite(claims.exp)) break;
    if (claims.exp <= Math.floor(Date.now() / 1000)) throw new DomainError('TOKEN_EXPIRED', expiredMessage);
    return claims;
  }
  throw new DomainError('UNAUTHENTICATED', invalidMessage);
}
