import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webhookDeliveries } from '../../src/webhooks/schema.js';
import { webhookDeliveryWorkflowId } from '../../workflows/webhooks/delivery-contract.js';
import { createTestContext, TEST_PASSWORD, type TestContext } from '../support/harness.js';
import { checkInvariants } from '../support/invariants.js';

/**
 * Issue 25, defect 2: the longest Idempotency-Key the schema allows (100 characters) on every route
 * that takes one. Each route is called for real (a request that succeeds, so every column derived
 * from the key is written) and then replayed with the same key: neither may be a 500 (`charge:` +
 * key overflowed the ledger's reference column, and the retry failed forever).
 */
const MAX_KEY = 100;

/** Every route that takes an Idempotency-Key; the first test fails when a new one is not listed here. */
const KEYED_ROUTES = [
  'POST /admin/concerts',
  'POST /admin/concerts/{concertId}/schedules',
  'PATCH /admin/concerts/{concertId}',
  'PATCH /admin/schedules/{scheduleId}',
  'POST /admin/schedules/{scheduleId}/pause',
  'POST /admin/schedules/{scheduleId}/resume',
  'POST /admin/schedules/{scheduleId}/cancellation',
  'PUT /admin/schedules/{scheduleId}/queue',
  'PATCH /admin/users/{userId}',
  'POST /admin/users/{userId}/wallet-adjustments',
  'POST /admin/users/{userId}/password',
  'POST /admin/reservations/{reservationId}/cancel',
  'POST /auth/logout-all',
  'POST /auth/password',
  'POST /reservations',
  'POST /reservations/{reservationId}/decline',
  'POST /reservations/{reservationId}/payment',
  'DELETE /reservations/{reservationId}',
  'POST /queue/tokens',
  'POST /waitlist',
  'DELETE /waitlist/{entryId}',
  'POST /wallet/charges',
  'POST /entry/scans',
  'POST /admin/webhooks/concerts/{concertId}/endpoints',
  'PATCH /admin/webhooks/endpoints/{endpointId}',
  'POST /admin/webhooks/endpoints/{endpointId}/secret-rotation',
  'DELETE /admin/webhooks/endpoints/{endpointId}',
  'POST /admin/webhooks/deliveries/{deliveryId}/replay',
  'POST /entry/schedules/{scheduleId}/scans/sync',
  'POST /tickets/{ticketId}/transfers',
  'POST /ticket-transfers/{transferId}/accept',
  'POST /ticket-transfers/{transferId}/decline',
  'POST /ticket-transfers/{transferId}/withdraw',
].sort();

describe('Idempotency-Key at its maximum length (100) on every keyed route', () => {
  let ctx: TestContext;
  let admin: { id: number; token: string };
  const covered = new Set<string>();
  // Unique per route and per file (a kept stack keeps Temporal ids between runs), padded to 100.
  const longKey = (route: string) => `${route.replace(/[^A-Za-z0-9]+/g, '-')}-${ctx.id}-`.padEnd(MAX_KEY, 'k').slice(0, MAX_KEY);

  /** Sends the request twice with one 100-character key: the expected status both times, the second a replay. */
  const twice = async (route: string, path: string, init: { token: string; body?: unknown }, expected: number) => {
    covered.add(route);
    const [method] = route.split(' ');
    const key = longKey(route);
    expect(key).toHaveLength(MAX_KEY);
    const send = () => ctx.request(method!, `/api/v1${path}`, { ...init, headers: { 'idempotency-key': key } });
    const first = await send();
    expect([route, first.status, first.body?.code]).toEqual([route, expected, undefined]);
    const again = await send();
    expect([route, again.status]).toEqual([route, expected]);
    if (again.status !== 204) expect(again.headers.get('idempotent-replayed')).toBe('true');
    return first;
  };
  const futureSchedule = () => {
    const day = 86_400_000;
    return { startsAt: new Date(Date.now() + 30 * day).toISOString(), saleOpensAt: new Date(Date.now() - day).toISOString(), saleClosesAt: new Date(Date.now() + 29 * day).toISOString() };
  };
  const held = async (token: string, seatIds: number[], scheduleId: number) => {
    const res = await ctx.request('POST', '/api/v1/reservations', { token, body: { scheduleId, seatIds } });
    expect(res.status).toBe(201);
    return res.body.id as string;
  };
  const paid = async (token: string, reservationId: string) => expect((await ctx.request('POST', `/api/v1/reservations/${reservationId}/payment`, { token })).status).toBe(200);

  beforeAll(async () => {
    ctx = await createTestContext();
    admin = await ctx.createUser({ role: 'ADMIN' });
  });
  afterAll(async () => {
    if (ctx) expect(await checkInvariants(ctx.pool)).toEqual([]);
    await ctx?.close();
  });

  it('the list above is every route whose document takes an Idempotency-Key', async () => {
    const doc = (await ctx.request('GET', '/openapi.json')).body;
    const keyed: string[] = [];
    for (const [path, ops] of Object.entries<Record<string, any>>(doc.paths)) {
      for (const [method, op] of Object.entries<any>(ops)) {
        if ((op.parameters ?? []).some((p: any) => p.in === 'header' && p.name.toLowerCase() === 'idempotency-key')) keyed.push(`${method.toUpperCase()} ${path.replace(/^\/api\/v1/, '')}`);
      }
    }
    expect(keyed.sort()).toEqual(KEYED_ROUTES);
  });

  it('wallet and back office: charge, adjustment, password reset, user change', async () => {
    const user = await ctx.createUser();
    const charge = await twice('POST /wallet/charges', '/wallet/charges', { token: user.token, body: { amount: 5_000 } }, 201);
    expect(charge.body.balance).toBe(5_000);
    await twice('POST /admin/users/{userId}/wallet-adjustments', `/admin/users/${user.id}/wallet-adjustments`, { token: admin.token, body: { amount: 700, reason: 'goodwill' } }, 201);
    const [ledger] = (await ctx.paymentPool.query('SELECT kind, reference FROM wallet_ledger WHERE user_id = ? ORDER BY id', [user.id])) as unknown as [Array<{ kind: string; reference: string }>];
    // One movement each, whatever the replays; the long keys' references are their hashed form.
    expect(ledger.map((r) => r.kind)).toEqual(['CHARGE', 'ADJUSTMENT']);
    expect(ledger[0]!.reference).toMatch(/^charge:sha256:[0-9a-f]{64}$/);
    expect(ledger[1]!.reference).toMatch(new RegExp(`^adjust:${admin.id}:sha256:[0-9a-f]{64}$`));
    expect((await ctx.request('GET', '/api/v1/wallet', { token: user.token })).body.balance).toBe(5_700);

    await twice('PATCH /admin/users/{userId}', `/admin/users/${user.id}`, { token: admin.token, body: { role: 'STAFF' } }, 200);
    await twice('POST /admin/users/{userId}/password', `/admin/users/${user.id}/password`, { token: admin.token, body: { newPassword: 'a-new-password-1' } }, 204);
  });

  it('own account: password change, then logout everywhere', async () => {
    const user = await ctx.createUser();
    const changed = await ctx.request('POST', '/api/v1/auth/password', { token: user.token, body: { currentPassword: TEST_PASSWORD, newPassword: 'another-password-2' }, headers: { 'idempotency-key': longKey('POST /auth/password') } });
    covered.add('POST /auth/password');
    expect(changed.status).toBe(200);
    // The replay must carry a live token (the change revoked the old one): it is answered, not a 500.
    const replay = await ctx.request('POST', '/api/v1/auth/password', { token: changed.body.accessToken, body: { currentPassword: TEST_PASSWORD, newPassword: 'another-password-2' }, headers: { 'idempotency-key': longKey('POST /auth/password') } });
    expect(replay.status).toBeLessThan(500);
    covered.add('POST /auth/logout-all');
    const logout = () => ctx.request('POST', '/api/v1/auth/logout-all', { token: changed.body.accessToken, headers: { 'idempotency-key': longKey('POST /auth/logout-all') } });
    expect((await logout()).status).toBe(204);
    // The logout revoked the very token it was sent with: a retry is 401 (documented), not a 500.
    expect((await logout()).status).toBe(401);
  });

  it('catalog administration: concert, schedule, edits, pause, resume, queue settings, cancellation', async () => {
    const concert = await twice(
      'POST /admin/concerts',
      '/admin/concerts',
      { token: admin.token, body: { title: `Long key ${ctx.id}`, artist: 'A', venue: 'V', schedules: [futureSchedule()], sections: [{ name: 'A', tier: 'R', price: 1000, rows: 1, seatsPerRow: 2 }] } },
      201,
    );
    const concertId = concert.body.concertId ?? concert.body.id;
    await twice('POST /admin/concerts/{concertId}/schedules', `/admin/concerts/${concertId}/schedules`, { token: admin.token, body: { ...futureSchedule(), sections: [{ name: 'A', tier: 'R', price: 1000, rows: 1, seatsPerRow: 2 }] } }, 201);
    await twice('PATCH /admin/concerts/{concertId}', `/admin/concerts/${concertId}`, { token: admin.token, body: { artist: 'B' } }, 200);
    const { scheduleId } = await ctx.createSchedule();
    await twice('PATCH /admin/schedules/{scheduleId}', `/admin/schedules/${scheduleId}`, { token: admin.token, body: { maxTicketsPerUser: 6 } }, 200);
    await twice('POST /admin/schedules/{scheduleId}/pause', `/admin/schedules/${scheduleId}/pause`, { token: admin.token }, 200);
    await twice('POST /admin/schedules/{scheduleId}/resume', `/admin/schedules/${scheduleId}/resume`, { token: admin.token }, 200);
    await twice('PUT /admin/schedules/{scheduleId}/queue', `/admin/schedules/${scheduleId}/queue`, { token: admin.token, body: { maxActive: 500 } }, 200);
    await twice('POST /admin/schedules/{scheduleId}/cancellation', `/admin/schedules/${scheduleId}/cancellation`, { token: admin.token, body: { reason: 'long key test' } }, 202);
  });

  it('buying: queue, hold, decline, payment, cancel, admin cancel, scan', async () => {
    const user = await ctx.createUser({ balance: 100_000 });
    const { scheduleId, seatIds } = await ctx.createSchedule({ rows: 2, seatsPerRow: 5 });
    await twice('POST /queue/tokens', '/queue/tokens', { token: user.token, body: { scheduleId } }, 200);
    const best = await twice('POST /reservations', '/reservations', { token: user.token, body: { scheduleId, quantity: 2 } }, 201);
    const next = await twice('POST /reservations/{reservationId}/decline', `/reservations/${best.body.id}/decline`, { token: user.token }, 201);
    await twice('POST /reservations/{reservationId}/payment', `/reservations/${next.body.id}/payment`, { token: user.token }, 200);
    await twice('DELETE /reservations/{reservationId}', `/reservations/${next.body.id}`, { token: user.token }, 200);

    const other = await held(user.token, [seatIds[9]!], scheduleId);
    await paid(user.token, other);
    await twice('POST /admin/reservations/{reservationId}/cancel', `/admin/reservations/${other}/cancel`, { token: admin.token }, 200);

    const third = await held(user.token, [seatIds[8]!], scheduleId);
    await paid(user.token, third);
    const tickets = await ctx.request('GET', `/api/v1/reservations/${third}/tickets`, { token: user.token });
    await twice('POST /entry/scans', '/entry/scans', { token: admin.token, body: { code: tickets.body.items[0].code } }, 200);
    const queued = { deviceId: 'gate-key-length', scans: [{ scanId: `scan-${ctx.id}-key`, code: tickets.body.items[0].code, scannedAt: new Date().toISOString() }] };
    await twice('POST /entry/schedules/{scheduleId}/scans/sync', `/entry/schedules/${scheduleId}/scans/sync`, { token: admin.token, body: queued }, 200);
  });

  it('ticket transfers: offer, then accept, decline and withdraw', async () => {
    const holder = await ctx.createUser({ balance: 100_000 });
    const friend = await ctx.createUser();
    const { scheduleId, seatIds } = await ctx.createSchedule({ rows: 1, seatsPerRow: 3 });
    const bought = await held(holder.token, seatIds.slice(0, 3), scheduleId);
    await paid(holder.token, bought);
    const [a, b, c] = (await ctx.request('GET', `/api/v1/reservations/${bought}/tickets`, { token: holder.token })).body.items as Array<{ id: number }>;
    const offered = await twice('POST /tickets/{ticketId}/transfers', `/tickets/${a!.id}/transfers`, { token: holder.token, body: { email: friend.email } }, 201);
    await twice('POST /ticket-transfers/{transferId}/accept', `/ticket-transfers/${offered.body.id}/accept`, { token: friend.token }, 200);
    // The other two offers without a key (the route under test is the decision).
    const offer = async (ticketId: number) => (await ctx.request('POST', `/api/v1/tickets/${ticketId}/transfers`, { token: holder.token, body: { email: friend.email } })).body.id as string;
    await twice('POST /ticket-transfers/{transferId}/decline', `/ticket-transfers/${await offer(b!.id)}/decline`, { token: friend.token }, 200);
    await twice('POST /ticket-transfers/{transferId}/withdraw', `/ticket-transfers/${await offer(c!.id)}/withdraw`, { token: holder.token }, 200);
  });

  it('waiting list: join a sold-out performance, then leave', async () => {
    const [buyer, waiter] = [await ctx.createUser({ balance: 100_000 }), await ctx.createUser()];
    const { scheduleId, seatIds } = await ctx.createSchedule({ rows: 1, seatsPerRow: 1 });
    await paid(buyer.token, await held(buyer.token, [seatIds[0]!], scheduleId));
    const joined = await twice('POST /waitlist', '/waitlist', { token: waiter.token, body: { scheduleId, quantity: 1 } }, 201);
    await twice('DELETE /waitlist/{entryId}', `/waitlist/${joined.body.id}`, { token: waiter.token }, 200);
  });

  it("organisers' webhooks: register, change, rotate the secret, replay a delivery, delete", async () => {
    const { concertId } = await ctx.createSchedule();
    const created = await twice('POST /admin/webhooks/concerts/{concertId}/endpoints', `/admin/webhooks/concerts/${concertId}/endpoints`, { token: admin.token, body: { url: 'https://organiser.example/hook', eventTypes: ['ScheduleChanged'] } }, 201);
    const endpointId = created.body.id as number;
    await twice('PATCH /admin/webhooks/endpoints/{endpointId}', `/admin/webhooks/endpoints/${endpointId}`, { token: admin.token, body: { description: 'long key' } }, 200);
    await twice('POST /admin/webhooks/endpoints/{endpointId}/secret-rotation', `/admin/webhooks/endpoints/${endpointId}/secret-rotation`, { token: admin.token }, 200);
    // A finished delivery to replay (no webhooks worker here: the replay's run just waits on its queue).
    const eventId = randomUUID();
    const [delivery] = await ctx.webhooksDb.insert(webhookDeliveries).values({ endpointId, eventId, eventType: 'ScheduleChanged', messageId: 'msg_long_key', body: {}, workflowId: `long-key-${ctx.id}`, status: 'DELIVERED' });
    await twice('POST /admin/webhooks/deliveries/{deliveryId}/replay', `/admin/webhooks/deliveries/${delivery.insertId}/replay`, { token: admin.token }, 202);
    await twice('DELETE /admin/webhooks/endpoints/{endpointId}', `/admin/webhooks/endpoints/${endpointId}`, { token: admin.token }, 204);
    // The replay's run was told to stop; no worker serves this file's webhooks queue, so end it here.
    await ctx.temporal.workflow.getHandle(webhookDeliveryWorkflowId(endpointId, eventId, 1)).terminate('test over');
  });

  it('covered every keyed route', async () => {
    expect([...covered].sort()).toEqual(KEYED_ROUTES);
  });
});
