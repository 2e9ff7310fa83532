import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../support/harness.js';

/**
 * Issue 25, defects 1, 4, 5 and 6 (outside testing, round 3). Low limits from the env, as in
 * security-login-abuse: 3 failures lock an (email, IP) pair, 6 from any IPs the account, 8 spend an
 * IP's failure budget; 3 sign-ups per address per window.
 */
describe('security: password checks share the login budget; sign-up budget; one email rule; the owner’s way out of a lockout', () => {
  let ctx: TestContext;
  const PASSWORD = 'correct-horse-battery';
  const from = (ip: string) => ({ 'x-forwarded-for': ip });
  const signup = async (email: string, ip = '192.0.2.250') => ctx.request('POST', '/api/v1/auth/signup', { body: { email, password: PASSWORD, name: 'Owner' }, headers: from(ip) });
  const login = (email: string, password: string, ip: string, deviceToken?: string) =>
    ctx.request('POST', '/api/v1/auth/login', { body: { email, password, ...(deviceToken ? { deviceToken } : {}) }, headers: from(ip) });
  const owner = async (email: string) => {
    const created = await signup(email, `192.0.2.${Math.floor(Math.random() * 200) + 20}`);
    expect(created.status).toBe(201);
    const session = await login(email, PASSWORD, '192.0.2.1');
    expect(session.status).toBe(200);
    return { id: created.body.id as number, token: session.body.accessToken as string, deviceToken: session.body.deviceToken as string };
  };
  const changePassword = (token: string, currentPassword: string, ip: string) =>
    ctx.request('POST', '/api/v1/auth/password', { token, body: { currentPassword, newPassword: 'brand-new-password-9' }, headers: from(ip) });

  beforeAll(async () => {
    ctx = await createTestContext({
      worker: false,
      env: {
        TRUST_PROXY_HOPS: '1',
        LOGIN_FAILURE_DELAY_MS: '1',
        LOGIN_MAX_FAILURES: '3',
        LOGIN_ACCOUNT_MAX_FAILURES: '6',
        LOGIN_IP_MAX_FAILURES: '8',
        RATE_LIMIT_SIGNUP_PER_IP: '3',
        RATE_LIMIT_SIGNUP_WINDOW_SECONDS: '3600',
      },
    });
  });
  afterAll(async () => {
    await ctx?.close();
  });

  it('defect 1: wrong current passwords on POST /auth/password lock like failed logins (423), and the right one no longer works', async () => {
    const victim = await owner('pw-guess@test.example');
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await changePassword(victim.token, `guess-${i}-password`, '203.0.113.5')).status);
    // 2 × 403, then the pair's third failure locks it: 423 from then on, with Retry-After.
    expect(statuses).toEqual([403, 403, 423, 423, 423]);
    const right = await changePassword(victim.token, PASSWORD, '203.0.113.5');
    expect([right.status, right.body.code]).toEqual([423, 'ACCOUNT_LOCKED']);
    expect(Number(right.headers.get('retry-after'))).toBeGreaterThan(0);
    // The same pair lock stops logins from that address, since the budget is shared.
    expect((await login('pw-guess@test.example', PASSWORD, '203.0.113.5')).status).toBe(423);
    // Nothing changed: the password is still the old one.
    expect((await login('pw-guess@test.example', PASSWORD, '192.0.2.2')).status).toBe(200);
  });

  it('defect 1: guesses spread over addresses lock the account, and an address past its budget gets 429', async () => {
    const victim = await owner('pw-spread@test.example');
    const statuses: number[] = [];
    for (const ip of ['203.0.113.11', '203.0.113.12', '203.0.113.13']) for (let i = 0; i < 2; i++) statuses.push((await changePassword(victim.token, `guess-${ip}-${i}`, ip)).status);
    expect(statuses).toEqual([403, 403, 403, 403, 403, 423]);
    expect((await changePassword(victim.token, PASSWORD, '192.0.2.30')).status).toBe(423);
    const [rows] = await ctx.identityPool.query<any[]>('SELECT locked_until FROM users WHERE id = ?', [victim.id]);
    expect(rows[0].locked_until).not.toBeNull();

    // An IP budget: failed password checks and failed logins count together.
    const other = await owner('pw-budget@test.example');
    const ip = '203.0.113.99';
    for (let i = 0; i < 6; i++) await login(`stuffed-${i}@test.example`, 'wrong-password-x', ip);
    const seen: number[] = [];
    for (let i = 0; i < 3; i++) seen.push((await changePassword(other.token, `guess-${i}-password`, ip)).status);
    expect(seen).toEqual([403, 403, 429]);
    const refused = await changePassword(other.token, PASSWORD, ip);
    expect([refused.status, refused.body.code]).toEqual([429, 'RATE_LIMITED']);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('defect 4: sign-up has a per-IP budget (429 + Retry-After); other addresses are not affected', async () => {
    const ip = '198.51.100.40';
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await signup(`bulk-${i}@test.example`, ip)).status);
    expect(statuses).toEqual([201, 201, 201, 429]);
    const refused = await signup('bulk-x@test.example', ip);
    expect([refused.status, refused.body.code]).toEqual([429, 'RATE_LIMITED']);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    // Probing registered emails is bounded by the same budget: a known email is refused before any lookup.
    expect((await signup('bulk-0@test.example', ip)).status).toBe(429);
    expect((await signup('bulk-x@test.example', '198.51.100.41')).status).toBe(201);
  });

  it("defect 5: an address signup accepts is found by the admin search (a'b&c^…)", async () => {
    const email = "a'b&c^d~e{f}|g@example.com";
    const created = await signup(email, '198.51.100.50');
    expect(created.status).toBe(201);
    const admin = await ctx.createUser({ role: 'ADMIN' });
    const found = await ctx.request('GET', `/api/v1/admin/users?email=${encodeURIComponent(email)}`, { token: admin.token });
    expect(found.status).toBe(200);
    expect(found.body.items.map((u: any) => u.id)).toEqual([created.body.id]);
    // And what neither accepts, both refuse.
    expect((await signup('not an email', '198.51.100.51')).status).toBe(400);
    expect((await ctx.request('GET', `/api/v1/admin/users?email=${encodeURIComponent('not an email')}`, { token: admin.token })).status).toBe(400);
  });

  it('defect 6: an account locked by an attacker still lets its owner in from a device that logged in before; the attacker stays locked out', async () => {
    const email = 'locked-by-others@test.example';
    const victim = await owner(email);
    expect(victim.deviceToken).toEqual(expect.any(String));
    // The attacker locks the account from several addresses (6 failures, none reaching a pair's 3).
    for (const ip of ['203.0.113.71', '203.0.113.72', '203.0.113.73']) for (let i = 0; i < 2; i++) await login(email, `guess-${ip}-${i}`, ip);
    expect((await login(email, PASSWORD, '192.0.2.90')).status).toBe(423);

    // The owner's device: in, with the right password, from a fresh address.
    const fromDevice = await login(email, PASSWORD, '192.0.2.91', victim.deviceToken);
    expect(fromDevice.status).toBe(200);
    // The account's lock stays for everyone else (the attacker included), with or without the password.
    expect((await login(email, PASSWORD, '192.0.2.92')).status).toBe(423);
    // Someone else's device token does not open this account.
    const stranger = await owner('stranger@test.example');
    expect((await login(email, PASSWORD, '192.0.2.93', stranger.deviceToken)).status).toBe(423);
    // A forged one neither.
    expect((await login(email, PASSWORD, '192.0.2.94', `${victim.deviceToken.slice(0, -4)}AAAA`)).status).toBe(423);

    // A stolen device token buys only LOGIN_MAX_FAILURES guesses, then that device is locked too.
    const guesses: number[] = [];
    for (let i = 0; i < 4; i++) guesses.push((await login(email, `thief-${i}-password`, '203.0.113.80', fromDevice.body.deviceToken)).status);
    expect(guesses).toEqual([401, 401, 423, 423]);
    expect((await login(email, PASSWORD, '192.0.2.95', fromDevice.body.deviceToken)).status).toBe(423);
    // The owner's other device (the first token) is not affected.
    expect((await login(email, PASSWORD, '192.0.2.96', victim.deviceToken)).status).toBe(200);
  });
});
