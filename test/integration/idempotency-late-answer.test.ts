import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ticketCodeSigner } from '../../src/ticketing/index.js';
import { createTestContext, eventually, type TestContext } from '../support/harness.js';
import { retrying, type Answer } from '../support/client-retry.js';
import { pinDoorClock } from '../support/door-clock.js';
import { checkInvariants } from '../support/invariants.js';

/**
 * A request that finishes after the request deadline answered 503 (issue 25): the handler's real
 * answer is stored under its Idempotency-Key, so the client's retry hears what was decided (200,
 * replayed) instead of the refusal of a second attempt (ALREADY_PAID, ALREADY_USED). While the late
 * handler still runs, a retry is told 409 IDEMPOTENCY_IN_PROGRESS with Retry-After.
 *
 * The handlers are held past the (tiny) deadline by the test itself, not by hoping the machine is
 * slow: the wallet debit waits on a gate the test opens, and the door scan waits for a ticket row
 * lock the test holds. Requests the test does not hold retry with their key, as a client would.
 */
describe('late answers are stored by idempotency', () => {
  let ctx: TestContext;
  let staff: { id: number; token: string };
  /** While set, the payment worker's wallet debits wait for it (the test opens it). */
  let debitGate: Promise<void> | undefined;
  const key = (name: string) => `${name}-${ctx.id}`;

  beforeAll(async () => {
    ctx = await createTestContext({
      env: { REQUEST_DEADLINE_MS: '150' },
      overridePaymentActivities: (a) => ({
        debitWallet: async (input) => {
          await debitGate;
          return a.debitWallet(input);
        },
      }),
    });
    staff = await ctx.createUser({ role: 'STAFF' });
    pinDoorClock(ctx);
  });
  afterAll(async () => {
    if (ctx) expect(await checkInvariants(ctx.pool)).toEqual([]);
    await ctx?.close();
  });

  /** A hold on fresh seats, retried with its key through deadline answers. */
  const hold = async (token: string, n = 1) => {
    const { scheduleId, seatIds } = await ctx.createSchedule({ price: 10_000 });
    const idem = key(`hold-${scheduleId}`);
    const held = await retrying(() => ctx.request('POST', '/api/v1/reservations', { token, body: { scheduleId, seatIds: seatIds.slice(0, n) }, headers: { 'idempotency-key': idem } }));
    expect(held.status).toBe(201);
    return held.body.id as string;
  };
  const pay = (token: string, reservationId: string, idem: string) =>
    ctx.request('POST', `/api/v1/reservations/${reservationId}/payment`, { token, headers: { 'idempotency-key': idem } });

  /**
   * The request again until it gets past the deadline itself: with a deadline this tiny, any request
   * (a retry's key lookup too) may be answered 503 on a busy machine.
   */
  const pastDeadline = (call: () => Promise<Answer>) =>
    eventually(async () => {
      const r = await call();
      if (r.status !== 503) return r;
      expect(r.headers?.get('retry-after')).toMatch(/^\d+$/);
      return undefined;
    }, 60_000, 100);
  /** The client's retries until the late handler's answer is stored: meanwhile each is 409 IN_PROGRESS with Retry-After (or the deadline's 503). */
  const retryUntilAnswered = (call: () => Promise<Answer>) =>
    eventually(async () => {
      const r = await pastDeadline(call);
      if (r.status === 409 && r.body.code === 'IDEMPOTENCY_IN_PROGRESS') {
        expect(r.headers?.get('retry-after')).toMatch(/^\d+$/);
        return undefined;
      }
      return r;
    }, 60_000, 200);

  it('a payment that completes after the deadline answered 503 is replayed as paid to the retry', async () => {
    const buyer = await ctx.createUser({ balance: 100_000 });
    const reservationId = await hold(buyer.token);
    let open!: () => void;
    debitGate = new Promise((resolve) => (open = resolve));
    const idem = key('late-pay');

    try {
      const first = await pay(buyer.token, reservationId, idem);
      expect([first.status, first.body.code]).toEqual([503, 'SERVICE_UNAVAILABLE']);
      // The first attempt is still running (its debit waits at the gate): the retry is told to come back.
      const during = await pastDeadline(() => pay(buyer.token, reservationId, idem));
      expect([during.status, during.body.code]).toEqual([409, 'IDEMPOTENCY_IN_PROGRESS']);
      expect(during.headers?.get('retry-after')).toMatch(/^\d+$/);
    } finally {
      open();
      debitGate = undefined;
    }
    const retry = await retryUntilAnswered(() => pay(buyer.token, reservationId, idem));
    expect([retry.status, retry.body.reservation?.status]).toEqual([200, 'CONFIRMED']);
    expect(retry.headers?.get('idempotent-replayed')).toBe('true');
    // The wallet was debited once.
    const wallet = await ctx.request('GET', '/api/v1/wallet', { token: buyer.token });
    expect(wallet.body.balance).toBe(90_000);
  });

  it('a door scan that admits after the deadline answered 503 is replayed as ADMITTED to the retry, not ALREADY_USED', async () => {
    const buyer = await ctx.createUser({ balance: 100_000 });
    const reservationId = await hold(buyer.token);
    const paid = await retrying(() => pay(buyer.token, reservationId, key(`pay-${reservationId}`)));
    expect(paid.status).toBe(200);
    const tickets = await retrying(() => ctx.request('GET', `/api/v1/reservations/${reservationId}/tickets`, { token: buyer.token }));
    const ticket = tickets.body.items[0] as { id: string; code: string };
    const scan = () => ctx.request('POST', '/api/v1/entry/scans', { token: staff.token, body: { code: ticket.code }, headers: { 'idempotency-key': key('late-scan') } });

    // The test holds the ticket's row lock: the scan waits for it past the deadline.
    const lock = await ctx.pool.getConnection();
    let first: Answer;
    try {
      await lock.beginTransaction();
      await lock.query('SELECT id FROM tickets WHERE id = ? FOR UPDATE', [ticket.id]);
      first = await scan();
      expect([first.status, first.body.code]).toEqual([503, 'SERVICE_UNAVAILABLE']);
      const during = await pastDeadline(scan);
      expect([during.status, during.body.code]).toEqual([409, 'IDEMPOTENCY_IN_PROGRESS']);
      expect(during.headers?.get('retry-after')).toMatch(/^\d+$/);
    } finally {
      await lock.rollback();
      lock.release();
    }

    const retry = await retryUntilAnswered(scan);
    expect([retry.status, retry.body.result]).toEqual([200, 'ADMITTED']);
    expect(retry.headers?.get('idempotent-replayed')).toBe('true');
    // Scanned once: the retries replayed the answer, they did not scan again.
    const [rows] = await ctx.pool.query("SELECT JSON_VALUE(payload, '$.result') AS result FROM domain_events WHERE aggregate_type = 'ticket' AND aggregate_id = ? AND type = 'TicketScanned'", [`tickets-${reservationId}`]);
    expect((rows as Array<{ result: string }>).map((r) => r.result)).toEqual(['ADMITTED']);
  });
});
