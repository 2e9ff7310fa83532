import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, TEST_PASSWORD, type TestContext } from '../support/harness.js';
import { checkInvariants } from '../support/invariants.js';

/**
 * Back office (issue 11 part 4): reservation search, refunds, the audit log, wallet adjustments,
 * password changes; and the STAFF role an admin grants.
 */
describe('back office', () => {
  let ctx: TestContext;
  let admin: { id: number; token: string };
  const q = async (sql: string, params: unknown[] = []) => (await ctx.pool.query(sql, params))[0] as Array<Record<string, any>>;
  /** Identity's database: the accounts, and its outbox (security events, the admin actions identity records). */
  const qIdentity = async (sql: string, params: unknown[] = []) => (await ctx.identityPool.query(sql, params))[0] as Array<Record<string, any>>;
  /** The same in payment's database (wallets, ledger, payments, refunds and payment's outbox). */
  const pq = async (sql: string, params: unknown[] = []) => (await ctx.paymentPool.query(sql, params))[0] as Array<Record<string, any>>;
  const get = (path: string, token = admin.token) => ctx.request('GET', `/api/v1${path}`, { token });
  const login = (email: string, password: string) => ctx.request('POST', '/api/v1/auth/login', { body: { email, password } });

  beforeAll(async () => {
    ctx = await createTestContext();
    admin = await ctx.createUser({ role: 'ADMIN' });
  });
  afterAll(async () => {
    await ctx?.close();
  });

  it('searches reservations by user, schedule and status, paginated; lists refunds', async () => {
    const a = await ctx.createUser({ balance: 100_000 });
    const b = await ctx.createUser({ balance: 100_000 });
    const { scheduleId, seatIds } = await ctx.createSchedule({ price: 10_000 });
    const other = await ctx.createSchedule({ price: 10_000 });
    const hold = async (token: string, sid: number, seats: number[]) => (await ctx.request('POST', '/api/v1/reservations', { token, body: { scheduleId: sid, seatIds: seats } })).body.id as string;
    const a1 = await hold(a.token, scheduleId, [seatIds[0]!]);
    const a2 = await hold(a.token, scheduleId, [seatIds[1]!]);
    const a3 = await hold(a.token, other.scheduleId, [other.seatIds[0]!]);
    const b1 = await hold(b.token, scheduleId, [seatIds[2]!]);
    for (const [token, id] of [[a.token, a1], [a.token, a2], [b.token, b1]] as const) expect((await ctx.request('POST', `/api/v1/reservations/${id}/payment`, { token })).status).toBe(200);
    expect((await ctx.request('DELETE', `/api/v1/reservations/${a2}`, { token: a.token })).body.status).toBe('REFUNDED');

    const byUser = await get(`/admin/reservations?userId=${a.id}`);
    expect(byUser.status).toBe(200);
    expect(byUser.body.items.map((r: { id: string }) => r.id).sort()).toEqual([a1, a2, a3].sort());
    expect(byUser.body.items.every((r: { userId: number }) => r.userId === a.id)).toBe(true);
    const confirmedHere = await get(`/admin/reservations?scheduleId=${scheduleId}&status=CONFIRMED`);
    expect(confirmedHere.body.items.map((r: { id: string }) => r.id).sort()).toEqual([a1, b1].sort());
    expect((await get(`/admin/reservations?userId=${a.id}&scheduleId=${scheduleId}&status=REFUNDED`)).body).toMatchObject({ total: 1, items: [{ id: a2, status: 'REFUNDED' }] });
    // Pages: newest first, the total over all pages.
    const page1 = await get(`/admin/reservations?userId=${a.id}&pageSize=2`);
    const page2 = await get(`/admin/reservations?userId=${a.id}&pageSize=2&page=2`);
    expect([page1.body.total, page1.body.items.length, page2.body.items.length]).toEqual([3, 2, 1]);
    expect([...page1.body.items, ...page2.body.items].map((r: { id: string }) => r.id)).toEqual(byUser.body.items.map((r: { id: string }) => r.id));

    const refunds = await get(`/admin/refunds?userId=${a.id}`);
    expect(refunds.status).toBe(200);
    expect(refunds.body).toMatchObject({ total: 1, items: [{ reservationId: a2, userId: a.id, amount: 10_000 }] });
    expect((await get('/admin/refunds')).body.total).toBeGreaterThanOrEqual(1);

    // Admins only; bad filters are 400 problems.
    expect((await get(`/admin/reservations?userId=${a.id}`, a.token)).status).toBe(403);
    expect((await get('/admin/refunds', a.token)).status).toBe(403);
    for (const bad of ['status=PAID', 'userId=abc', 'userId=0', 'pageSize=1000', 'unknown=1']) {
      const res = await get(`/admin/reservations?${bad}`);
      expect([bad, res.status, res.body.code]).toEqual([bad, 400, 'VALIDATION_FAILED']);
    }
    expect(await checkInvariants(ctx.pool, { atLeast: { confirmed: 2, tickets: 3 } })).toEqual([]);
  });

  it('the audit log shows admin actions (concert creation included) and security events, newest first', async () => {
    const now = Date.now();
    const created = await ctx.request('POST', '/api/v1/admin/concerts', {
      token: admin.token,
      body: {
        title: `Audited ${ctx.id}`,
        artist: 'A',
        venue: 'V',
        schedules: [{ startsAt: new Date(now + 20 * 86_400_000).toISOString(), saleOpensAt: new Date(now).toISOString(), saleClosesAt: new Date(now + 19 * 86_400_000).toISOString() }],
        sections: [{ name: 'A', tier: 'R', price: 1000, rows: 1, seatsPerRow: 2 }],
      },
    });
    expect(created.status).toBe(201);
    const user = await ctx.createUser();
    expect((await login(`nobody-${ctx.id}@test.example`, 'wrong-password-1')).status).toBe(401);

    const adminLog = await get(`/admin/audit-log?kind=ADMIN&userId=${admin.id}`);
    expect(adminLog.status).toBe(200);
    expect(adminLog.body.items[0]).toMatchObject({ kind: 'ADMIN', type: 'AdminAction', userId: admin.id, payload: { action: 'concert.create', target: `concert-${created.body.concertId}` } });
    const security = await get('/admin/audit-log?kind=SECURITY');
    expect(security.body.items.length).toBeGreaterThan(0);
    expect(security.body.items.every((e: { kind: string; type: string }) => e.kind === 'SECURITY' && e.type === 'SecurityEvent')).toBe(true);
    expect(security.body.items.some((e: { payload: { kind: string } }) => e.payload.kind === 'LOGIN_FAILED')).toBe(true);
    // Both kinds together, newest first; a USER's request is 403 and itself lands in the log.
    expect((await get('/admin/audit-log', user.token)).status).toBe(403);
    const all = await get('/admin/audit-log?pageSize=100');
    const times = all.body.items.map((e: { occurredAt: string }) => e.occurredAt);
    expect(times).toEqual([...times].sort().reverse());
    expect(all.body.items[0]).toMatchObject({ kind: 'SECURITY', payload: { kind: 'FORBIDDEN', userId: user.id } });
    expect(new Set(all.body.items.map((e: { kind: string }) => e.kind))).toEqual(new Set(['ADMIN', 'SECURITY']));
  });

  it('adjusts a wallet with a reason: a ledger row, a WalletAdjusted event and an AdminAction, once per key', async () => {
    const user = await ctx.createUser({ balance: 30_000 });
    const adjust = (body: unknown, key?: string, userId = user.id) =>
      ctx.request('POST', `/api/v1/admin/users/${userId}/wallet-adjustments`, { token: admin.token, body, headers: key ? { 'idempotency-key': key } : {} });
    const credit = await adjust({ amount: 5_000, reason: 'goodwill: show started late' }, `adj-${ctx.id}-1`);
    expect([credit.status, credit.body]).toEqual([201, { userId: user.id, balance: 35_000, adjusted: 5_000 }]);
    const replay = await adjust({ amount: 5_000, reason: 'goodwill: show started late' }, `adj-${ctx.id}-1`);
    expect([replay.status, replay.body]).toEqual([201, credit.body]);
    const debit = await adjust({ amount: -15_000, reason: 'chargeback correction' }, `adj-${ctx.id}-2`);
    expect(debit.body.balance).toBe(20_000);

    // Refusals change nothing: below zero, past the cap, no key, bad bodies, unknown user, a USER caller.
    const before = await pq(`SELECT COUNT(*) n FROM wallet_ledger WHERE user_id = ?`, [user.id]);
    const negative = await adjust({ amount: -20_001, reason: 'too much' }, `adj-${ctx.id}-3`);
    expect([negative.status, negative.body.code, negative.body.balance]).toEqual([409, 'CONFLICT', 20_000]);
    // 409 like the debit below zero: a schema-valid amount that the stored balance refuses (schemathesis ST202 took 422 for a refused valid request).
    const pastCap = await adjust({ amount: ctx.config.WALLET_MAX_BALANCE, reason: 'past the cap' }, `adj-${ctx.id}-4`);
    expect([pastCap.status, pastCap.body.code]).toEqual([409, 'BALANCE_LIMIT_EXCEEDED']);
    expect((await adjust({ amount: 1, reason: 'no key' })).status).toBe(400);
    for (const bad of [{ amount: 0, reason: 'zero' }, { amount: 1.5, reason: 'fraction' }, { amount: 10 }, { amount: 10, reason: '' }, { amount: 10, reason: 'x', extra: 1 }]) {
      const res = await adjust(bad, `adj-${ctx.id}-bad-${JSON.stringify(bad).length}`);
      expect([JSON.stringify(bad), res.status, res.body.code]).toEqual([JSON.stringify(bad), 400, 'VALIDATION_FAILED']);
    }
    expect((await adjust({ amount: 1, reason: 'ghost' }, `adj-${ctx.id}-5`, 999_999_999)).status).toBe(404);
    const asUser = await ctx.request('POST', `/api/v1/admin/users/${user.id}/wallet-adjustments`, { token: user.token, body: { amount: 1_000_000, reason: 'self-service' }, headers: { 'idempotency-key': `adj-${ctx.id}-6` } });
    expect(asUser.status).toBe(403);
    expect(await pq(`SELECT COUNT(*) n FROM wallet_ledger WHERE user_id = ?`, [user.id])).toEqual(before);

    const wallet = await ctx.request('GET', '/api/v1/wallet', { token: user.token });
    expect(wallet.body.balance).toBe(20_000);
    expect(wallet.body.ledger.filter((l: { kind: string }) => l.kind === 'ADJUSTMENT').map((l: { amount: number }) => l.amount)).toEqual([-15_000, 5_000]);
    const events = await pq(`SELECT payload FROM domain_events WHERE type = 'WalletAdjusted' AND aggregate_id = ? ORDER BY sequence`, [String(user.id)]);
    expect(events.map((e) => (typeof e.payload === 'string' ? JSON.parse(e.payload) : e.payload))).toMatchObject([
      { amount: 5_000, balance: 35_000, reason: 'goodwill: show started late', adminId: admin.id },
      { amount: -15_000, balance: 20_000, reason: 'chargeback correction', adminId: admin.id },
    ]);
    const log = await get(`/admin/audit-log?kind=ADMIN&userId=${admin.id}`);
    expect(log.body.items.filter((e: { payload: { action: string; target: string } }) => e.payload.action === 'wallet.adjust' && e.payload.target === `user-${user.id}`)).toHaveLength(2);
    expect(await checkInvariants(ctx.pool, { atLeast: { adjustments: 2 } })).toEqual([]);
  });

  it("a user's own password change signs out their other sessions and keeps this one", async () => {
    const user = await ctx.createUser();
    const phone = await login(user.email, TEST_PASSWORD);
    const laptop = await login(user.email, TEST_PASSWORD);
    expect([phone.status, laptop.status]).toEqual([200, 200]);
    const change = (token: string, currentPassword: string, newPassword: string) => ctx.request('POST', '/api/v1/auth/password', { token, body: { currentPassword, newPassword } });

    const wrong = await change(phone.body.accessToken, 'not-my-password', 'a-new-password-1');
    expect([wrong.status, wrong.body.code]).toEqual([403, 'FORBIDDEN']);
    expect((await change(phone.body.accessToken, TEST_PASSWORD, 'short')).status).toBe(400);
    expect((await ctx.request('GET', '/api/v1/me', { token: laptop.body.accessToken })).status).toBe(200); // nothing changed yet

    const changed = await ctx.request('POST', '/api/v1/auth/password', {
      token: phone.body.accessToken,
      body: { currentPassword: TEST_PASSWORD, newPassword: 'a-new-password-1' },
      headers: { 'idempotency-key': `pw-${ctx.id}` },
    });
    expect(changed.status).toBe(200);
    // The key's record keeps neither the new tokens nor a hash of the passwords.
    const [record] = await q(`SELECT response_body FROM idempotency_keys WHERE idem_key = ?`, [`pw-${ctx.id}`]);
    expect(JSON.stringify(record!.response_body ?? null)).not.toContain(changed.body.accessToken);
    expect(changed.body).toMatchObject({ tokenType: 'Bearer', userId: user.id });
    // This session continues with the new tokens; every token issued before (both devices) is refused.
    expect((await ctx.request('GET', '/api/v1/me', { token: changed.body.accessToken })).status).toBe(200);
    for (const old of [phone.body.accessToken, laptop.body.accessToken]) expect((await ctx.request('GET', '/api/v1/me', { token: old })).status).toBe(401);
    expect((await ctx.request('POST', '/api/v1/auth/refresh', { body: { refreshToken: laptop.body.refreshToken } })).status).toBe(401);
    expect((await ctx.request('POST', '/api/v1/auth/refresh', { body: { refreshToken: changed.body.refreshToken } })).status).toBe(200);
    expect((await login(user.email, TEST_PASSWORD)).status).toBe(401);
    expect((await login(user.email, 'a-new-password-1')).status).toBe(200);
    const kinds = await qIdentity(`SELECT JSON_VALUE(payload, '$.kind') kind FROM domain_events WHERE type = 'SecurityEvent' AND user_id = ? ORDER BY position`, [user.id]);
    expect(kinds.map((k) => k.kind)).toEqual(expect.arrayContaining(['PASSWORD_CHANGE_FAILED', 'PASSWORD_CHANGED']));
  });

  it("an admin sets a user's password: all their sessions end, the change is audited", async () => {
    const user = await ctx.createUser();
    const session = await login(user.email, TEST_PASSWORD);
    const reset = (userId: number, body: unknown, token = admin.token) => ctx.request('POST', `/api/v1/admin/users/${userId}/password`, { token, body });
    expect((await reset(user.id, { newPassword: 'short' })).status).toBe(400);
    expect((await reset(999_999_999, { newPassword: 'reset-password-1' })).status).toBe(404);
    expect((await reset(admin.id, { newPassword: 'reset-password-1' })).status).toBe(409);
    expect((await reset(user.id, { newPassword: 'reset-password-1' }, user.token)).status).toBe(403);
    expect((await ctx.request('GET', '/api/v1/me', { token: session.body.accessToken })).status).toBe(200);

    // With a key: applied once; the key's record holds neither the password nor a hash of it.
    const keyed = { 'idempotency-key': `reset-${ctx.id}` };
    const first = await ctx.request('POST', `/api/v1/admin/users/${user.id}/password`, { token: admin.token, body: { newPassword: 'reset-password-1' }, headers: keyed });
    const again = await ctx.request('POST', `/api/v1/admin/users/${user.id}/password`, { token: admin.token, body: { newPassword: 'reset-password-1' }, headers: keyed });
    expect([first.status, again.status, again.headers.get('idempotent-replayed')]).toEqual([204, 204, 'true']);
    const [record] = await q(`SELECT request_hash, response_body FROM idempotency_keys WHERE idem_key = ?`, [`reset-${ctx.id}`]);
    const { createHash } = await import('node:crypto');
    const bodyHash = createHash('sha256').update(`POST /api/v1/admin/users/${user.id}/password\n${JSON.stringify({ newPassword: 'reset-password-1' })}`).digest('hex');
    expect(record!.request_hash).not.toBe(bodyHash);
    expect(JSON.stringify(record!.response_body ?? null)).not.toContain('reset-password-1');
    const resets = await qIdentity(`SELECT COUNT(*) n FROM domain_events WHERE type = 'AdminAction' AND JSON_VALUE(payload, '$.action') = 'user.password-reset' AND JSON_VALUE(payload, '$.target') = ?`, [`user-${user.id}`]);
    expect(Number(resets[0]!.n)).toBe(1);
    expect((await ctx.request('GET', '/api/v1/me', { token: session.body.accessToken })).status).toBe(401);
    expect((await ctx.request('POST', '/api/v1/auth/refresh', { body: { refreshToken: session.body.refreshToken } })).status).toBe(401);
    expect((await login(user.email, 'reset-password-1')).status).toBe(200);
    const log = await get(`/admin/audit-log?kind=ADMIN&userId=${admin.id}`);
    expect(log.body.items[0].payload).toMatchObject({ action: 'user.password-reset', target: `user-${user.id}` });
  });

  it('an admin makes a user STAFF; the new role scans at the door, the old token does not', async () => {
    const user = await ctx.createUser();
    const promoted = await ctx.request('PATCH', `/api/v1/admin/users/${user.id}`, { token: admin.token, body: { role: 'STAFF' } });
    expect([promoted.status, promoted.body.role]).toEqual([200, 'STAFF']);
    const scanBody = { code: 'CT1.1.1.00000000000000000000000000000000.AAAAAAAAAAAAAAAAAAAAAA' };
    // The role change revoked the USER token; a fresh login carries STAFF and reaches the scanner.
    expect((await ctx.request('POST', '/api/v1/entry/scans', { token: user.token, body: scanBody })).status).toBe(401);
    const staff = await login(user.email, TEST_PASSWORD);
    expect((await ctx.request('GET', '/api/v1/me', { token: staff.body.accessToken })).body.role).toBe('STAFF');
    const scan = await ctx.request('POST', '/api/v1/entry/scans', { token: staff.body.accessToken, body: scanBody });
    expect([scan.status, scan.body.code]).toEqual([404, 'NOT_FOUND']);
    // STAFF is not ADMIN.
    expect((await get('/admin/reservations', staff.body.accessToken)).status).toBe(403);
    expect((await ctx.request('PATCH', `/api/v1/admin/users/${user.id}`, { token: admin.token, body: { role: 'ROOT' } })).status).toBe(400);
  });
});
