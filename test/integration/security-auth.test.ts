import { sign } from 'hono/jwt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../support/harness.js';

const CODEC_SECRET = 'codec-secret-for-tests-0123456789abcdef';
const b64url = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

/** Security events are in identity's own outbox (identity's database). */
async function securityEvents(ctx: TestContext, kind: string, userId?: number) {
  const [rows] = await ctx.identityPool.query<any[]>(
    `SELECT type, aggregate_id, payload FROM domain_events WHERE type = 'SecurityEvent' ORDER BY position`,
  );
  return rows.map((r) => ({ ...r, payload: JSON.parse(r.payload) })).filter((r) => r.payload.kind === kind && (userId === undefined || r.payload.userId === userId));
}

async function signupAndLogin(ctx: TestContext, email: string, password = 'correct-horse-battery') {
  const signup = await ctx.request('POST', '/api/v1/auth/signup', { body: { email, password, name: 'Kim' } });
  expect(signup.status).toBe(201);
  const login = await ctx.request('POST', '/api/v1/auth/login', { body: { email, password } });
  expect(login.status).toBe(200);
  return { id: signup.body.id as number, ...(login.body as { accessToken: string; refreshToken: string }) };
}

describe('security: authentication, tokens, roles, audit', () => {
  let ctx: TestContext;

  beforeAll(async () => {
    ctx = await createTestContext({ worker: false, env: { LOGIN_FAILURE_DELAY_MS: '5', LOGIN_MAX_FAILURES: '3', TRUST_PROXY_HOPS: '1', CODEC_SHARED_SECRET: CODEC_SECRET } });
  });
  afterAll(async () => {
    await ctx?.close();
  });

  describe('JWT tampering', () => {
    let user: Awaited<ReturnType<TestContext['createUser']>>;
    const now = () => Math.floor(Date.now() / 1000);
    beforeAll(async () => {
      user = await ctx.createUser();
    });

    it('accepts the genuine token', async () => {
      expect((await ctx.request('GET', '/api/v1/me', { token: user.token })).status).toBe(200);
    });

    it.each([
      ['alg none', async (id: number) => `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url({ sub: String(id), role: 'ADMIN', ver: 0, iat: now(), exp: now() + 600 })}.`],
      ['wrong key', async (id: number) => sign({ sub: String(id), role: 'USER', ver: 0, iat: now(), exp: now() + 600 }, 'attacker-secret-0123456789abcdefghijklmn', 'HS256')],
      ['expired', async (id: number) => sign({ sub: String(id), role: 'USER', ver: 0, iat: now() - 1000, exp: now() - 10 }, ctx.config.JWT_SECRET, 'HS256')],
      ['other algorithm (HS512)', async (id: number) => sign({ sub: String(id), role: 'USER', ver: 0, iat: now(), exp: now() + 600 }, ctx.config.JWT_SECRET, 'HS512')],
      ['modified payload (role ADMIN)', async () => {
        const [h, , s] = user.token.split('.');
        return `${h}.${b64url({ sub: String(user.id), role: 'ADMIN', ver: 0, iat: now(), exp: now() + 600 })}.${s}`;
      }],
      ['modified payload (other user)', async () => {
        const [h, , s] = user.token.split('.');
        return `${h}.${b64url({ sub: '1', role: 'USER', ver: 0, iat: now(), exp: now() + 600 })}.${s}`;
      }],
      ['garbage', async () => 'not.a.jwt.at.all'],
    ])('rejects %s with 401 problem+json', async (_name, make) => {
      const token = await make(user.id);
      for (const path of ['/api/v1/me', '/api/v1/wallet', '/api/v1/admin/users']) {
        const res = await ctx.request('GET', path, { token });
        expect(res.status).toBe(401);
        expect(res.headers.get('content-type')).toContain('application/problem+json');
        expect(['UNAUTHENTICATED', 'TOKEN_EXPIRED']).toContain(res.body.code);
      }
    });

    it('rejects a USER token on admin routes (403) and records the attempt', async () => {
      for (const [method, path] of [
        ['GET', '/api/v1/admin/users'],
        ['PATCH', `/api/v1/admin/users/${user.id}`],
        ['POST', '/api/v1/admin/concerts'],
      ] as const) {
        const res = await ctx.request(method, path, { token: user.token, body: method === 'GET' ? undefined : { role: 'ADMIN' } });
        expect(res.status).toBe(403);
        expect(res.body.code).toBe('FORBIDDEN');
      }
      const events = await securityEvents(ctx, 'FORBIDDEN', user.id);
      expect(events.length).toBeGreaterThanOrEqual(3);
      expect(events.map((e) => e.payload.detail)).toContain('GET /api/v1/admin/users');
    });

    it('records one FORBIDDEN event per 403, whichever router guards the path (their /admin middleware overlap)', async () => {
      const probe = await ctx.createUser();
      const paths = ['/api/v1/admin/users', '/api/v1/admin/schedules/1/queue', '/api/v1/admin/schedules/1/sales', '/api/v1/admin/no-such-route'];
      for (const path of paths) expect([path, (await ctx.request('GET', path, { token: probe.token })).status]).toEqual([path, 403]);
      const events = await securityEvents(ctx, 'FORBIDDEN', probe.id);
      expect(events.map((e) => e.payload.detail).sort()).toEqual(paths.map((p) => `GET ${p}`).sort());
      // The codec refuses before it knows the user (userId null): one more event for its path.
      const codecEvents = async () => (await securityEvents(ctx, 'FORBIDDEN')).filter((e) => e.payload.detail === 'POST /codec/decode').length;
      const before = await codecEvents();
      expect((await ctx.request('POST', '/codec/decode', { token: probe.token, body: { payloads: [] } })).status).toBe(403);
      expect(await codecEvents()).toBe(before + 1);
    });

    it('refuses a refresh token used as an access token, and vice versa', async () => {
      const pair = await ctx.services.tokens.issuePair({ id: user.id, role: 'USER', tokenVersion: 0 });
      expect((await ctx.request('GET', '/api/v1/me', { token: pair.refreshToken })).status).toBe(401);
      expect((await ctx.request('POST', '/api/v1/auth/refresh', { body: { refreshToken: pair.accessToken } })).status).toBe(401);
    });
  });

  describe('signup and login', () => {
    it('rejects mass assignment: a role (or any unknown field) in the sign-up body', async () => {
      for (const extra of [{ role: 'ADMIN' }, { status: 'ACTIVE' }, { tokenVersion: 5 }, { id: 1 }]) {
        const res = await ctx.request('POST', '/api/v1/auth/signup', { body: { email: `mass-${Object.keys(extra)[0]}@test.example`, password: 'correct-horse-battery', name: 'M', ...extra } });
        expect(res.status).toBe(400);
        expect(res.body.code).toBe('VALIDATION_FAILED');
      }
      const [rows] = await ctx.identityPool.query<any[]>(`SELECT COUNT(*) AS n FROM users WHERE role = 'ADMIN'`);
      expect(Number(rows[0].n)).toBe(0);
    });

    it('stores email and phone encrypted, and finds the user through the blind index', async () => {
      const res = await ctx.request('POST', '/api/v1/auth/signup', { body: { email: 'Secret.Person@Test.Example', password: 'correct-horse-battery', name: 'S', phone: '+82 10-5555-0000' } });
      expect(res.status).toBe(201);
      const [rows] = await ctx.identityPool.query<any[]>('SELECT email_cipher, phone_cipher, email_index FROM users WHERE id = ?', [res.body.id]);
      expect(JSON.stringify(rows[0])).not.toMatch(/secret|person|5555/i);
      const login = await ctx.request('POST', '/api/v1/auth/login', { body: { email: 'secret.person@test.example', password: 'correct-horse-battery' } });
      expect(login.status).toBe(200);
      const me = await ctx.request('GET', '/api/v1/me', { token: login.body.accessToken });
      expect(me.body).toMatchObject({ email: 'Secret.Person@Test.Example', phone: '+82 10-5555-0000', role: 'USER' });
    });

    it('gives the same answer for an unknown email and a wrong password', async () => {
      await signupAndLogin(ctx, 'same-answer@test.example');
      const wrongPw = await ctx.request('POST', '/api/v1/auth/login', { body: { email: 'same-answer@test.example', password: 'wrong-password-1' } });
      const unknown = await ctx.request('POST', '/api/v1/auth/login', { body: { email: 'nobody-here@test.example', password: 'wrong-password-1' } });
      expect(wrongPw.status).toBe(401);
      expect(unknown.status).toBe(401);
      expect({ ...wrongPw.body, instance: 0, requestId: 0 }).toEqual({ ...unknown.body, instance: 0, requestId: 0 });
    });

    it('locks an account after repeated failures (423 + Retry-After), records it, and keeps it locked for the right password', async () => {
      const { id } = await signupAndLogin(ctx, 'lockme@test.example');
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++) {
        statuses.push((await ctx.request('POST', '/api/v1/auth/login', { body: { email: 'lockme@test.example', password: `wrong-${i}-password` }, headers: { 'x-forwarded-for': '203.0.113.9' } })).status);
      }
      expect(statuses).toEqual([401, 401, 423]);
      // The lock is on the (email, IP) pair first (issue 10): the guesser's address stays locked out.
      const locked = await ctx.request('POST', '/api/v1/auth/login', { body: { email: 'lockme@test.example', password: 'correct-horse-battery' }, headers: { 'x-forwarded-for': '203.0.113.9' } });
      expect(locked.status).toBe(423);
      expect(locked.body.code).toBe('ACCOUNT_LOCKED');
      expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
      const failed = await securityEvents(ctx, 'LOGIN_FAILED', id);
      expect(failed).toHaveLength(2);
      expect(failed[0].payload.ip).toBe('203.0.113.9');
      expect(await securityEvents(ctx, 'ACCOUNT_LOCKED', id)).toHaveLength(1);
    });

    it('locks unknown emails the same way (a 423 does not reveal that an account exists)', async () => {
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) statuses.push((await ctx.request('POST', '/api/v1/auth/login', { body: { email: 'ghost@test.example', password: `wrong-${i}-password` } })).status);
      expect(statuses).toEqual([401, 401, 423, 423]);
    });
  });

  describe('refresh and revocation', () => {
    it('refreshes with a refresh token, once; reusing it signs the account out everywhere', async () => {
      const first = await signupAndLogin(ctx, 'refresh@test.example');
      const r1 = await ctx.request('POST', '/api/v1/auth/refresh', { body: { refreshToken: first.refreshToken } });
      expect(r1.status).toBe(200);
      expect(r1.body.accessToken).toEqual(expect.any(String));
      expect((await ctx.request('GET', '/api/v1/me', { token: r1.body.accessToken })).status).toBe(200);

      const reuse = await ctx.request('POST', '/api/v1/auth/refresh', { body: { refreshToken: first.refreshToken } });
      expect(reuse.status).toBe(401);
      // The theft signal revoked everything, including the tokens from the legitimate refresh.
      expect((await ctx.request('GET', '/api/v1/me', { token: r1.body.accessToken })).status).toBe(401);
      expect((await ctx.request('POST', '/api/v1/auth/refresh', { body: { refreshToken: r1.body.refreshToken } })).status).toBe(401);
      expect(await securityEvents(ctx, 'REFRESH_TOKEN_REUSED', first.id)).toHaveLength(1);
      // Logging in again works.
      expect((await ctx.request('POST', '/api/v1/auth/login', { body: { email: 'refresh@test.example', password: 'correct-horse-battery' } })).status).toBe(200);
    });

    it('logout-all revokes access and refresh tokens', async () => {
      const s = await signupAndLogin(ctx, 'logout@test.example');
      expect((await ctx.request('POST', '/api/v1/auth/logout-all', { token: s.accessToken })).status).toBe(204);
      expect((await ctx.request('GET', '/api/v1/wallet', { token: s.accessToken })).status).toBe(401);
      expect((await ctx.request('POST', '/api/v1/auth/refresh', { body: { refreshToken: s.refreshToken } })).status).toBe(401);
    });
  });

  describe('admin users API', () => {
    it('lists users with decrypted emails, paginated, and finds one by email', async () => {
      const admin = await ctx.createUser({ role: 'ADMIN' });
      const u = await ctx.createUser();
      const page = await ctx.request('GET', '/api/v1/admin/users?page=1&pageSize=2', { token: admin.token });
      expect(page.status).toBe(200);
      expect(page.body.items).toHaveLength(2);
      expect(page.body.total).toBeGreaterThan(2);
      const found = await ctx.request('GET', `/api/v1/admin/users?email=${encodeURIComponent(u.email.toUpperCase())}`, { token: admin.token });
      expect(found.body.items).toEqual([expect.objectContaining({ id: u.id, email: u.email, role: 'USER', status: 'ACTIVE' })]);
      expect((await ctx.request('GET', '/api/v1/admin/users?pageSize=1000', { token: admin.token })).status).toBe(400);
      expect((await ctx.request('GET', '/api/v1/admin/users?sort=email;DROP', { token: admin.token })).status).toBe(400);
    });

    it("changes a role: the user's old token stops working, the change is an AdminAction event", async () => {
      const admin = await ctx.createUser({ role: 'ADMIN' });
      const u = await ctx.createUser();
      expect((await ctx.request('GET', '/api/v1/wallet', { token: u.token })).status).toBe(200); // caches the version
      const res = await ctx.request('PATCH', `/api/v1/admin/users/${u.id}`, { token: admin.token, body: { role: 'ADMIN' } });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id: u.id, role: 'ADMIN' });
      expect((await ctx.request('GET', '/api/v1/wallet', { token: u.token })).status).toBe(401);
      const [rows] = await ctx.identityPool.query<any[]>(`SELECT payload FROM domain_events WHERE type = 'AdminAction' AND aggregate_id = ?`, [`identity-admin-${admin.id}`]);
      expect(rows.map((r) => JSON.parse(r.payload))).toEqual([expect.objectContaining({ adminId: admin.id, action: 'user.update', target: `user-${u.id}` })]);
    });

    it('disables a user (tokens and login stop working), refuses self-change, unknown ids and bad bodies', async () => {
      const admin = await ctx.createUser({ role: 'ADMIN' });
      const s = await signupAndLogin(ctx, 'disable-me@test.example');
      expect((await ctx.request('PATCH', `/api/v1/admin/users/${s.id}`, { token: admin.token, body: { status: 'DISABLED' } })).status).toBe(200);
      expect((await ctx.request('GET', '/api/v1/me', { token: s.accessToken })).status).toBe(401);
      expect((await ctx.request('POST', '/api/v1/auth/login', { body: { email: 'disable-me@test.example', password: 'correct-horse-battery' } })).status).toBe(401);
      expect((await ctx.request('PATCH', `/api/v1/admin/users/${admin.id}`, { token: admin.token, body: { role: 'USER' } })).status).toBe(409);
      expect((await ctx.request('PATCH', '/api/v1/admin/users/999999999', { token: admin.token, body: { role: 'USER' } })).status).toBe(404);
      for (const body of [{}, { role: 'ROOT' }, { role: 'USER', tokenVersion: 0 }, { status: 'ACTIVE', passwordHash: 'x' }]) {
        expect((await ctx.request('PATCH', `/api/v1/admin/users/${s.id}`, { token: admin.token, body })).status).toBe(400);
      }
      for (const id of ['abc', '0', '-1', '1;DROP TABLE users', '99999999999999999999']) {
        expect((await ctx.request('PATCH', `/api/v1/admin/users/${encodeURIComponent(id)}`, { token: admin.token, body: { role: 'USER' } })).status).toBe(400);
      }
    });
  });

  describe('headers and CORS', () => {
    it('sends secure headers on API answers and on errors', async () => {
      for (const path of ['/api/v1/concerts', '/api/v1/nope', '/healthz']) {
        const res = await ctx.request('GET', path);
        expect(res.headers.get('x-content-type-options')).toBe('nosniff');
        expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN');
        expect(res.headers.get('strict-transport-security')).toMatch(/max-age=\d+/);
        expect(res.headers.get('referrer-policy')).toBe('no-referrer');
        expect(res.headers.get('x-powered-by')).toBeNull();
        expect(res.headers.get('x-request-id')).toBeTruthy();
      }
    });

    it('allows configured origins only', async () => {
      const allowed = ctx.config.CORS_ORIGINS[0]!;
      const ok = await ctx.request('OPTIONS', '/api/v1/wallet', { headers: { origin: allowed, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' } });
      expect(ok.headers.get('access-control-allow-origin')).toBe(allowed);
      const evil = await ctx.request('OPTIONS', '/api/v1/wallet', { headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' } });
      expect(evil.headers.get('access-control-allow-origin')).toBeNull();
      const get = await ctx.request('GET', '/api/v1/concerts', { headers: { origin: 'https://evil.example' } });
      expect(get.headers.get('access-control-allow-origin')).toBeNull();
    });
  });

  describe('Temporal codec endpoint', () => {
    const plain = { metadata: { encoding: Buffer.from('json/plain').toString('base64') }, data: Buffer.from('{"userId":1}').toString('base64') };

    it('round-trips payloads for an admin, refuses users and anonymous callers', async () => {
      const admin = await ctx.createUser({ role: 'ADMIN' });
      const user = await ctx.createUser();
      const enc = await ctx.request('POST', '/codec/encode', { token: admin.token, body: { payloads: [plain] }, headers: { 'x-namespace': ctx.config.TEMPORAL_NAMESPACE } });
      expect(enc.status).toBe(200);
      expect(Buffer.from(enc.body.payloads[0].metadata.encoding, 'base64').toString()).toBe('binary/encrypted');
      const dec = await ctx.request('POST', '/codec/decode', { token: admin.token, body: enc.body });
      expect(dec.body.payloads).toEqual([plain]);
      expect((await ctx.request('POST', '/codec/decode', { token: user.token, body: enc.body })).status).toBe(403);
      expect((await ctx.request('POST', '/codec/decode', { body: enc.body })).status).toBe(401);
      expect((await ctx.request('POST', '/codec/decode', { token: admin.token, body: { payloads: [{ ...enc.body.payloads[0], data: Buffer.alloc(40, 1).toString('base64') }] } })).status).toBe(400);
      expect((await ctx.request('POST', '/codec/decode', { token: admin.token, body: enc.body, headers: { 'x-namespace': 'other' } })).status).toBe(400);
    });

    it('accepts the shared secret (header, or URL path for the Web UI) and refuses a wrong one', async () => {
      const enc = await ctx.request('POST', '/codec/encode', { body: { payloads: [plain] }, headers: { authorization: `Bearer ${CODEC_SECRET}` } });
      expect(enc.status).toBe(200);
      const dec = await ctx.request('POST', `/codec/ui/${CODEC_SECRET}/decode`, { body: enc.body });
      expect(dec.status).toBe(200);
      expect(dec.body.payloads).toEqual([plain]);
      expect((await ctx.request('POST', '/codec/ui/wrong-secret-0123456789abcdefghijkl/decode', { body: enc.body })).status).toBe(401);
      expect((await ctx.request('POST', `/codec/ui/${CODEC_SECRET}/decode`, { body: { payloads: 'x' } })).status).toBe(400);
      expect((await ctx.request('POST', '/codec/decode', { body: enc.body, headers: { authorization: 'Bearer wrong-secret-0123456789abcdefghijkl' } })).status).toBe(401);
    });

    it('answers the Temporal UI origin on preflight, and nobody else', async () => {
      const ui = new URL(ctx.config.TEMPORAL_UI_URL).origin;
      const pre = await ctx.request('OPTIONS', '/codec/decode', { headers: { origin: ui, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-namespace' } });
      expect(pre.headers.get('access-control-allow-origin')).toBe(ui);
      expect(pre.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('x-namespace');
      const evil = await ctx.request('OPTIONS', '/codec/decode', { headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
      expect(evil.headers.get('access-control-allow-origin')).toBeNull();
    });
  });
});
