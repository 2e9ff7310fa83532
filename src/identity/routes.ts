import { createRoute, z } from '@hono/zod-openapi';
import { createRouter } from '../platform/http/app.js';
import { bearerSecurity, json, jsonBody, problems } from '../platform/http/openapi.js';
import { requireAuth } from './middleware.js';
import type { IdentityService } from './service.js';
import type { AccessTokens } from './tokens.js';

const Email = z.string().trim().max(254).email();
const Password = z.string().min(10, 'at least 10 characters').max(128);

const SignupBody = z
  .object({ email: Email, password: Password, name: z.string().trim().min(1).max(100), phone: z.string().regex(/^\+?[0-9\- ]{6,20}$/).optional() })
  .strict()
  .openapi('SignupRequest');
const LoginBody = z.object({ email: Email, password: z.string().min(1).max(128) }).strict().openapi('LoginRequest');
const TokenResponse = z.object({ accessToken: z.string(), tokenType: z.literal('Bearer'), expiresIn: z.number().int(), userId: z.number().int() }).openapi('TokenResponse');
const Profile = z
  .object({ id: z.number().int(), email: z.string(), name: z.string(), phone: z.string().nullable(), role: z.enum(['USER', 'ADMIN']), createdAt: z.string() })
  .openapi('Profile');

export function identityRoutes(deps: { identity: IdentityService; tokens: AccessTokens }) {
  const app = createRouter();

  app.openapi(
    createRoute({
      method: 'post',
      path: '/auth/signup',
      tags: ['auth'],
      summary: 'Create an account (role USER)',
      request: jsonBody(SignupBody),
      responses: { 201: json(z.object({ id: z.number().int() }), 'Account created'), ...problems(400, 409, 429) },
    }),
    async (c) => c.json(await deps.identity.signup(c.req.valid('json')), 201),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/auth/login',
      tags: ['auth'],
      summary: 'Exchange email and password for a short-lived access token',
      description: 'Access tokens last JWT_TTL_SECONDS; when one expires (401 TOKEN_EXPIRED), log in again.',
      request: jsonBody(LoginBody),
      responses: { 200: json(TokenResponse, 'Access token'), ...problems(400, 401, 423, 429) },
    }),
    async (c) => {
      const { email, password } = c.req.valid('json');
      const ip = c.req.header('x-forwarded-for')?.split(',')[0]?.trim() ?? null;
      const token = await deps.identity.login(email, password, ip);
      return c.json({ ...token, tokenType: 'Bearer' as const }, 200);
    },
  );

  app.use('/me', requireAuth(deps.tokens));
  app.openapi(
    createRoute({ method: 'get', path: '/me', tags: ['auth'], summary: 'Own profile (decrypted)', security: bearerSecurity, responses: { 200: json(Profile, 'Profile'), ...problems(401) } }),
    async (c) => c.json(await deps.identity.profile(c.get('user').id), 200),
  );

  return app;
}
