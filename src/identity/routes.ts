import { createRoute, z } from '@hono/zod-openapi';
import type { Context, MiddlewareHandler } from 'hono';
import { createRouter, noStore } from '../platform/http/app.js';
import type { IdempotencyStore } from '../platform/http/idempotency.js';
import { bearerSecurity, IdempotencyKeyHeader, json, jsonBody, problems } from '../platform/http/openapi.js';
import { Email } from './email.js';
import { LOCALES, localeFromAcceptLanguage } from './locale.js';
import { requireAuth } from './middleware.js';
import type { IdentityService } from './service.js';
import type { TokenVersions } from './token-versions.js';
import { roles, type AccessTokens } from './tokens.js';

export const Password = z.string().min(10, 'at least 10 characters').max(128);

const SignupBody = z
  .object({
    email: Email,
    password: Password,
    name: z.string().trim().min(1).max(100),
    phone: z.string().regex(/^\+?[0-9\- ]{6,20}$/).optional(),
    locale: z.enum(LOCALES).optional().openapi({ description: 'The language of emails to this account; default: the Accept-Language header, else ko' }),
  })
  .strict()
  .openapi('SignupRequest');
const DeviceToken = z
  .string()
  .min(10)
  .max(2048)
  .regex(/^[A-Za-z0-9_\-.]+$/, 'a JWT')
  .openapi({ description: "The `deviceToken` of an earlier login on this device: the email's lockout (which anyone can trigger) does not apply to it" });
const LoginBody = z.object({ email: Email, password: z.string().min(1).max(128), deviceToken: DeviceToken.optional() }).strict().openapi('LoginRequest');
const RefreshBody = z
  .object({ refreshToken: z.string().min(10).max(2048).regex(/^[A-Za-z0-9_\-.]+$/, 'a JWT') })
  .strict()
  .openapi('RefreshRequest');
const TokenResponse = z
  .object({
    accessToken: z.string(),
    tokenType: z.literal('Bearer'),
    expiresIn: z.number().int(),
    refreshToken: z.string(),
    refreshExpiresIn: z.number().int(),
    userId: z.number().int(),
    deviceToken: z.string().optional().openapi({ description: 'Login only: keep it on this device and send it with later logins (docs/security.md, lockout way out)' }),
  })
  .openapi('TokenResponse');
const Profile = z
  .object({ id: z.number().int(), email: z.string(), name: z.string(), phone: z.string().nullable(), role: z.enum(roles), createdAt: z.string() })
  .openapi('Profile');

export interface IdentityRouteDeps {
  identity: IdentityService;
  tokens: AccessTokens;
  versions?: TokenVersions;
  clientIp?: (c: Context) => string | null;
  /** Idempotency-Key replay for the authenticated mutation (logout-all); sign-up, login and refresh are anonymous. */
  idempotency?: IdempotencyStore;
  /** The 'auth' abuse limit (per IP) on every /auth/* request; absent when RATE_LIMIT_ENABLED is off. */
  rateLimit?: MiddlewareHandler | undefined;
  /** The 'signup' limit (per IP, RATE_LIMIT_SIGNUP_PER_IP per RATE_LIMIT_SIGNUP_WINDOW_SECONDS). */
  signupRateLimit?: MiddlewareHandler | undefined;
}

export function identityRoutes(deps: IdentityRouteDeps) {
  const app = createRouter();
  const ipOf = (c: Context) => deps.clientIp?.(c) ?? null;
  if (deps.rateLimit) app.use('/auth/*', deps.rateLimit);
  if (deps.signupRateLimit) app.use('/auth/signup', deps.signupRateLimit);
  // Issued tokens are personal answers outside requireAuth (which marks its own).
  app.use('/auth/*', noStore);

  app.openapi(
    createRoute({
      method: 'post',
      path: '/auth/signup',
      tags: ['auth'],
      summary: 'Create an account (role USER)',
      description:
        'Unknown fields (a `role`, say) are rejected: accounts are always created as USER. One address may sign up ' +
        'RATE_LIMIT_SIGNUP_PER_IP times per RATE_LIMIT_SIGNUP_WINDOW_SECONDS (429 RATE_LIMITED with Retry-After). ' +
        'A registered email answers 409 EMAIL_TAKEN (docs/security.md says why, and what replaces it once email is sent).',
      request: jsonBody(SignupBody),
      responses: { 201: json(z.object({ id: z.number().int() }), 'Account created'), ...problems(400, 409, 429) },
    }),
    async (c) => {
      const body = c.req.valid('json');
      return c.json(await deps.identity.signup({ ...body, locale: body.locale ?? localeFromAcceptLanguage(c.req.header('accept-language')) }), 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/auth/login',
      tags: ['auth'],
      summary: 'Exchange email and password for an access token and a refresh token',
      description:
        'The access token lasts `expiresIn` seconds (JWT_TTL_SECONDS). Wrong email and wrong password get the same 401; ' +
        'repeated failures answer slower and then lock the email for the calling IP (423 with Retry-After; failures from many IPs lock the account), ' +
        'the same way whether or not the account exists. An IP past its failure budget gets 429 with Retry-After for any email. ' +
        'The answer carries a `deviceToken`: a later login that sends it back skips the email\'s locks (its own failures lock only that device), ' +
        'so an attacker who locks the account does not lock out the owner\'s devices.',
      request: jsonBody(LoginBody),
      responses: { 200: json(TokenResponse, 'Tokens'), ...problems(400, 401, 423, 429) },
    }),
    async (c) => {
      const { email, password, deviceToken } = c.req.valid('json');
      const tokens = await deps.identity.login(email, password, ipOf(c), deviceToken);
      return c.json({ ...tokens, tokenType: 'Bearer' as const }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/auth/refresh',
      tags: ['auth'],
      summary: 'Exchange a refresh token for a new access token and a new refresh token',
      description:
        'The refresh path: when an access token expires (401 TOKEN_EXPIRED), send the refresh token from the last login or refresh. ' +
        'Each refresh token works once; reusing one signs the account out everywhere. Tokens issued before a logout-everywhere, ' +
        'a role or a status change are refused (401): log in again.',
      request: jsonBody(RefreshBody),
      responses: { 200: json(TokenResponse, 'New tokens'), ...problems(400, 401, 429) },
    }),
    async (c) => {
      const tokens = await deps.identity.refresh(c.req.valid('json').refreshToken, ipOf(c));
      return c.json({ ...tokens, tokenType: 'Bearer' as const }, 200);
    },
  );

  const auth = requireAuth(deps.tokens, deps.versions);
  app.use('/me', auth);
  app.openapi(
    createRoute({ method: 'get', path: '/me', tags: ['auth'], summary: 'Own profile (decrypted)', security: bearerSecurity, responses: { 200: json(Profile, 'Profile'), ...problems(401) } }),
    async (c) => c.json(await deps.identity.profile(c.get('user').id), 200),
  );

  app.use('/auth/logout-all', auth);
  app.openapi(
    createRoute({
      method: 'post',
      path: '/auth/logout-all',
      tags: ['auth'],
      summary: 'Sign out everywhere: every access and refresh token issued so far stops working',
      security: bearerSecurity,
      middleware: deps.idempotency ? [deps.idempotency.route('logout-all')] : [],
      request: { headers: IdempotencyKeyHeader },
      responses: { 204: { description: 'Signed out' }, ...problems(400, 401, 422, 429) },
    }),
    async (c) => {
      await deps.identity.revokeTokens(c.get('user').id, { kind: 'LOGOUT_EVERYWHERE', ip: ipOf(c), detail: 'user request' });
      return c.body(null, 204);
    },
  );

  app.use('/auth/password', auth);
  app.openapi(
    createRoute({
      method: 'post',
      path: '/auth/password',
      tags: ['auth'],
      summary: 'Change your own password: every other session is signed out, this one gets new tokens',
      description:
        'Needs the current password (403 FORBIDDEN when it is wrong, recorded as a security event). Wrong current passwords spend the ' +
        'login budget: they count against the account, the (email, IP) pair and the IP like failed logins, so the same locks answer ' +
        '423 ACCOUNT_LOCKED or 429 RATE_LIMITED with Retry-After. The change revokes every access and ' +
        'refresh token issued so far (token_version), so other devices must log in again; the answer carries this session\'s new tokens. ' +
        'With an Idempotency-Key the change applies once; neither the passwords nor the new tokens are kept with the key ' +
        '(a replay of the success has no body; refusals are not kept), and a retry carrying the token the change revoked is 401 anyway.',
      security: bearerSecurity,
      middleware: deps.idempotency ? [deps.idempotency.route('password', { secretBody: true })] : [],
      request: { ...jsonBody(z.object({ currentPassword: z.string().min(1).max(128), newPassword: Password }).strict().openapi('PasswordChange')), headers: IdempotencyKeyHeader },
      responses: { 200: json(TokenResponse, 'Password changed; new tokens for this session'), ...problems(400, 401, 403, 422, 423, 429) },
    }),
    async (c) => {
      const { currentPassword, newPassword } = c.req.valid('json');
      const tokens = await deps.identity.changePassword(c.get('user').id, currentPassword, newPassword, ipOf(c));
      return c.json({ ...tokens, tokenType: 'Bearer' as const }, 200);
    },
  );

  return app;
}
