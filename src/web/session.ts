import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { AppEnv } from '../platform/http/app.js';
import { DEVICE_TTL_SECONDS } from '../identity/index.js';
import { DomainError } from '../shared/errors.js';

/** The HttpOnly cookie that carries a browser's access token; scripts never see the token. */
export const SESSION_COOKIE = 'cb_session';
/** The refresh token, sent only to POST /web/session/refresh (its Path), so no other request carries it. */
export const REFRESH_COOKIE = 'cb_refresh';
const REFRESH_PATH = '/web/session/refresh';
/**
 * The device token of the last login in this browser (docs/security.md, lockout way out), sent only
 * to the login itself (POST /web/session) and kept after a logout: it is what lets the owner in while
 * an attacker keeps the account locked.
 */
export const DEVICE_COOKIE = 'cb_device';
const DEVICE_PATH = '/web/session';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Browser sessions on top of the Bearer tokens: the login page puts the access token in an
 * HttpOnly, SameSite=Strict cookie (Secure unless the app runs on localhost), and this middleware,
 * mounted on /api/*, turns that cookie into the `Authorization: Bearer` header the routes already
 * check. So every route (and EventSource, which cannot send headers) works from the browser with no
 * change to the identity capability. A request that brings its own Authorization header is a REST
 * client and is left alone. State-changing requests authenticated by the cookie must also carry
 * X-CSRF-Token, an HMAC of the session's token: a page of another origin cannot read it (SameSite
 * already keeps the cookie off cross-site requests; this is the second lock).
 */
export class BrowserSessions {
  constructor(
    private readonly secret: string,
    private readonly secure: boolean,
  ) {}

  csrfFor(accessToken: string): string {
    return createHmac('sha256', this.secret).update(`csrf:${accessToken}`).digest('base64url');
  }

  token(c: Context): string | undefined {
    const value = getCookie(c, SESSION_COOKIE);
    return value && /^[A-Za-z0-9_\-.]{10,2048}$/.test(value) ? value : undefined;
  }

  refreshToken(c: Context): string | undefined {
    const value = getCookie(c, REFRESH_COOKIE);
    return value && /^[A-Za-z0-9_\-.]{10,2048}$/.test(value) ? value : undefined;
  }

  deviceToken(c: Context): string | undefined {
    const value = getCookie(c, DEVICE_COOKIE);
    return value && /^[A-Za-z0-9_\-.]{10,2048}$/.test(value) ? value : undefined;
  }

  rememberDevice(c: Context, deviceToken: string): void {
    setCookie(c, DEVICE_COOKIE, deviceToken, { httpOnly: true, sameSite: 'Strict', secure: this.secure, path: DEVICE_PATH, maxAge: DEVICE_TTL_SECONDS });
  }

  start(c: Context, issued: { accessToken: string; expiresIn: number; refreshToken: string; refreshExpiresIn: number }): string {
    setCookie(c, SESSION_COOKIE, issued.accessToken, { httpOnly: true, sameSite: 'Strict', secure: this.secure, path: '/', maxAge: issued.expiresIn });
    setCookie(c, REFRESH_COOKIE, issued.refreshToken, { httpOnly: true, sameSite: 'Strict', secure: this.secure, path: REFRESH_PATH, maxAge: issued.refreshExpiresIn });
    return this.csrfFor(issued.accessToken);
  }

  end(c: Context): void {
    deleteCookie(c, SESSION_COOKIE, { path: '/', secure: this.secure, httpOnly: true, sameSite: 'Strict' });
    deleteCookie(c, REFRESH_COOKIE, { path: REFRESH_PATH, secure: this.secure, httpOnly: true, sameSite: 'Strict' });
  }

  checkCsrf(c: Context, accessToken: string): void {
    const sent = c.req.header('x-csrf-token') ?? '';
    const expected = this.csrfFor(accessToken);
    if (sent.length !== expected.length || !timingSafeEqual(Buffer.from(sent), Buffer.from(expected))) {
      throw new DomainError('FORBIDDEN', 'Missing or wrong X-CSRF-Token for a cookie session; reload the page');
    }
  }

  /** Mount on /api/*: a cookie session becomes a Bearer header, after the CSRF check. */
  middleware(): MiddlewareHandler<AppEnv> {
    return async (c, next) => {
      if (c.req.header('authorization')) return next();
      const token = this.token(c);
      if (!token) return next();
      if (!SAFE_METHODS.has(c.req.method)) this.checkCsrf(c, token);
      c.req.raw.headers.set('authorization', `Bearer ${token}`);
      return next();
    };
  }
}

/** Cookies are Secure except on plain-HTTP localhost, where browsers would drop them. */
export function isLocalOrigin(publicUrl: string | undefined): boolean {
  if (!publicUrl) return true;
  const host = new URL(publicUrl).hostname;
  return host === 'localhost' || host === '127.0.0.1' || host === '[::1]';
}
