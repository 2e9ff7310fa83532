import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, eventually, type TestContext } from '../support/harness.js';
import { ensureTopics } from '../support/events.js';
import { checkEventsOnKafka, checkInvariants } from '../support/invariants.js';
import { startRelay } from '../support/kafka.js';

/**
 * The checker itself: every rule fails when its invariant is broken. A real purchase, a refund and
 * a live hold are made through the API, then each rule is broken by hand in MySQL, checked, and
 * restored, so a check that cannot fail (vacuous, joined away, or cancelled out) shows up here.
 */
describe('invariant checker', () => {
  let ctx: TestContext;
  let ids: { sold: string; refunded: string; held: string; buyer: number; other: number; seat: number };
  const q = async (sql: string, params: unknown[] = []) => (await ctx.pool.query(sql, params))[0] as Array<Record<string, any>>;
  /** The same in payment's database (its tables and its own outbox). */
  const pq = async (sql: string, params: unknown[] = []) => (await ctx.paymentPool.query(sql, params))[0] as Array<Record<string, any>>;
  /** The waiting list's database (its own pool): its entries, offers and list rows. */
  const wq = async (sql: string, params: unknown[] = []) => (await ctx.waitlistPool.query(sql, params))[0] as Array<Record<string, any>>;
  /** Identity's database (its own pool): the accounts and its outbox (the admin actions SecurityAudit records). */
  const iq = async (sql: string, params: unknown[] = []) => (await ctx.identityPool.query(sql, params))[0] as Array<Record<string, any>>;
  /** Runs `breakIt`, expects a violation matching `rule`, then undoes it and expects a clean check. */
  const expectCaught = async (rule: RegExp, breakIt: () => Promise<unknown>, restore: () => Promise<unknown>, opts = {}) => {
    await breakIt();
    try {
      const problems = await checkInvariants(ctx.pool, opts);
      expect(problems.join('\n')).toMatch(rule);
    } finally {
      await restore();
    }
    expect(await checkInvariants(ctx.pool)).toEqual([]);
  };

  beforeAll(async () => {
    ctx = await createTestContext();
    const buyer = await ctx.createUser({ balance: 50_000 });
    const other = await ctx.createUser({ balance: 20_000 });
    const { scheduleId, seatIds } = await ctx.createSchedule({ price: 10_000 });
    const hold = async (token: string, seats: number[]) => (await ctx.request('POST', '/api/v1/reservations', { token, body: { scheduleId, seatIds: seats } })).body.id as string;
    const sold = await hold(buyer.token, [seatIds[0]!, seatIds[1]!]);
    const paid = await ctx.request('POST', `/api/v1/reservations/${sold}/payment`, { token: buyer.token });
    expect(paid.status, JSON.stringify(paid.body)).toBe(200);
    const refunded = await hold(other.token, [seatIds[2]!]);
    expect((await ctx.request('POST', `/api/v1/reservations/${refunded}/payment`, { token: other.token })).status).toBe(200);
    expect((await ctx.request('DELETE', `/api/v1/reservations/${refunded}`, { token: other.token })).status).toBe(200);
    const held = await hold(other.token, [seatIds[3]!]);
    ids = { sold, refunded, held, buyer: buyer.id, other: other.id, seat: seatIds[5]! };
    expect(await checkInvariants(ctx.pool, { atLeast: { reservations: 3, confirmed: 1, payments: 2 } })).toEqual([]);
  });
  afterAll(async () => {
    await ctx?.close();
  });

  it('is not vacuous: it reports missing rows the test meant to create', async () => {
    expect((await checkInvariants(ctx.pool, { atLeast: { reservations: 4 } })).join()).toMatch(/expected at least 4 reservations, found 3/);
    expect((await checkInvariants(ctx.pool, { atLeast: { confirmed: 2 } })).join()).toMatch(/expected at least 2 confirmed/);
  });

  it('sees a seat sold or held twice, a seat row that disagrees with its reservation, and a live hold off its seat (invariant 1)', async () => {
    const [soldSeat] = await q(`SELECT seat_id FROM reservation_seats WHERE reservation_id = ? ORDER BY seat_id LIMIT 1`, [ids.sold]);
    const [heldSeat] = await q(`SELECT seat_id FROM reservation_seats WHERE reservation_id = ?`, [ids.held]);
    // The live hold claims a seat the confirmed purchase owns (its unique active seat left as it was).
    await expectCaught(
      /seat in two live reservations/,
      () => q(`UPDATE reservation_seats SET seat_id = ? WHERE reservation_id = ?`, [soldSeat!.seat_id, ids.held]),
      () => q(`UPDATE reservation_seats SET seat_id = ? WHERE reservation_id = ?`, [heldSeat!.seat_id, ids.held]),
    );
    // A free seat marked SOLD with no reservation behind it.
    await expectCaught(
      /held\/sold seat without a matching live reservation/,
      () => q(`UPDATE seat_status SET status = 'SOLD' WHERE seat_id = ?`, [ids.seat]),
      () => q(`UPDATE seat_status SET status = 'AVAILABLE' WHERE seat_id = ?`, [ids.seat]),
    );
    // The live hold no longer occupies its seat (the unique column that stops a second hold).
    await expectCaught(
      /live reservation whose seat is not its own/,
      () => q(`UPDATE reservation_seats SET active_seat_id = NULL WHERE reservation_id = ?`, [ids.held]),
      () => q(`UPDATE reservation_seats SET active_seat_id = seat_id WHERE reservation_id = ?`, [ids.held]),
    );
  });

  it('sees a confirmed reservation without exactly one payment of its amount', async () => {
    const [p] = await pq(`SELECT * FROM payments WHERE reservation_id = ?`, [ids.sold]);
    await expectCaught(
      /confirmed reservation without exactly one matching payment/,
      () => pq(`DELETE FROM payments WHERE id = ?`, [p!.id]),
      () => pq(`INSERT INTO payments (id, reservation_id, user_id, amount, status, created_at) VALUES (?, ?, ?, ?, ?, ?)`, [p!.id, p!.reservation_id, p!.user_id, p!.amount, p!.status, p!.created_at]),
    );
  });

  it('sees a gap in an aggregate\'s event sequence', async () => {
    const [last] = await q(`SELECT id, sequence FROM domain_events WHERE aggregate_type = 'reservation' AND aggregate_id = ? ORDER BY sequence DESC LIMIT 1`, [ids.sold]);
    await expectCaught(
      /aggregate event sequence with gaps/,
      () => q(`UPDATE domain_events SET sequence = sequence + 5 WHERE id = ?`, [last!.id]),
      () => q(`UPDATE domain_events SET sequence = ? WHERE id = ?`, [last!.sequence, last!.id]),
    );
  });

  it('sees a payment whose reservation does not exist (no inner join drops it)', async () => {
    await expectCaught(
      /payment without a reservation/,
      () => pq(`INSERT INTO payments (reservation_id, user_id, amount, status, created_at) VALUES ('ghost000000000000000000', ?, 10000, 'REFUNDED', UTC_TIMESTAMP(3))`, [ids.buyer]),
      () => pq(`DELETE FROM payments WHERE reservation_id = 'ghost000000000000000000'`),
    );
  });

  it('matches ledger PAYMENT and REFUND rows one-to-one with payments and refunds', async () => {
    const [pay] = await pq(`SELECT id, amount FROM wallet_ledger WHERE kind = 'PAYMENT' AND reference = ?`, [ids.sold]);
    await expectCaught(/payment without exactly one ledger PAYMENT row/, () => pq(`UPDATE wallet_ledger SET reference = 'elsewhere' WHERE id = ?`, [pay!.id]), () => pq(`UPDATE wallet_ledger SET reference = ? WHERE id = ?`, [ids.sold, pay!.id]));
    const [refund] = await pq(`SELECT id FROM refunds WHERE reservation_id = ?`, [ids.refunded]);
    const [row] = await pq(`SELECT * FROM refunds WHERE id = ?`, [refund!.id]);
    await expectCaught(
      /without exactly one matching refund|refund without exactly one ledger REFUND row|ledger REFUND row without its refund/,
      () => pq(`DELETE FROM refunds WHERE id = ?`, [refund!.id]),
      () => pq(`INSERT INTO refunds (id, payment_id, reservation_id, amount, reason, created_at) VALUES (?, ?, ?, ?, ?, ?)`, [row!.id, row!.payment_id, row!.reservation_id, row!.amount, row!.reason, row!.created_at]),
    );
  });

  it('walks the balance_after chain row by row, even when the final balance agrees', async () => {
    const ledger = await pq(`SELECT id, balance_after FROM wallet_ledger WHERE user_id = ? ORDER BY id`, [ids.buyer]);
    const first = ledger[0]!;
    // Only an intermediate step is wrong: the final balance still equals the ledger's sum.
    await expectCaught(/ledger chain broken/, () => pq(`UPDATE wallet_ledger SET balance_after = -5 WHERE id = ?`, [first.id]), () => pq(`UPDATE wallet_ledger SET balance_after = ? WHERE id = ?`, [first.balance_after, first.id]));
  });

  it('compares ledger rows and wallet events per wallet, so offsetting errors do not cancel out', async () => {
    // One wallet loses its WalletCharged event, the other gains a copy: global counts stay equal.
    const [charged] = await pq(`SELECT * FROM domain_events WHERE type = 'WalletCharged' AND aggregate_id = ?`, [String(ids.buyer)]);
    const [otherCharge] = await pq(`SELECT * FROM domain_events WHERE type = 'WalletCharged' AND aggregate_id = ?`, [String(ids.other)]);
    const nextSeq = Number((await pq(`SELECT MAX(sequence) m FROM domain_events WHERE aggregate_type = 'wallet' AND aggregate_id = ?`, [String(ids.other)]))[0]!.m) + 1;
    await expectCaught(
      /wallet ledger and wallet events differ/,
      async () => {
        await pq(`UPDATE domain_events SET type = 'WalletNoted' WHERE id = ?`, [charged!.id]);
        await pq(
          `INSERT INTO domain_events (id, type, schema_version, aggregate_type, aggregate_id, sequence, user_id, payload, occurred_at) VALUES (UUID(), 'WalletCharged', 1, 'wallet', ?, ?, ?, ?, UTC_TIMESTAMP(3))`,
          [String(ids.other), nextSeq, ids.other, typeof otherCharge!.payload === 'string' ? otherCharge!.payload : JSON.stringify(otherCharge!.payload)],
        );
      },
      async () => {
        await pq(`UPDATE domain_events SET type = 'WalletCharged' WHERE id = ?`, [charged!.id]);
        await pq(`DELETE FROM domain_events WHERE aggregate_type = 'wallet' AND aggregate_id = ? AND sequence = ?`, [String(ids.other), nextSeq]);
      },
    );
  });

  it('folds seats, not just status, amount and user', async () => {
    const [rs] = await q(`SELECT seat_id FROM reservation_seats WHERE reservation_id = ? ORDER BY seat_id LIMIT 1`, [ids.refunded]);
    // The released reservation's seat row points at another seat: status, amount and user still agree.
    await expectCaught(
      /seats/,
      () => q(`UPDATE reservation_seats SET seat_id = ? WHERE reservation_id = ?`, [ids.seat, ids.refunded]),
      () => q(`UPDATE reservation_seats SET seat_id = ? WHERE reservation_id = ?`, [rs!.seat_id, ids.refunded]),
    );
  });

  it('validates transitions with its own table (CONFIRMED cannot follow REFUNDED)', async () => {
    const nextSeq = Number((await q(`SELECT MAX(sequence) m FROM domain_events WHERE aggregate_type = 'reservation' AND aggregate_id = ?`, [ids.refunded]))[0]!.m);
    const [refundedEvent] = await q(`SELECT id FROM domain_events WHERE aggregate_type = 'reservation' AND aggregate_id = ? AND sequence = ?`, [ids.refunded, nextSeq]);
    // The log reads Held, Confirmed, Refunded, Confirmed... with a final REFUNDED row: an illegal step.
    await expectCaught(
      /ReservationConfirmed after REFUNDED/,
      () =>
        q(
          `INSERT INTO domain_events (id, type, schema_version, aggregate_type, aggregate_id, sequence, user_id, payload, occurred_at)
           SELECT UUID(), 'ReservationConfirmed', 1, 'reservation', aggregate_id, ?, user_id, payload, occurred_at FROM domain_events WHERE aggregate_type = 'reservation' AND aggregate_id = ? AND type = 'ReservationConfirmed'`,
          [nextSeq + 1, ids.refunded],
        ).then(() =>
          q(
            `INSERT INTO domain_events (id, type, schema_version, aggregate_type, aggregate_id, sequence, user_id, payload, occurred_at)
             SELECT UUID(), type, schema_version, aggregate_type, aggregate_id, ?, user_id, payload, occurred_at FROM domain_events WHERE id = ?`,
            [nextSeq + 2, refundedEvent!.id],
          ),
        ),
      () => q(`DELETE FROM domain_events WHERE aggregate_type = 'reservation' AND aggregate_id = ? AND sequence > ?`, [ids.refunded, nextSeq]),
    );
  });

  it('checks expiry both ways: no hold past expiresAt + grace, none expired before expiresAt', async () => {
    const [h] = await q(`SELECT expires_at FROM reservations WHERE id = ?`, [ids.held]);
    await expectCaught(
      /hold past its expiry plus grace/,
      () => q(`UPDATE reservations SET expires_at = UTC_TIMESTAMP(3) - INTERVAL 40 SECOND WHERE id = ?`, [ids.held]),
      () => q(`UPDATE reservations SET expires_at = ? WHERE id = ?`, [h!.expires_at, ids.held]),
    );
    const [r] = await q(`SELECT status, closed_at, expires_at FROM reservations WHERE id = ?`, [ids.refunded]);
    // Pretend the refunded reservation had been EXPIRED an hour before its deadline.
    await expectCaught(
      /hold expired before its expiresAt/,
      () => q(`UPDATE reservations SET expires_at = closed_at + INTERVAL 1 HOUR, status = 'EXPIRED' WHERE id = ?`, [ids.refunded]),
      () => q(`UPDATE reservations SET expires_at = ?, status = ? WHERE id = ?`, [r!.expires_at, r!.status, ids.refunded]),
    );
  });

  it('ties every ticket to exactly one confirmed seat of its reservation (invariant 8)', async () => {
    const [t] = await q(`SELECT * FROM tickets WHERE reservation_id = ? ORDER BY seat_id LIMIT 1`, [ids.sold]);
    const restoreTicket = () =>
      q(`INSERT INTO tickets (id, reservation_id, seat_id, schedule_id, user_id, serial, issued_at, admitted_at, admitted_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, [
        t!.id, t!.reservation_id, t!.seat_id, t!.schedule_id, t!.user_id, t!.serial, t!.issued_at, t!.admitted_at, t!.admitted_by,
      ]);
    // A sold seat without its ticket.
    await expectCaught(/confirmed seat without exactly one ticket/, () => q(`DELETE FROM tickets WHERE id = ?`, [t!.id]), restoreTicket);
    // A ticket on a seat its reservation does not hold, and one for a reservation never confirmed.
    await expectCaught(/ticket not on a seat of its reservation/, () => q(`UPDATE tickets SET seat_id = ? WHERE id = ?`, [ids.seat, t!.id]), () => q(`UPDATE tickets SET seat_id = ? WHERE id = ?`, [t!.seat_id, t!.id]));
    await expectCaught(/ticket of a reservation that is not CONFIRMED/, () => q(`UPDATE tickets SET reservation_id = ? WHERE id = ?`, [ids.held, t!.id]), () => q(`UPDATE tickets SET reservation_id = ? WHERE id = ?`, [ids.sold, t!.id]));
    // The seat of a CONFIRMED reservation's ticket handed back to the map.
    await expectCaught(
      /ticket of a CONFIRMED reservation whose seat is not SOLD to it/,
      () => q(`UPDATE seat_status SET status = 'AVAILABLE', reservation_id = NULL WHERE seat_id = ?`, [t!.seat_id]),
      () => q(`UPDATE seat_status SET status = 'SOLD', reservation_id = ? WHERE seat_id = ?`, [ids.sold, t!.seat_id]),
    );
  });

  it('holds a ticket with its buyer or its last accepted transfer\'s recipient, and checks each transfer\'s events (transfers)', async () => {
    const [t] = await q(`SELECT id, reservation_id, schedule_id, user_id FROM tickets WHERE reservation_id = ? ORDER BY seat_id LIMIT 1`, [ids.sold]);
    // Moved without a transfer.
    await expectCaught(
      /held by someone other than its last accepted transfer's recipient/,
      () => q(`UPDATE tickets SET user_id = ? WHERE id = ?`, [ids.other, t!.id]),
      () => q(`UPDATE tickets SET user_id = ? WHERE id = ?`, [t!.user_id, t!.id]),
    );
    // An accepted transfer whose ticket never moved, and without its events.
    const transfer = [`x${t!.id}`.padEnd(24, '0'), t!.id, t!.reservation_id, t!.schedule_id, t!.user_id, t!.user_id, ids.other, 'f'.repeat(64), 'v1.sealed', 'ACCEPTED'];
    await expectCaught(
      /held by someone other than its last accepted transfer's recipient[\s\S]*transfer whose events do not tell its story/,
      () => q(`INSERT INTO ticket_transfers (id, ticket_id, reservation_id, schedule_id, buyer_user_id, from_user_id, to_user_id, recipient_email_index, recipient_email_cipher, status, expires_at, created_at, closed_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, UTC_TIMESTAMP(3), UTC_TIMESTAMP(3), UTC_TIMESTAMP(3))`, transfer),
      () => q(`DELETE FROM ticket_transfers WHERE id = ?`, [transfer[0]]),
    );
  });

  it('admits a ticket at most once, never after its refund, and matches TicketsIssued events', async () => {
    const [t] = await q(`SELECT id, reservation_id, seat_id FROM tickets WHERE reservation_id = ? LIMIT 1`, [ids.refunded]);
    // admitted_at without its ADMITTED scan event.
    await expectCaught(/admitted_at without its one ADMITTED scan/, () => q(`UPDATE tickets SET admitted_at = UTC_TIMESTAMP(3) WHERE id = ?`, [t!.id]), () => q(`UPDATE tickets SET admitted_at = NULL WHERE id = ?`, [t!.id]));
    // An ADMITTED scan written after the reservation's refund.
    const nextSeq = Number((await q(`SELECT MAX(sequence) m FROM domain_events WHERE aggregate_type = 'ticket' AND aggregate_id = ?`, [`tickets-${ids.refunded}`]))[0]!.m) + 1;
    const payload = JSON.stringify({ reservationId: ids.refunded, userId: ids.other, scheduleId: 0, ticketId: Number(t!.id), seatId: Number(t!.seat_id), staffId: 1, result: 'ADMITTED', firstScanAt: null });
    await expectCaught(
      /ticket admitted after its reservation was refunded/,
      async () => {
        await q(`INSERT INTO domain_events (id, type, schema_version, aggregate_type, aggregate_id, sequence, user_id, payload, occurred_at) VALUES (UUID(), 'TicketScanned', 1, 'ticket', ?, ?, ?, ?, UTC_TIMESTAMP(3))`, [`tickets-${ids.refunded}`, nextSeq, ids.other, payload]);
        await q(`UPDATE tickets SET admitted_at = UTC_TIMESTAMP(3) WHERE id = ?`, [t!.id]);
      },
      async () => {
        await q(`DELETE FROM domain_events WHERE aggregate_type = 'ticket' AND aggregate_id = ? AND sequence = ?`, [`tickets-${ids.refunded}`, nextSeq]);
        await q(`UPDATE tickets SET admitted_at = NULL WHERE id = ?`, [t!.id]);
      },
    );
    // The issue event names other seats than the tickets.
    const [issued] = await q(`SELECT id, payload FROM domain_events WHERE aggregate_type = 'ticket' AND aggregate_id = ? AND type = 'TicketsIssued'`, [`tickets-${ids.sold}`]);
    const original = typeof issued!.payload === 'string' ? issued!.payload : JSON.stringify(issued!.payload);
    const altered = JSON.stringify({ ...JSON.parse(original), seatIds: [ids.seat] });
    await expectCaught(/tickets and TicketsIssued events differ/, () => q(`UPDATE domain_events SET payload = ? WHERE id = ?`, [altered, issued!.id]), () => q(`UPDATE domain_events SET payload = ? WHERE id = ?`, [original, issued!.id]));
  });

  it('accounts for wallet adjustments: their events, their admin action, and the chain', async () => {
    const adjusted = await ctx.request('POST', `/api/v1/admin/users/${ids.other}/wallet-adjustments`, {
      token: (await ctx.createUser({ role: 'ADMIN' })).token,
      body: { amount: -1_000, reason: 'checker' },
      headers: { 'idempotency-key': `checker-adjust-${ctx.id}` },
    });
    expect(adjusted.status).toBe(201);
    expect(await checkInvariants(ctx.pool, { atLeast: { adjustments: 1 } })).toEqual([]);
    const [l] = await pq(`SELECT id, amount FROM wallet_ledger WHERE kind = 'ADJUSTMENT' AND user_id = ?`, [ids.other]);
    const [action] = await iq(`SELECT id FROM domain_events WHERE type = 'AdminAction' AND JSON_VALUE(payload, '$.action') = 'wallet.adjust'`);
    // Its event says another amount (the ledger row and the event disagree).
    await expectCaught(/wallet ledger and wallet events differ/, () => pq(`UPDATE wallet_ledger SET amount = 1000, balance_after = balance_after + 2000 WHERE id = ?`, [l!.id]), () => pq(`UPDATE wallet_ledger SET amount = -1000, balance_after = balance_after - 2000 WHERE id = ?`, [l!.id]));
    await expectCaught(/wallet adjustment without its AdminAction/, () => iq(`UPDATE domain_events SET type = 'AdminNoted' WHERE id = ?`, [action!.id]), () => iq(`UPDATE domain_events SET type = 'AdminAction' WHERE id = ?`, [action!.id]));
    await expectCaught(/ledger chain broken/, () => pq(`UPDATE wallet_ledger SET amount = 0 WHERE id = ?`, [l!.id]), () => pq(`UPDATE wallet_ledger SET amount = ? WHERE id = ?`, [l!.amount, l!.id]));
  });

  it('sees the waiting list broken: a wanted seat on the public map, an offer holding other seats, an OFFERED entry without its live offer', async () => {
    const [{ schedule_id: scheduleId }] = (await q(`SELECT schedule_id FROM seats WHERE id = ?`, [ids.seat])) as [{ schedule_id: number }];
    const clear = async () => {
      await wq(`DELETE FROM waitlist_offers`);
      await wq(`DELETE FROM waitlist_entries`);
      await wq(`DELETE FROM waitlists`);
    };
    const entry = async (status: string, offer: string | null) =>
      wq(`INSERT INTO waitlist_entries (schedule_id, user_id, quantity, status, offer_reservation_id, active_user_id, created_at) VALUES (?, ?, 1, ?, ?, ?, UTC_TIMESTAMP(3))`, [
        scheduleId,
        ids.other,
        status,
        offer,
        status === 'WAITING' || status === 'OFFERED' ? ids.other : null,
      ]) as unknown as Promise<{ insertId: number }>;
    const offer = async (reservationId: string, entryId: number, seatIds: string) =>
      wq(`INSERT INTO waitlist_offers (reservation_id, entry_id, schedule_id, user_id, released_from, seat_ids, expires_at, created_at) VALUES (?, ?, ?, ?, 'source', ?, UTC_TIMESTAMP(3), UTC_TIMESTAMP(3))`, [
        reservationId,
        entryId,
        scheduleId,
        ids.other,
        seatIds,
      ]);
    // A WAITING entry (of a buyer with room) while seats it wants are AVAILABLE.
    await expectCaught(
      /seat on the public map while a waiting entry/,
      async () => {
        await wq(`INSERT INTO waitlists (schedule_id, created_at) VALUES (?, UTC_TIMESTAMP(3))`, [scheduleId]);
        await entry('WAITING', null);
      },
      clear,
    );
    // An offer whose reservation holds other seats than the offer names.
    await expectCaught(/offer whose reservation is missing, of another buyer, or holds other seats/, async () => offer(ids.held, (await entry('LEFT', ids.held)).insertId, '[999999]'), clear);
    // An OFFERED entry whose offer's reservation is no longer HELD (the refunded one).
    const [{ seat_id: refundedSeat }] = (await q(`SELECT seat_id FROM reservation_seats WHERE reservation_id = ?`, [ids.refunded])) as [{ seat_id: number }];
    await expectCaught(/OFFERED entry without its live offer/, async () => offer(ids.refunded, (await entry('OFFERED', ids.refunded)).insertId, `[${refundedSeat}]`), clear);
  });

  it('sees a published event that never reached its Kafka topic (invariant 5)', async () => {
    await ensureTopics(ctx);
    const relay = await startRelay(ctx);
    try {
      // Both outboxes (booking's and payment's): the check reads every domain's published events.
      const unpublished = async () =>
        Number((await q(`SELECT COUNT(*) n FROM domain_events WHERE published_at IS NULL`))[0]!.n) +
        Number((await pq(`SELECT COUNT(*) n FROM domain_events WHERE published_at IS NULL`))[0]!.n);
      await eventually(async () => (await unpublished()) === 0, 60_000, 100);
    } finally {
      await relay.stop();
    }
    expect(await checkEventsOnKafka(ctx.pool, ctx.kafka, ctx.config.KAFKA_TOPIC_PREFIX, { atLeast: 10 })).toEqual([]);
    // An event the log says was published, that no relay ever sent.
    const [e] = await q(`SELECT * FROM domain_events WHERE aggregate_type = 'reservation' AND aggregate_id = ? ORDER BY sequence DESC LIMIT 1`, [ids.held]);
    await q(
      `INSERT INTO domain_events (id, type, schema_version, aggregate_type, aggregate_id, sequence, user_id, payload, occurred_at, published_at)
       VALUES ('00000000-0000-4000-8000-00000000kafk', 'ReservationNoted', 1, 'reservation', ?, ?, ?, ?, UTC_TIMESTAMP(3), UTC_TIMESTAMP(3))`,
      [ids.held, Number(e!.sequence) + 1, e!.user_id, typeof e!.payload === 'string' ? e!.payload : JSON.stringify(e!.payload)],
    );
    try {
      expect((await checkEventsOnKafka(ctx.pool, ctx.kafka, ctx.config.KAFKA_TOPIC_PREFIX, { timeoutMs: 5_000 })).join('\n')).toMatch(/published event not on its Kafka topic: 00000000-0000-4000-8000-00000000kafk/);
    } finally {
      await q(`DELETE FROM domain_events WHERE id = '00000000-0000-4000-8000-00000000kafk'`);
    }
  });
});
