import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newSerial } from '../../src/ticketing/codes.js';
import { ScheduleKeys } from '../../src/ticketing/codes-keys.js';
import { TicketCodeSigner } from '../../src/ticketing/codes-signed.js';
import { pdfTicketCode, ticketCodeSigner } from '../../src/ticketing/index.js';
import { pinDoorClock } from '../support/door-clock.js';
import { createTestContext, type TestContext } from '../support/harness.js';
import { checkInvariants } from '../support/invariants.js';

/**
 * Rotating codes, the PDF's static code and offline scanning on the real stack (docs/tickets.md
 * "Rotating codes", "Offline scanning"): the door's clock is pinned and moved step by step, so
 * the time rules are tested on what the server decides, not on how fast a busy machine answers.
 */
describe('rotating codes, static codes and offline scanner sync', () => {
  let ctx: TestContext;
  let staff: { id: number; token: string };
  let clock: ReturnType<typeof pinDoorClock>;
  const q = async (sql: string, params: unknown[] = []) => (await ctx.pool.query(sql, params))[0] as Array<Record<string, any>>;
  const scan = (code: unknown) => ctx.request('POST', '/api/v1/entry/scans', { token: staff.token, body: { code } });
  const t0 = new Date();
  const steps = (n: number) => new Date(t0.getTime() + n * 15_000);

  /** A confirmed purchase of `n` seats on a fresh schedule; its tickets as the buyer's page shows them at `t0`. */
  const purchase = async (n = 1) => {
    const buyer = await ctx.createUser({ balance: 100_000 });
    const { scheduleId, seatIds } = await ctx.createSchedule({ price: 10_000 });
    const held = await ctx.request('POST', '/api/v1/reservations', { token: buyer.token, body: { scheduleId, seatIds: seatIds.slice(0, n) } });
    expect((await ctx.request('POST', `/api/v1/reservations/${held.body.id}/payment`, { token: buyer.token })).status).toBe(200);
    clock.set(t0);
    const tickets = (await ctx.request('GET', `/api/v1/reservations/${held.body.id}/tickets`, { token: buyer.token })).body.items as Array<Record<string, any>>;
    const rows = await q('SELECT id, schedule_id scheduleId, serial FROM tickets WHERE reservation_id = ? ORDER BY seat_id', [held.body.id]);
    const [schedule] = await q('SELECT starts_at FROM schedules WHERE id = ?', [scheduleId]);
    return { buyer, scheduleId, reservationId: held.body.id as string, tickets, rows: rows.map((r) => ({ id: Number(r.id), scheduleId: Number(r.scheduleId), serial: String(r.serial) })), startsAt: new Date(schedule!.starts_at) };
  };

  beforeAll(async () => {
    ctx = await createTestContext();
    staff = await ctx.createUser({ role: 'STAFF' });
    clock = pinDoorClock(ctx, t0);
  });
  afterAll(async () => {
    clock?.release();
    await ctx?.close();
  });

  it('the current step admits, one step of skew admits, two steps old is 409 CODE_EXPIRED (with its ko/en sentence)', async () => {
    const { tickets } = await purchase(3);
    const [a, b, c] = tickets as [Record<string, any>, Record<string, any>, Record<string, any>];
    expect(a.code).toMatch(/^CR1\./);
    expect(Date.parse(a.codeExpiresAt) - t0.getTime()).toBeLessThanOrEqual(15_000);
    expect((await scan(a.code)).status).toBe(200); // its own step
    clock.set(steps(1));
    expect((await scan(b.code)).status).toBe(200); // one step later: clock skew
    clock.set(steps(2));
    const expired = await scan(c.code);
    expect([expired.status, expired.body.code, expired.body.ticketId]).toEqual([409, 'CODE_EXPIRED', c.id]);
    expect(expired.headers.get('content-type')).toContain('application/problem+json');
    // (Its ko/en sentences: test/unit/web-problem-messages.test.ts fails on a code without one.)
    clock.set(steps(-2));
    expect((await scan(c.code)).body.code).toBe('CODE_NOT_YET_VALID');
    // Nothing was admitted by the refusals: the ticket still admits with a fresh code.
    clock.set(t0);
    expect((await scan(c.code)).status).toBe(200);
    expect(await checkInvariants(ctx.pool, { atLeast: { tickets: 3 } })).toEqual([]);
  });

  it('a forged signature is 404 NOT_FOUND; a code of a reissued serial is 409 CODE_REISSUED while the new serial admits', async () => {
    const { tickets, rows } = await purchase(1);
    const code: string = tickets[0]!.code;
    const forged = `${code.slice(0, code.lastIndexOf('.') + 1)}${code.endsWith('A') ? 'B'.repeat(86) : 'A'.repeat(86)}`;
    expect([(await scan(forged)).status, (await scan(forged)).body.code]).toEqual([404, 'NOT_FOUND']);
    const otherKey = new TicketCodeSigner(new ScheduleKeys('x'.repeat(40))).rotating(rows[0]!, t0).code;
    expect((await scan(otherKey)).status).toBe(404);
    // What engineer "transfer"'s reissue does to the row: a new serial; every code of the old one dies.
    const reissued = newSerial();
    await q('UPDATE tickets SET serial = ? WHERE id = ?', [reissued, rows[0]!.id]);
    const old = await scan(code);
    expect([old.status, old.body.code]).toEqual([409, 'CODE_REISSUED']);
    expect((await scan(ticketCodeSigner(ctx.config).rotating({ ...rows[0]!, serial: reissued }, t0).code)).status).toBe(200);
  });

  it('the PDF\'s static code is 409 GATES_NOT_OPEN before the gates open and admits after', async () => {
    const { rows, startsAt } = await purchase(1);
    const pdf = pdfTicketCode(ctx.config, rows[0]!);
    expect(pdf).toMatch(/^CS1\./);
    const gates = new Date(startsAt.getTime() - ctx.config.TICKET_GATES_OPEN_MINUTES * 60_000);
    clock.set(new Date(gates.getTime() - 1000));
    const early = await scan(pdf);
    expect([early.status, early.body.code]).toEqual([409, 'GATES_NOT_OPEN']);
    clock.set(gates);
    expect((await scan(pdf)).status).toBe(200);
    clock.set(t0);
  });

  it('the door list carries the public keys, every ticket\'s current serial and state; STAFF only', async () => {
    const { scheduleId, tickets, rows, buyer, reservationId } = await purchase(2);
    expect((await scan(tickets[0]!.code)).status).toBe(200);
    const list = await ctx.request('GET', `/api/v1/entry/schedules/${scheduleId}/door-list`, { token: staff.token });
    expect(list.status).toBe(200);
    expect(list.body.publicKeys).toEqual(ticketCodeSigner(ctx.config).publicKeys(scheduleId));
    expect(list.body).toMatchObject({ scheduleId, stepSeconds: 15, skewSteps: 1 });
    expect(list.body.tickets.map((t: any) => [t.id, t.serial, t.state])).toEqual([
      [rows[0]!.id, Buffer.from(rows[0]!.serial, 'hex').toString('base64url'), 'USED'],
      [rows[1]!.id, Buffer.from(rows[1]!.serial, 'hex').toString('base64url'), 'VALID'],
    ]);
    expect((await ctx.request('GET', `/api/v1/entry/schedules/${scheduleId}/door-list`, { token: buyer.token })).status).toBe(403);
    // A refunded purchase is revoked.
    const other = await purchase(1);
    expect((await ctx.request('DELETE', `/api/v1/reservations/${other.reservationId}`, { token: other.buyer.token })).status).toBe(200);
    const revoked = await ctx.request('GET', `/api/v1/entry/schedules/${other.scheduleId}/door-list`, { token: staff.token });
    expect(revoked.body.tickets).toEqual([expect.objectContaining({ id: other.rows[0]!.id, state: 'VOID', voidReason: 'TICKET_REFUNDED' })]);
    expect(reservationId).toBeTruthy();
  });

  it('sync: queued offline scans apply once each; two gates admitting one ticket end with the first scan standing and a conflict both see', async () => {
    const { scheduleId, tickets, rows } = await purchase(2);
    const [x, y] = tickets as [Record<string, any>, Record<string, any>];
    const sync = (deviceId: string, scans: Array<{ scanId: string; code: string; scannedAt: Date }>, key = randomUUID()) =>
      ctx.request('POST', `/api/v1/entry/schedules/${scheduleId}/scans/sync`, {
        token: staff.token,
        headers: { 'idempotency-key': key },
        body: { deviceId, scans: scans.map((s) => ({ ...s, scannedAt: s.scannedAt.toISOString() })) },
      });
    // Gate A scanned ticket x at t0 + 5 s and ticket y; gate B scanned ticket x earlier, at t0 + 2 s, but syncs later.
    const a = { scanId: `a-${randomUUID()}`, code: x.code, scannedAt: new Date(t0.getTime() + 5000) };
    const ay = { scanId: `a-${randomUUID()}`, code: y.code, scannedAt: new Date(t0.getTime() + 6000) };
    const b = { scanId: `b-${randomUUID()}`, code: x.code, scannedAt: new Date(t0.getTime() + 2000) };
    clock.set(steps(1));
    const first = await sync('gate-a-device', [a, ay]);
    expect(first.status).toBe(200);
    expect(first.body.results.map((r: any) => [r.scanId, r.outcome])).toEqual([
      [a.scanId, 'ADMITTED'],
      [ay.scanId, 'ADMITTED'],
    ]);
    expect(first.body.conflicts).toEqual([]);
    const second = await sync('gate-b-device', [b]);
    expect(second.body.results).toEqual([{ scanId: b.scanId, outcome: 'ADMITTED', ticketId: rows[0]!.id }]);
    const conflict = { ticketId: rows[0]!.id, entries: [expect.objectContaining({ scanId: b.scanId, deviceId: 'gate-b-device', stands: true }), expect.objectContaining({ scanId: a.scanId, deviceId: 'gate-a-device', stands: false })] };
    expect(second.body.conflicts).toEqual([conflict]);
    // Gate A's next sync (a repeat of its queue, another key) changes nothing and now reports the conflict too.
    const again = await sync('gate-a-device', [a, ay]);
    expect(again.body.results.map((r: any) => [r.scanId, r.outcome])).toEqual([
      [a.scanId, 'ADMITTED'],
      [ay.scanId, 'ADMITTED'],
    ]);
    expect(again.body.conflicts).toEqual([conflict]);
    expect((await ctx.request('GET', `/api/v1/entry/schedules/${scheduleId}/conflicts`, { token: staff.token })).body.items).toEqual([conflict]);
    // The first scan by scan time stands on the ticket; a scan synced after it is a conflict, not an admission.
    const [row] = await q('SELECT admitted_at FROM tickets WHERE id = ?', [rows[0]!.id]);
    expect(new Date(row!.admitted_at).toISOString()).toBe(b.scannedAt.toISOString());
    const late = { scanId: `c-${randomUUID()}`, code: x.code, scannedAt: new Date(t0.getTime() + 9000) };
    expect((await sync('gate-c-device', [late])).body.results).toEqual([{ scanId: late.scanId, outcome: 'CONFLICT', ticketId: rows[0]!.id, firstScanAt: b.scannedAt.toISOString() }]);
    // An online scan after the sync is refused with the standing admission's time.
    expect((await scan(x.code)).body).toMatchObject({ code: 'ALREADY_USED', firstScanAt: b.scannedAt.toISOString() });
    // A forged code in a queue is reported, not applied.
    const forged = { scanId: `f-${randomUUID()}`, code: `${x.code.slice(0, -4)}AAAA`, scannedAt: t0 };
    expect((await sync('gate-a-device', [forged])).body.results).toEqual([{ scanId: forged.scanId, outcome: 'REFUSED', ticketId: null, reason: 'CODE_FORGED' }]);
    const events = await q(
      `SELECT JSON_VALUE(payload, '$.result') result, COUNT(*) n FROM domain_events WHERE aggregate_type = 'ticket' AND type = 'TicketScanned' AND JSON_VALUE(payload, '$.ticketId') = ? GROUP BY result`,
      [rows[0]!.id],
    );
    // A (ADMITTED), B (ADMITTED, replacing A's), C (ALREADY_USED, offline) and the online refusal: the repeat wrote nothing.
    expect(Object.fromEntries(events.map((e) => [e.result, Number(e.n)]))).toEqual({ ADMITTED: 2, ALREADY_USED: 2 });
    expect(await checkInvariants(ctx.pool, { atLeast: { tickets: 2 } })).toEqual([]);
    clock.set(t0);
  });
});
