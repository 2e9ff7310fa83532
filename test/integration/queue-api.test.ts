import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, eventually, type TestContext } from '../support/harness.js';
import { checkInvariants } from '../support/invariants.js';
import { retrying } from '../support/client-retry.js';

/** The waiting room through the HTTP API: tokens, status, enforcement on booking, completion, admin, SSE. */
describe('waiting room API', () => {
  let ctx: TestContext;
  let admin: { id: number; token: string };

  let keySeq = 0;
  /**
   * The API as a client calls it: each request with its own Idempotency-Key (unless the test gives
   * one), retried with that key after a 503 at the 4 s request deadline on a busy machine; the retry
   * hears what the first attempt decided (a late answer is stored under its key).
   */
  const send = (method: string, path: string, init: { token?: string; body?: unknown; headers?: Record<string, string> } = {}) => {
    const headers = method === 'GET' ? init.headers : { 'idempotency-key': `k-${ctx.id}-${++keySeq}`, ...init.headers };
    return retrying(() => ctx.request(method, path, { ...init, headers })) as ReturnType<typeof ctx.request>;
  };
  beforeAll(async () => {
    // The 4 s request deadline stays on: a payment that goes through and then answers 503 at the
    // deadline on a busy machine is retried with its key (send), and the retry hears the 200.
    ctx = await createTestContext({ env: { QUEUE_ENFORCED: 'true', QUEUE_TICK_MS: '100', QUEUE_SSE_INTERVAL_MS: '100', QUEUE_SETTINGS_CACHE_MS: '0' } });
    admin = await ctx.createUser({ role: 'ADMIN' });
  });
  afterAll(async () => {
    await ctx?.services.queue.service.flush();
    await ctx?.close();
  });

  const join = (token: string, scheduleId: number) => send('POST', '/api/v1/queue/tokens', { token, body: { scheduleId } });
  const current = (token: string, queueToken?: string) => send('GET', '/api/v1/queue/tokens/current', { token, headers: queueToken ? { 'x-queue-token': queueToken } : {} });
  const setQueue = (scheduleId: number, body: unknown, token = admin.token) => send('PUT', `/api/v1/admin/schedules/${scheduleId}/queue`, { token, body });

  it('issues one token per user and schedule, with status, position and estimated wait', async () => {
    const { scheduleId } = await ctx.createSchedule();
    expect((await setQueue(scheduleId, { maxActive: 1, admitRatePerSec: null })).status).toBe(200);
    const [a, b, c] = [await ctx.createUser(), await ctx.createUser(), await ctx.createUser()];
    const ja = await join(a.token, scheduleId);
    expect(ja.status).toBe(200);
    expect(ja.body).toMatchObject({ scheduleId, status: 'ACTIVE', position: null, estimatedWaitSeconds: 0 });
    const jb = await join(b.token, scheduleId);
    const jc = await join(c.token, scheduleId);
    expect([jb.body.status, jb.body.position, jc.body.position]).toEqual(['WAITING', 1, 2]);
    expect(jc.body.estimatedWaitSeconds).toBeGreaterThan(0);
    // Asking again: same token, same place.
    const again = await join(c.token, scheduleId);
    expect(again.body.token).toBe(jc.body.token);
    expect(again.body.position).toBe(2);
    const polled = await current(b.token, jb.body.token);
    expect(polled.status).toBe(200);
    expect(polled.body).toMatchObject({ status: 'WAITING', position: 1 });
  });

  it('rejects missing, forged and foreign tokens with 403 problems (never 401: the login is fine)', async () => {
    const { scheduleId, seatIds } = await ctx.createSchedule();
    const other = await ctx.createSchedule();
    const [a, b] = [await ctx.createUser({ balance: 100_000 }), await ctx.createUser()];
    const ta = (await join(a.token, scheduleId)).body.token as string;
    const tOther = (await join(a.token, other.scheduleId)).body.token as string;

    const missing = await current(a.token);
    expect([missing.status, missing.body.code]).toEqual([403, 'QUEUE_TOKEN_REQUIRED']);
    const forged = await current(a.token, ta.slice(0, -2) + (ta.endsWith('AA') ? 'BB' : 'AA'));
    expect([forged.status, forged.body.code]).toEqual([403, 'QUEUE_TOKEN_INVALID']);
    expect(forged.headers.get('content-type')).toContain('application/problem+json');
    const rebound = await current(a.token, ta.replace(`q2.${scheduleId}.`, `q2.${other.scheduleId}.`));
    expect(rebound.status).toBe(403);
    const foreign = await current(b.token, ta);
    expect([foreign.status, foreign.body.code]).toEqual([403, 'QUEUE_TOKEN_INVALID']);
    const garbage = await current(a.token, 'not-a-token');
    expect(garbage.status).toBe(403);

    const hold = (headers: Record<string, string>) => send('POST', '/api/v1/reservations', { token: a.token, headers, body: { scheduleId, seatIds: [seatIds[0]] } });
    const noToken = await hold({});
    expect([noToken.status, noToken.body.code]).toEqual([403, 'QUEUE_TOKEN_REQUIRED']);
    expect((await hold({ 'x-queue-token': tOther })).body.code).toBe('QUEUE_TOKEN_INVALID');
    const byOther = await send('POST', '/api/v1/reservations', { token: b.token, headers: { 'x-queue-token': ta }, body: { scheduleId, seatIds: [seatIds[0]] } });
    expect(byOther.status).toBe(403);
    const rows = (await ctx.pool.query('SELECT COUNT(*) n FROM reservations'))[0] as Array<{ n: number }>;
    expect(Number(rows[0]!.n)).toBe(0); // refused requests changed nothing
  });

  it('requires an ACTIVE token to book; a confirmed booking frees the place for the next waiter', async () => {
    const { scheduleId, seatIds } = await ctx.createSchedule();
    await setQueue(scheduleId, { mode: 'manual', maxActive: 1, admitRatePerSec: 100 });
    const buyer = await ctx.createUser({ balance: 100_000 });
    const next = await ctx.createUser({ balance: 100_000 });
    const tb = (await join(buyer.token, scheduleId)).body.token as string;
    const jn = await join(next.token, scheduleId);
    expect(jn.body.status).toBe('WAITING');

    const nextHold = () => send('POST', '/api/v1/reservations', { token: next.token, headers: { 'x-queue-token': jn.body.token, 'idempotency-key': `next-hold-${ctx.id}` }, body: { scheduleId, seatIds: [seatIds[1]] } });
    const waitingHold = await nextHold();
    expect([waitingHold.status, waitingHold.body.code]).toEqual([403, 'QUEUE_NOT_ACTIVE']);

    const held = await send('POST', '/api/v1/reservations', { token: buyer.token, headers: { 'x-queue-token': tb }, body: { scheduleId, seatIds: [seatIds[0]] } });
    expect(held.status).toBe(201);
    const paid = await send('POST', `/api/v1/reservations/${held.body.id}/payment`, { token: buyer.token, headers: { 'x-queue-token': tb } });
    expect(paid.status).toBe(200);
    expect(paid.body.reservation.status).toBe('CONFIRMED');

    // The worker's settle hook ends the buyer's token (USED) and admits the next waiter at once.
    const done = await eventually(async () => {
      const r = await current(buyer.token, tb);
      return r.body.status === 'EXPIRED' ? r : undefined;
    });
    expect(done.body.reason).toBe('USED');
    const admitted = await eventually(async () => {
      const r = await current(next.token, jn.body.token);
      return r.body.status === 'ACTIVE' ? r : undefined;
    });
    expect(Date.parse(admitted.body.activeUntil)).toBeGreaterThan(Date.now());
    // The waiting-room refusal was not kept for the key: the same request succeeds once admitted.
    const admittedHold = await nextHold();
    expect([admittedHold.status, admittedHold.body.status]).toEqual([201, 'HELD']);
    const afterUse = await send('POST', '/api/v1/reservations', { token: buyer.token, headers: { 'x-queue-token': tb }, body: { scheduleId, seatIds: [seatIds[2]] } });
    expect(afterUse.body.code).toBe('QUEUE_NOT_ACTIVE');

    await ctx.services.queue.service.flush();
    const [events] = (await ctx.pool.query(`SELECT type, JSON_VALUE(payload, '$.reason') reason FROM domain_events WHERE aggregate_type = 'queue' AND user_id = ?`, [buyer.id])) as [Array<{ type: string; reason: string | null }>, unknown];
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['QueueTokenAdmitted', 'QueueTokenExpired']));
    expect(events.find((e) => e.type === 'QueueTokenExpired')?.reason).toBe('USED');
    const metrics = await send('GET', '/metrics', { token: ctx.config.METRICS_TOKEN });
    expect(metrics.body).toMatch(new RegExp(`queue_admissions_total\\{[^}]*schedule="${scheduleId}"[^}]*\\} [1-9]`));
    expect(metrics.body).toContain('queue_wait_seconds_bucket');
    expect(await checkInvariants(ctx.pool)).toEqual([]);
  });

  it('a paid reservation answers 200 (same key) or 409 ALREADY_PAID whatever the token state, never 403', async () => {
    const { scheduleId, seatIds } = await ctx.createSchedule({ price: 10_000 });
    await setQueue(scheduleId, { mode: 'manual', maxActive: 10, admitRatePerSec: 100 });
    const buyer = await ctx.createUser({ balance: 100_000 });
    const qt = (await join(buyer.token, scheduleId)).body.token as string;
    const held = await send('POST', '/api/v1/reservations', { token: buyer.token, headers: { 'x-queue-token': qt }, body: { scheduleId, seatIds: [seatIds[0]] } });
    expect(held.status).toBe(201);
    const pay = (key: string) => send('POST', `/api/v1/reservations/${held.body.id}/payment`, { token: buyer.token, headers: { 'x-queue-token': qt, 'idempotency-key': `${key}-${ctx.id}` } });

    // 20 parallel payments with distinct keys: each one is a success or "already paid", and one charge.
    const burst = await Promise.all(Array.from({ length: 20 }, (_, i) => pay(`par-${i}`)));
    const outcomes = burst.map((r) => `${r.status} ${r.body.code ?? r.body.reservation?.status}`);
    expect(outcomes.filter((o) => o !== '200 CONFIRMED' && o !== '409 ALREADY_PAID')).toEqual([]);
    const first = burst.findIndex((r) => r.status === 200);
    expect(first).toBeGreaterThanOrEqual(0);
    expect((await send('GET', '/api/v1/wallet', { token: buyer.token })).body.balance).toBe(90_000);

    // Confirming used the token up; retries still get the reservation's answer, not QUEUE_NOT_ACTIVE.
    await eventually(async () => (await current(buyer.token, qt)).body.status === 'EXPIRED');
    const replay = await pay(`par-${first}`);
    expect([replay.status, replay.body]).toEqual([200, burst[first]!.body]);
    const fresh = await pay('after-success');
    expect([fresh.status, fresh.body.code]).toEqual([409, 'ALREADY_PAID']);
    const noToken = await send('POST', `/api/v1/reservations/${held.body.id}/payment`, { token: buyer.token });
    expect([noToken.status, noToken.body.code]).toEqual([409, 'ALREADY_PAID']);
    expect(await checkInvariants(ctx.pool)).toEqual([]);
  });

  it('cancelling one hold keeps the token while the buyer holds other seats of the schedule', async () => {
    const { scheduleId, seatIds } = await ctx.createSchedule({ price: 10_000 });
    await setQueue(scheduleId, { mode: 'manual', maxActive: 10, admitRatePerSec: 100 });
    const buyer = await ctx.createUser({ balance: 100_000 });
    const qt = (await join(buyer.token, scheduleId)).body.token as string;
    const hold = (seatId: number) => send('POST', '/api/v1/reservations', { token: buyer.token, headers: { 'x-queue-token': qt }, body: { scheduleId, seatIds: [seatId] } });
    const [a, b] = [await hold(seatIds[0]!), await hold(seatIds[1]!)];
    expect([a.status, b.status]).toEqual([201, 201]);

    // The cancel answers after the release activity, settle hook included: the token's fate is decided.
    expect((await send('DELETE', `/api/v1/reservations/${a.body.id}`, { token: buyer.token })).body.status).toBe('CANCELLED');
    expect((await current(buyer.token, qt)).body.status).toBe('ACTIVE');
    const paid = await send('POST', `/api/v1/reservations/${b.body.id}/payment`, { token: buyer.token, headers: { 'x-queue-token': qt } });
    expect([paid.status, paid.body.reservation?.status]).toEqual([200, 'CONFIRMED']);
    // The last live hold settled: now the token ends (USED) and frees the place.
    const done = await eventually(async () => {
      const r = await current(buyer.token, qt);
      return r.body.status === 'EXPIRED' ? r : undefined;
    });
    expect(done.body.reason).toBe('USED');
  });

  it('admin settings: validated, role-checked, 404 for unknown schedules', async () => {
    const { scheduleId } = await ctx.createSchedule();
    const user = await ctx.createUser();
    expect((await setQueue(scheduleId, { maxActive: 5, admitRatePerSec: 2 }, user.token)).status).toBe(403);
    const bad = await setQueue(scheduleId, { maxActive: 0, admitRatePerSec: 2 });
    expect([bad.status, bad.body.code]).toEqual([400, 'VALIDATION_FAILED']);
    expect((await setQueue(scheduleId, { maxActive: 5, admitRatePerSec: 2, extra: 1 })).status).toBe(400);
    expect((await setQueue(999_999, { maxActive: 5, admitRatePerSec: 2 })).status).toBe(404);
    const ok = await setQueue(scheduleId, { mode: 'manual', maxActive: 5, admitRatePerSec: null });
    expect(ok.body).toMatchObject({ mode: 'manual', maxActive: 5, admitRatePerSec: ctx.config.QUEUE_ADMIT_RATE_PER_SEC, overrides: { mode: 'manual', maxActive: 5, admitRatePerSec: null } });
    const got = await send('GET', `/api/v1/admin/schedules/${scheduleId}/queue`, { token: admin.token });
    expect(got.body.maxActive).toBe(5);
    // The change is an AdminAction event (one: the refused attempts recorded nothing).
    const [actions] = await ctx.pool.query(`SELECT payload FROM domain_events WHERE type = 'AdminAction' AND payload LIKE ?`, [`%schedule-${scheduleId}"%`]);
    expect((actions as Array<{ payload: string }>).map((a) => JSON.parse(a.payload))).toEqual([
      { adminId: admin.id, action: 'queue.settings', target: `schedule-${scheduleId}`, detail: JSON.stringify({ mode: 'manual', maxActive: 5, admitRatePerSec: null }) },
    ]);
    expect((await join(user.token, 999_999)).status).toBe(404);
    expect((await send('POST', '/api/v1/queue/tokens', { token: user.token, body: { scheduleId: 'x' } })).status).toBe(400);
  });

  it('pushes position updates over SSE until admitted', async () => {
    const { scheduleId } = await ctx.createSchedule();
    await setQueue(scheduleId, { mode: 'manual', maxActive: 1, admitRatePerSec: 100 });
    const [a, b] = [await ctx.createUser(), await ctx.createUser()];
    await join(a.token, scheduleId);
    const tb = (await join(b.token, scheduleId)).body.token as string;
    const abort = new AbortController();
    const res = await ctx.app.request(`/api/v1/queue/tokens/current/stream?token=${encodeURIComponent(tb)}`, { headers: { authorization: `Bearer ${b.token}` }, signal: abort.signal });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    const statuses = async () => [...text.matchAll(/event: status\ndata: (.*)\n/g)].map((m) => JSON.parse(m[1]!));
    const readUntil = async (pred: () => Promise<boolean>) => {
      while (!(await pred())) {
        const { value, done } = await reader.read();
        if (done) break;
        text += decoder.decode(value);
      }
    };
    await readUntil(async () => (await statuses()).length >= 1);
    expect((await statuses())[0]).toMatchObject({ status: 'WAITING', position: 1 });
    // Free a's place: b's stream reports ACTIVE without b polling.
    await ctx.services.queue.service.complete(a.id, scheduleId);
    await readUntil(async () => (await statuses()).some((s) => s.status === 'ACTIVE'));
    expect((await statuses()).at(-1)).toMatchObject({ status: 'ACTIVE' });
    abort.abort();
    await reader.cancel().catch(() => {});
    const bad = await send('GET', '/api/v1/queue/tokens/current/stream?token=forged', { token: b.token });
    expect(bad.status).toBe(403);
  });
});
