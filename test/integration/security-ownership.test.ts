import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../support/harness.js';
import { checkInvariants } from '../support/invariants.js';
import { reservationWorkflowId } from '../../workflows/booking/reservation-contract.js';

/** IDOR: a user can read and act only on their own reservations, payments, wallet and queue tokens. */
describe('security: ownership (IDOR)', () => {
  let ctx: TestContext;
  let owner: Awaited<ReturnType<TestContext['createUser']>>;
  let intruder: Awaited<ReturnType<TestContext['createUser']>>;
  let reservationId: string;
  let scheduleId: number;

  beforeAll(async () => {
    ctx = await createTestContext();
    owner = await ctx.createUser({ balance: 100_000 });
    intruder = await ctx.createUser({ balance: 100_000 });
    const schedule = await ctx.createSchedule();
    scheduleId = schedule.scheduleId;
    const res = await ctx.request('POST', '/api/v1/reservations', { token: owner.token, body: { scheduleId, seatIds: schedule.seatIds.slice(0, 2) } });
    expect(res.status).toBe(201);
    reservationId = res.body.id;
  });
  afterAll(async () => {
    await ctx?.close();
  });

  it("answers 404 for another user's reservation, exactly as for a missing one", async () => {
    const other = await ctx.request('GET', `/api/v1/reservations/${reservationId}`, { token: intruder.token });
    const missing = await ctx.request('GET', `/api/v1/reservations/${'0'.repeat(24)}`, { token: intruder.token });
    expect(other.status).toBe(404);
    expect(missing.status).toBe(404);
    expect(other.body.code).toBe(missing.body.code);
    // Nothing in the answer tells "exists but not yours" from "does not exist".
    expect({ ...other.body, instance: 0, requestId: 0 }).toEqual({ ...missing.body, instance: 0, requestId: 0 });
  });

  it("cannot pay for another user's reservation (no debit, no confirmation)", async () => {
    const res = await ctx.request('POST', `/api/v1/reservations/${reservationId}/payment`, { token: intruder.token, headers: { 'idempotency-key': 'idor-pay-0001' } });
    expect(res.status).toBe(404);
    const wallet = await ctx.request('GET', '/api/v1/wallet', { token: intruder.token });
    expect(wallet.body.balance).toBe(100_000);
    const mine = await ctx.request('GET', `/api/v1/reservations/${reservationId}`, { token: owner.token });
    expect(mine.body.status).toBe('HELD');
  });

  it("cannot cancel another user's reservation", async () => {
    const res = await ctx.request('DELETE', `/api/v1/reservations/${reservationId}`, { token: intruder.token });
    expect(res.status).toBe(404);
    const mine = await ctx.request('GET', `/api/v1/reservations/${reservationId}`, { token: owner.token });
    expect(mine.body.status).toBe('HELD');
  });

  it("does not list another user's reservations", async () => {
    const theirs = await ctx.request('GET', '/api/v1/reservations', { token: intruder.token });
    expect(theirs.status).toBe(200);
    expect(theirs.body.items.map((r: { id: string }) => r.id)).not.toContain(reservationId);
    const mine = await ctx.request('GET', '/api/v1/reservations', { token: owner.token });
    expect(mine.body.items.map((r: { id: string }) => r.id)).toContain(reservationId);
  });

  it('wallet is per token: no way to name another user', async () => {
    await ctx.services.wallets.charge(owner.id, 12_345, 'charge:idor-distinct');
    const mine = await ctx.request('GET', '/api/v1/wallet', { token: intruder.token });
    expect(mine.body.balance).toBe(100_000);
    // A user id smuggled through the query is refused (the query schema, limit and cursor, is strict)
    // and shows nothing of anyone's wallet; one smuggled through the body is refused too.
    const viaQuery = await ctx.request('GET', `/api/v1/wallet?userId=${owner.id}`, { token: intruder.token });
    expect([viaQuery.status, viaQuery.body.balance, viaQuery.headers.get('content-type')]).toEqual([400, undefined, 'application/problem+json']);
    const viaBody = await ctx.request('POST', '/api/v1/wallet/charges', { token: intruder.token, headers: { 'idempotency-key': 'idor-charge-01' }, body: { amount: 1000, userId: owner.id } });
    expect(viaBody.status).toBe(400);
    const ownerWallet = await ctx.request('GET', '/api/v1/wallet', { token: owner.token });
    expect(ownerWallet.body.balance).toBe(112_345);
  });

  it("cannot use another user's queue token", async () => {
    const join = await ctx.request('POST', '/api/v1/queue/tokens', { token: owner.token, body: { scheduleId } });
    expect(join.status).toBe(200);
    const stolen = await ctx.request('GET', '/api/v1/queue/tokens/current', { token: intruder.token, headers: { 'x-queue-token': join.body.token } });
    // The token is bound to its user: someone else's is refused as invalid, saying nothing of its place.
    expect([stolen.status, stolen.body.code]).toEqual([403, 'QUEUE_TOKEN_INVALID']);
    expect(stolen.body.position).toBeUndefined();
    const own = await ctx.request('GET', '/api/v1/queue/tokens/current', { token: owner.token, headers: { 'x-queue-token': join.body.token } });
    expect(own.status).toBe(200);
  });

  it('keeps workflow payloads encrypted in Temporal, readable through the codec endpoint for admins', async () => {
    const history = await ctx.temporal.workflow.getHandle(reservationWorkflowId(reservationId)).fetchHistory();
    const started = history.events!.find((e) => e.workflowExecutionStartedEventAttributes)!.workflowExecutionStartedEventAttributes!;
    const payload = started.input!.payloads![0]!;
    expect(Buffer.from(payload.metadata!.encoding!).toString()).toBe('binary/encrypted');
    expect(Buffer.from(payload.data!).toString('latin1')).not.toContain(reservationId);
    const admin = await ctx.createUser({ role: 'ADMIN' });
    const wire = { metadata: Object.fromEntries(Object.entries(payload.metadata!).map(([k, v]) => [k, Buffer.from(v!).toString('base64')])), data: Buffer.from(payload.data!).toString('base64') };
    const decoded = await ctx.request('POST', '/codec/decode', { token: admin.token, body: { payloads: [wire] } });
    expect(decoded.status).toBe(200);
    const input = JSON.parse(Buffer.from(decoded.body.payloads[0].data, 'base64').toString());
    expect(input).toMatchObject({ reservationId, userId: owner.id, scheduleId });
    expect((await ctx.request('POST', '/codec/decode', { token: owner.token, body: { payloads: [wire] } })).status).toBe(403);
  });

  it('leaves the invariants intact', async () => {
    expect(await checkInvariants(ctx.pool)).toEqual([]);
  });
});
