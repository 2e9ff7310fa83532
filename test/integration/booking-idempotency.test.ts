import { WorkflowNotFoundError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reservationIdFor } from '../../src/booking/ids.js';
import { reservationWorkflowId } from '../../workflows/booking/reservation-contract.js';
import { createTestContext, type TestContext } from '../support/harness.js';
import { checkInvariants } from '../support/invariants.js';
import { seatClaims } from '../support/seat-inventory.js';

/** Idempotency-Key on every mutating route, and hold requests refused before any lock or workflow. */
describe('idempotency and early refusals', () => {
  let ctx: TestContext;
  let admin: { id: number; token: string };
  // Keys carry the file's id: a kept stack keeps Temporal's workflow ids between runs.
  const key = (name: string) => `${name}-${ctx.id}`;
  const hold = (token: string, scheduleId: number, seatIds: number[], idem?: string) =>
    ctx.request('POST', '/api/v1/reservations', { token, body: { scheduleId, seatIds }, headers: idem ? { 'idempotency-key': idem } : {} });

  beforeAll(async () => {
    ctx = await createTestContext();
    admin = await ctx.createUser({ role: 'ADMIN' });
  });
  afterAll(async () => {
    if (ctx) expect(await checkInvariants(ctx.pool)).toEqual([]);
    await ctx?.close();
  });

  it('DELETE /reservations/{id}: a retry with the same key replays the first answer, with its own request id', async () => {
    const user = await ctx.createUser();
    const { scheduleId, seatIds } = await ctx.createSchedule();
    const held = await hold(user.token, scheduleId, [seatIds[0]!]);
    expect(held.status).toBe(201);
    const cancel = (id: string, idem: string) => ctx.request('DELETE', `/api/v1/reservations/${id}`, { token: user.token, headers: { 'idempotency-key': idem } });

    const first = await cancel(held.body.id, key('cancel-1'));
    const retry = await cancel(held.body.id, key('cancel-1'));
    expect([first.status, first.body.status]).toEqual([200, 'CANCELLED']);
    expect([retry.status, retry.body]).toEqual([200, first.body]);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.headers.get('x-request-id')).toBeTruthy();
    expect(retry.headers.get('x-request-id')).not.toBe(first.headers.get('x-request-id'));

    // Without a key the second cancel is a new request: the reservation is no longer cancellable.
    expect((await ctx.request('DELETE', `/api/v1/reservations/${held.body.id}`, { token: user.token })).body.code).toBe('NOT_CANCELLABLE');
    // The same key for another reservation is another request.
    const other = await hold(user.token, scheduleId, [seatIds[1]!]);
    const reused = await cancel(other.body.id, key('cancel-1'));
    expect([reused.status, reused.body.code]).toEqual([422, 'IDEMPOTENCY_KEY_REUSED']);
    expect((await ctx.request('GET', `/api/v1/reservations/${other.body.id}`, { token: user.token })).body.status).toBe('HELD');
  });

  it('a replayed problem keeps its original body (instance, requestId) and gets its own X-Request-Id', async () => {
    const user = await ctx.createUser({ balance: 0 });
    const { scheduleId, seatIds } = await ctx.createSchedule({ price: 10_000 });
    const held = await hold(user.token, scheduleId, [seatIds[0]!]);
    const pay = () => ctx.request('POST', `/api/v1/reservations/${held.body.id}/payment`, { token: user.token, headers: { 'idempotency-key': key('broke-pay') } });
    const first = await pay();
    const replay = await pay();
    expect([first.status, first.body.code]).toEqual([402, 'INSUFFICIENT_BALANCE']);
    expect(first.body.instance).toBe(`/api/v1/reservations/${held.body.id}/payment`);
    expect(first.body.requestId).toBe(first.headers.get('x-request-id'));
    expect([replay.status, replay.body]).toEqual([402, first.body]);
    expect(replay.headers.get('content-type')).toContain('application/problem+json');
    expect(replay.headers.get('x-request-id')).not.toBe(first.body.requestId);
  });

  it('POST /admin/concerts: the same key creates one concert; another body with it is 422', async () => {
    const body = {
      title: `Idempotent concert ${ctx.id}`,
      artist: 'A',
      venue: 'V',
      schedules: [{ startsAt: '2031-01-01T19:00:00Z', saleOpensAt: '2030-12-01T00:00:00Z', saleClosesAt: '2031-01-01T18:00:00Z' }],
      sections: [{ name: 'A', tier: 'R', price: 1000, rows: 1, seatsPerRow: 2 }],
    };
    const create = (b: unknown) => ctx.request('POST', '/api/v1/admin/concerts', { token: admin.token, body: b, headers: { 'idempotency-key': key('concert') } });
    const [first, again] = [await create(body), await create(body)];
    expect(first.status).toBe(201);
    expect([again.status, again.body]).toEqual([201, first.body]);
    const [rows] = (await ctx.pool.query('SELECT COUNT(*) n FROM concerts WHERE title = ?', [body.title])) as [Array<{ n: number }>, unknown];
    expect(Number(rows[0]!.n)).toBe(1);
    const changed = await create({ ...body, artist: 'B' });
    expect([changed.status, changed.body.code]).toEqual([422, 'IDEMPOTENCY_KEY_REUSED']);
  });

  it('admin force-cancel, user changes and queue settings replay with the same key', async () => {
    const user = await ctx.createUser();
    const { scheduleId, seatIds } = await ctx.createSchedule();
    const held = await hold(user.token, scheduleId, [seatIds[0]!]);
    const forceCancel = () => ctx.request('POST', `/api/v1/admin/reservations/${held.body.id}/cancel`, { token: admin.token, headers: { 'idempotency-key': key('force') } });
    const [f1, f2] = [await forceCancel(), await forceCancel()];
    expect([f1.status, f1.body.status]).toEqual([200, 'CANCELLED']);
    expect([f2.status, f2.body]).toEqual([200, f1.body]);
    const [audits] = (await ctx.identityPool.query(`SELECT COUNT(*) n FROM domain_events WHERE type = 'AdminAction' AND JSON_VALUE(payload, '$.target') = ?`, [`reservation-${held.body.id}`])) as [Array<{ n: number }>, unknown];
    expect(Number(audits[0]!.n)).toBe(1);

    const disable = (status: string) => ctx.request('PATCH', `/api/v1/admin/users/${user.id}`, { token: admin.token, body: { status }, headers: { 'idempotency-key': key('user') } });
    const [d1, d2, d3] = [await disable('DISABLED'), await disable('DISABLED'), await disable('ACTIVE')];
    expect([d1.status, d2.status, d3.status]).toEqual([200, 200, 422]);
    expect(d2.body).toEqual(d1.body);

    const queue = (maxActive: number) => ctx.request('PUT', `/api/v1/admin/schedules/${scheduleId}/queue`, { token: admin.token, body: { maxActive }, headers: { 'idempotency-key': key('queue') } });
    const [q1, q2, q3] = [await queue(7), await queue(7), await queue(8)];
    expect([q1.status, q2.status, q3.status]).toEqual([200, 200, 422]);
  });

  it('every authenticated mutating route in the OpenAPI document accepts Idempotency-Key', async () => {
    const doc = (await ctx.request('GET', '/openapi.json')).body as { paths: Record<string, Record<string, { security?: unknown[]; parameters?: Array<{ name: string; in: string }> }>> };
    const mutating = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops)
        .filter(([method, op]) => ['post', 'put', 'patch', 'delete'].includes(method) && path.startsWith('/api/') && op.security?.length)
        .map(([method, op]) => ({ route: `${method.toUpperCase()} ${path}`, keyed: !!op.parameters?.some((p) => p.in === 'header' && p.name.toLowerCase() === 'idempotency-key') })),
    );
    expect(mutating.length).toBeGreaterThanOrEqual(10);
    expect(mutating.filter((m) => !m.keyed).map((m) => m.route)).toEqual([]);
  });

  it('a seat of another schedule is 400 before any seat lock or workflow', async () => {
    const user = await ctx.createUser();
    const a = await ctx.createSchedule();
    const b = await ctx.createSchedule();
    const idem = key('foreign-seat');
    const res = await hold(user.token, a.scheduleId, [a.seatIds[0]!, b.seatIds[0]!], idem);
    expect([res.status, res.body.code]).toEqual([400, 'VALIDATION_FAILED']);
    expect(res.body.foreignSeatIds).toEqual([b.seatIds[0]]);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    // No workflow was started under the id this request would have used, and no seat was locked.
    const workflow = ctx.temporal.workflow.getHandle(reservationWorkflowId(reservationIdFor(user.id, idem)));
    await expect(workflow.describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
    expect(await seatClaims(ctx.redis, a.scheduleId)).toEqual({});
    const [rows] = (await ctx.pool.query('SELECT COUNT(*) n FROM reservations WHERE user_id = ?', [user.id])) as [Array<{ n: number }>, unknown];
    expect(Number(rows[0]!.n)).toBe(0);
    // An id that is no seat at all is refused the same way.
    const unknown = await hold(user.token, a.scheduleId, [9_999_999]);
    expect([unknown.status, unknown.body.foreignSeatIds]).toEqual([400, [9_999_999]]);
  });
});
