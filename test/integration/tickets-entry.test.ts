import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScheduleKeys } from '../../src/ticketing/codes-keys.js';
import { TicketCodeSigner } from '../../src/ticketing/codes-signed.js';
import { ticketCodeSigner } from '../../src/ticketing/index.js';
import { createTestContext, type TestContext } from '../support/harness.js';
import { pinDoorClock } from '../support/door-clock.js';
import { checkInvariants } from '../support/invariants.js';
import { retrying } from '../support/client-retry.js';

/**
 * Tickets and the door (issue 11 part 3): a purchase becomes one signed ticket per seat, shown to
 * its owner only; STAFF (and admins) scan codes: the first scan admits, later ones are refused with
 * the first scan's time, void and forged codes are refused, and concurrent scans admit once.
 */
describe('tickets and entry scans', () => {
  let ctx: TestContext;
  let staff: { id: number; token: string };
  let admin: { id: number; token: string };
  let codes: TicketCodeSigner;
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
  const q = async (sql: string, params: unknown[] = []) => (await ctx.pool.query(sql, params))[0] as Array<Record<string, any>>;
  const scan = (token: string, code: unknown, headers: Record<string, string> = {}) => send('POST', '/api/v1/entry/scans', { token, body: { code }, headers });

  /** A buyer's confirmed purchase of `n` seats on a fresh schedule. */
  const purchase = async (n = 2) => {
    const buyer = await ctx.createUser({ balance: 100_000 });
    const { scheduleId, seatIds } = await ctx.createSchedule({ price: 10_000 });
    const held = await send('POST', '/api/v1/reservations', { token: buyer.token, body: { scheduleId, seatIds: seatIds.slice(0, n) } });
    expect(held.status).toBe(201);
    const paid = await send('POST', `/api/v1/reservations/${held.body.id}/payment`, { token: buyer.token });
    expect(paid.status).toBe(200);
    return { buyer, scheduleId, seatIds, reservationId: held.body.id as string };
  };
  const ticketsOf = async (token: string, reservationId: string) => {
    const res = await send('GET', `/api/v1/reservations/${reservationId}/tickets`, { token });
    expect(res.status).toBe(200);
    return res.body.items as Array<Record<string, any>>;
  };

  beforeAll(async () => {
    // The 4 s request deadline stays on: a scan that admits and then answers 503 at the deadline on a
    // busy machine is retried with its key (send), and the retry hears ADMITTED, not ALREADY_USED.
    ctx = await createTestContext();
    staff = await ctx.createUser({ role: 'STAFF' });
    admin = await ctx.createUser({ role: 'ADMIN' });
    // Rotating codes: every code served and scanned here is in one step (the time rules: tickets-codes.test.ts).
    pinDoorClock(ctx);
    codes = ticketCodeSigner(ctx.config);
  });
  afterAll(async () => {
    await ctx?.close();
  });

  it('a purchase has one signed ticket per seat with its seat and QR image; only its owner sees them', async () => {
    const { buyer, scheduleId, seatIds, reservationId } = await purchase(2);
    const tickets = await ticketsOf(buyer.token, reservationId);
    expect(tickets).toHaveLength(2);
    expect(tickets.map((t) => t.seat.seatId)).toEqual(seatIds.slice(0, 2));
    for (const t of tickets) {
      expect(t).toMatchObject({ reservationId, scheduleId, status: 'VALID', voidReason: null, admittedAt: null, seat: { section: 'A', tier: 'R', row: expect.any(String), number: expect.any(Number) } });
      expect(t.code).toMatch(/^CR1\.\d+\.\d+\.[A-Za-z0-9_-]{22}\.\d+\.[A-Za-z0-9_-]{86}$/);
      // Verifiable offline with the performance's public key alone: the code names its performance and ticket.
      expect(codes.verify(t.code, { at: ctx.services.tickets.clock.now() })).toMatchObject({ ok: true, parts: { kind: 'ROTATING', scheduleId, ticketId: t.id } });
      expect(Date.parse(t.codeExpiresAt) % 15_000).toBe(0); // the end of its 15 s step
      expect(t.qrSvg).toMatch(/^<svg[\s\S]*<path[\s\S]*<\/svg>\s*$/);
    }
    expect(new Set(tickets.map((t) => t.code)).size).toBe(2);
    // Read again: the serial in the code is the stored one (only the step and signature rotate).
    const serialOf = (code: string) => code.split('.')[3];
    expect((await ticketsOf(buyer.token, reservationId)).map((t) => serialOf(t.code))).toEqual(tickets.map((t) => serialOf(t.code)));

    const stranger = await ctx.createUser();
    const foreign = await send('GET', `/api/v1/reservations/${reservationId}/tickets`, { token: stranger.token });
    expect([foreign.status, foreign.body.code]).toEqual([404, 'NOT_FOUND']);
    expect(foreign.headers.get('content-type')).toContain('application/problem+json');
    expect((await send('GET', `/api/v1/reservations/${reservationId}/tickets`)).status).toBe(401);

    // A hold has no tickets yet.
    const held = await send('POST', '/api/v1/reservations', { token: buyer.token, body: { scheduleId, seatIds: [seatIds[5]!] } });
    expect(await ticketsOf(buyer.token, held.body.id)).toEqual([]);
    expect(await checkInvariants(ctx.pool, { atLeast: { confirmed: 1, tickets: 2 } })).toEqual([]);
  });

  it('the first scan admits with the seat; later scans get 409 ALREADY_USED with the first scan time', async () => {
    const { buyer, reservationId } = await purchase(2);
    const [first, second] = await ticketsOf(buyer.token, reservationId);
    const admitted = await scan(staff.token, first!.code);
    expect(admitted.status).toBe(200);
    expect(admitted.body).toMatchObject({ result: 'ADMITTED', ticket: { id: first!.id, reservationId, seat: first!.seat } });
    const again = await scan(staff.token, first!.code);
    expect(again.status).toBe(409);
    expect(again.headers.get('content-type')).toContain('application/problem+json');
    expect(again.body).toMatchObject({ code: 'ALREADY_USED', firstScanAt: admitted.body.admittedAt, ticketId: first!.id });
    // Admins scan too; the owner sees which ticket was used and when.
    expect((await scan(admin.token, second!.code)).status).toBe(200);
    const after = await ticketsOf(buyer.token, reservationId);
    expect(after.map((t) => [t.status, t.admittedAt !== null])).toEqual([
      ['USED', true],
      ['USED', true],
    ]);
    expect(after[0]!.admittedAt).toBe(admitted.body.admittedAt);
    // Every scan is an event: two admitted, one refused.
    const events = await q(`SELECT JSON_VALUE(payload, '$.result') result FROM domain_events WHERE aggregate_type = 'ticket' AND aggregate_id = ? AND type = 'TicketScanned' ORDER BY sequence`, [`tickets-${reservationId}`]);
    expect(events.map((e) => e.result)).toEqual(['ADMITTED', 'ALREADY_USED', 'ADMITTED']);
    expect(await checkInvariants(ctx.pool, { atLeast: { tickets: 4 } })).toEqual([]);
  });

  it('only STAFF and ADMIN may scan; forged, altered and malformed codes are refused without admitting anything', async () => {
    const { buyer, reservationId } = await purchase(1);
    const [ticket] = await ticketsOf(buyer.token, reservationId);
    const code: string = ticket!.code;
    const asBuyer = await scan(buyer.token, code);
    expect([asBuyer.status, asBuyer.body.code]).toEqual([403, 'FORBIDDEN']);
    expect((await scan('', code)).status).toBe(401);

    const parts = code.split('.');
    const flip = (s: string) => (s[0] === 'A' ? 'B' : 'A') + s.slice(1);
    const forged = [
      `${parts.slice(0, 5).join('.')}.${flip(parts[5]!)}`, // signature altered
      [parts[0], parts[1], String(Number(parts[2]) + 1), ...parts.slice(3)].join('.'), // another ticket, same signature
      new TicketCodeSigner(new ScheduleKeys('x'.repeat(40))).rotating({ id: ticket!.id, scheduleId: Number(parts[1]), serial: Buffer.from(parts[3]!, 'base64url').toString('hex') }, new Date()).code, // signed with another key
      'CT1.1.1.00000000000000000000000000000000.AAAAAAAAAAAAAAAAAAAAAA', // the retired HMAC format
      'not a ticket at all',
    ];
    for (const f of forged) {
      const res = await scan(staff.token, f);
      expect([f, res.status, res.body.code]).toEqual([f, 404, 'NOT_FOUND']);
    }
    for (const bad of ['', 42, null, 'x'.repeat(201)]) {
      const res = await scan(staff.token, bad);
      expect([res.status, res.body.code]).toEqual([400, 'VALIDATION_FAILED']);
    }
    // Forgeries are security events (identity's outbox); none of this touched the ticket, which still admits once.
    const [forgedEvents] = (await ctx.identityPool.query<any[]>(`SELECT COUNT(*) n FROM domain_events WHERE type = 'SecurityEvent' AND JSON_VALUE(payload, '$.kind') = 'TICKET_FORGED'`))[0];
    expect(Number(forgedEvents!.n)).toBeGreaterThanOrEqual(forged.length - 1);
    const [fresh] = await ticketsOf(buyer.token, reservationId);
    expect(fresh!.status).toBe('VALID');
    expect((await scan(staff.token, fresh!.code)).status).toBe(200);
  });

  it('a refunded purchase stops admitting: 409 TICKET_REFUNDED, and its tickets show VOID', async () => {
    const { buyer, reservationId } = await purchase(2);
    const [used, unused] = await ticketsOf(buyer.token, reservationId);
    // (A purchase with an admitted ticket is not refunded at all: tickets-refund-after-entry.test.ts.)
    const refund = await send('DELETE', `/api/v1/reservations/${reservationId}`, { token: buyer.token });
    expect([refund.status, refund.body.status]).toEqual([200, 'REFUNDED']);
    for (const t of [used!, unused!]) {
      const res = await scan(staff.token, t.code);
      expect([res.status, res.body.code, res.body.ticketId]).toEqual([409, 'TICKET_REFUNDED', t.id]);
    }
    const after = await ticketsOf(buyer.token, reservationId);
    expect(after.map((t) => [t.status, t.voidReason])).toEqual([
      ['VOID', 'TICKET_REFUNDED'],
      ['VOID', 'TICKET_REFUNDED'],
    ]);
    // The seats were released; a new buyer's purchase of one gets a new ticket of its own.
    const again = await ctx.createUser({ balance: 100_000 });
    const [row] = await q(`SELECT schedule_id FROM reservations WHERE id = ?`, [reservationId]);
    const resold = await send('POST', '/api/v1/reservations', { token: again.token, body: { scheduleId: Number(row!.schedule_id), seatIds: [unused!.seat.seatId] } });
    expect((await send('POST', `/api/v1/reservations/${resold.body.id}/payment`, { token: again.token })).status).toBe(200);
    const [fresh] = await ticketsOf(again.token, resold.body.id);
    expect(fresh!.code).not.toBe(unused!.code);
    expect((await scan(staff.token, fresh!.code)).status).toBe(200);
    expect((await scan(staff.token, unused!.code)).body.code).toBe('TICKET_REFUNDED');
    expect(await checkInvariants(ctx.pool)).toEqual([]);
  });

  it('a cancelled performance voids its tickets: 409 TICKET_CANCELLED', async () => {
    const { buyer, scheduleId, reservationId } = await purchase(1);
    const [ticket] = await ticketsOf(buyer.token, reservationId);
    // Performance cancellation is another scope (issue 11 part 2); its first step marks the schedule.
    await q(`UPDATE schedules SET status = 'CANCELLED' WHERE id = ?`, [scheduleId]);
    const res = await scan(staff.token, ticket!.code);
    expect([res.status, res.body.code]).toEqual([409, 'TICKET_CANCELLED']);
    expect((await ticketsOf(buyer.token, reservationId))[0]).toMatchObject({ status: 'VOID', voidReason: 'TICKET_CANCELLED' });
  });

  it('a scanner retry with the same Idempotency-Key gets the first answer again, not ALREADY_USED', async () => {
    const { buyer, reservationId } = await purchase(1);
    const [ticket] = await ticketsOf(buyer.token, reservationId);
    const headers = { 'idempotency-key': `scan-${ctx.id}-1` };
    const first = await scan(staff.token, ticket!.code, headers);
    const retry = await scan(staff.token, ticket!.code, headers);
    expect(first.status).toBe(200);
    expect([retry.status, retry.body]).toEqual([200, first.body]);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect((await scan(staff.token, ticket!.code)).body.code).toBe('ALREADY_USED');
  });

  it('100 concurrent scans of one code admit exactly once; the other 99 are told when it was used', async () => {
    const { buyer, reservationId } = await purchase(1);
    const [ticket] = await ticketsOf(buyer.token, reservationId);
    const counted = async () => {
      const metric = await ctx.metrics.registry.getSingleMetric('ticket_scans_total')!.get();
      return Object.fromEntries(metric.values.map((v) => [String(v.labels.result), v.value]));
    };
    const before = await counted();
    const results = await Promise.all(Array.from({ length: 100 }, () => scan(staff.token, ticket!.code)));
    const admitted = results.filter((r) => r.status === 200);
    const refused = results.filter((r) => r.status === 409);
    expect(admitted).toHaveLength(1);
    expect(refused).toHaveLength(99);
    expect(new Set(refused.map((r) => r.body.code))).toEqual(new Set(['ALREADY_USED']));
    expect(new Set(refused.map((r) => r.body.firstScanAt))).toEqual(new Set([admitted[0]!.body.admittedAt]));
    const events = await q(
      `SELECT JSON_VALUE(payload, '$.result') result, COUNT(*) n FROM domain_events WHERE aggregate_type = 'ticket' AND aggregate_id = ? AND type = 'TicketScanned' GROUP BY result`,
      [`tickets-${reservationId}`],
    );
    expect(Object.fromEntries(events.map((e) => [e.result, Number(e.n)]))).toEqual({ ADMITTED: 1, ALREADY_USED: 99 });
    const after = await counted();
    expect([after.ADMITTED! - (before.ADMITTED ?? 0), after.ALREADY_USED! - (before.ALREADY_USED ?? 0)]).toEqual([1, 99]);
    expect(await checkInvariants(ctx.pool, { atLeast: { tickets: 1 } })).toEqual([]);
  }, 600_000);

  it('scans racing a refund: whatever the order, nothing is admitted after the refund, and nothing admitted is refunded', async () => {
    const { buyer, reservationId } = await purchase(2);
    const tickets = await ticketsOf(buyer.token, reservationId);
    const scans = Array.from({ length: 20 }, (_, i) => scan(staff.token, tickets[i % 2]!.code));
    const refund = send('DELETE', `/api/v1/reservations/${reservationId}`, { token: buyer.token });
    const [results, refunded] = await Promise.all([Promise.all(scans), refund]);
    // Each ticket admitted at most once, and every answer is one of the decided outcomes.
    const admitted = results.filter((r) => r.status === 200).length;
    expect(admitted).toBeLessThanOrEqual(2);
    for (const r of results) expect([200, 409]).toContain(r.status);
    if (refunded.status === 200) {
      // The refund came first: nothing was admitted, and every later scan is refused as refunded.
      expect([refunded.body.status, admitted]).toEqual(['REFUNDED', 0]);
      for (const t of tickets) expect((await scan(staff.token, t.code)).body.code).toBe('TICKET_REFUNDED');
    } else {
      // A scan came first: the refund is refused and the purchase stands.
      expect([refunded.status, refunded.body.code]).toEqual([409, 'TICKET_ADMITTED']);
      expect(admitted).toBeGreaterThanOrEqual(1);
    }
    // The checker compares each ADMITTED scan's time with the refund's.
    expect(await checkInvariants(ctx.pool, { atLeast: { tickets: 2 } })).toEqual([]);
  }, 600_000);
});
