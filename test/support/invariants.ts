import type mysql from 'mysql2/promise';

/**
 * The reservation lifecycle as SPEC.md states it, written out here on purpose rather than imported
 * from src/booking/domain.ts: a checker that borrowed production's table would approve whatever
 * production does, including a wrong transition.
 */
const ALLOWED_TRANSITIONS: Record<string, readonly string[]> = {
  HELD: ['CONFIRMED', 'EXPIRED', 'CANCELLED', 'FAILED'],
  CONFIRMED: ['REFUNDED'],
  EXPIRED: [],
  CANCELLED: [],
  FAILED: [],
  REFUNDED: [],
};
/** The status each reservation event leaves behind (the event log's own vocabulary). */
const STATUS_AFTER_EVENT: Record<string, string> = {
  ReservationHeld: 'HELD',
  ReservationConfirmed: 'CONFIRMED',
  ReservationExpired: 'EXPIRED',
  ReservationCancelled: 'CANCELLED',
  ReservationFailed: 'FAILED',
  ReservationRefunded: 'REFUNDED',
};
/** Ledger kind -> the wallet event that must accompany each of its rows. */
const WALLET_EVENT_OF_KIND: Record<string, string> = { CHARGE: 'WalletCharged', PAYMENT: 'WalletDebited', REFUND: 'WalletRefunded' };

/** Default for invariant 3: how long a HELD row may outlive expiresAt (timer + activity on a busy 2-core machine). */
export const DEFAULT_EXPIRY_GRACE_MS = 30_000;

export interface InvariantOptions {
  /** Invariant 3's stated grace: no HELD row older than expiresAt + this. Default DEFAULT_EXPIRY_GRACE_MS. */
  expiryGraceMs?: number;
  /**
   * The rows the test meant to create. Every check passes on empty tables, so a test that broke
   * before writing anything would pass too; callers state the minimum they expect to exist.
   */
  atLeast?: { reservations?: number; confirmed?: number; payments?: number; events?: number; waitlistOffers?: number };
}

/**
 * SPEC.md invariants checked straight in MySQL after concurrency, fault and load tests. Returns the
 * list of violations (empty = all hold) so a failing test prints every broken rule at once. Safe to
 * call while holds are live: only rows at rest (or past the stated grace) can violate a rule.
 */
export async function checkInvariants(pool: mysql.Pool, opts: InvariantOptions = {}): Promise<string[]> {
  const problems: string[] = [];
  const rows = async (sql: string, params: unknown[] = []) => (await pool.query(sql, params))[0] as Array<Record<string, any>>;
  const expect = async (name: string, sql: string, params: unknown[] = []) => {
    const found = await rows(sql, params);
    if (found.length > 0) problems.push(`${name}: ${JSON.stringify(found.slice(0, 5))}${found.length > 5 ? ` (+${found.length - 5} more)` : ''}`);
  };
  const report = (list: string[], name: string) => {
    if (list.length > 0) problems.push(`${name}: ${list.slice(0, 5).join('; ')}${list.length > 5 ? ` (+${list.length - 5} more)` : ''}`);
  };

  // 0. Not vacuous: the rows the test meant to create exist.
  if (opts.atLeast) {
    const [c] = await rows(
      `SELECT (SELECT COUNT(*) FROM reservations) reservations, (SELECT COUNT(*) FROM reservations WHERE status = 'CONFIRMED') confirmed,
              (SELECT COUNT(*) FROM payments) payments, (SELECT COUNT(*) FROM domain_events) events`,
    );
    for (const [k, min] of Object.entries(opts.atLeast)) {
      if (min !== undefined && Number(c![k]) < min) problems.push(`expected at least ${min} ${k}, found ${c![k]}`);
    }
  }

  // 1. A seat is held or sold by at most one reservation; seat rows agree with their reservation.
  await expect(
    'seat in two live reservations',
    `SELECT rs.seat_id, COUNT(*) n FROM reservation_seats rs JOIN reservations r ON r.id = rs.reservation_id
     WHERE r.status IN ('HELD','CONFIRMED') GROUP BY rs.seat_id HAVING n > 1`,
  );
  await expect(
    'held/sold seat without a matching live reservation',
    `SELECT s.id, s.status, s.reservation_id, r.status AS r_status FROM seats s LEFT JOIN reservations r ON r.id = s.reservation_id
     WHERE (s.status = 'HELD' AND (r.status IS NULL OR r.status <> 'HELD'))
        OR (s.status = 'SOLD' AND (r.status IS NULL OR r.status <> 'CONFIRMED'))
        OR (s.status = 'AVAILABLE' AND s.reservation_id IS NOT NULL)`,
  );
  await expect(
    'live reservation whose seat is not its own',
    `SELECT r.id, r.status, rs.seat_id, s.status AS seat_status, s.reservation_id FROM reservations r
     JOIN reservation_seats rs ON rs.reservation_id = r.id JOIN seats s ON s.id = rs.seat_id
     WHERE (r.status = 'HELD' AND (s.status <> 'HELD' OR s.reservation_id <> r.id))
        OR (r.status = 'CONFIRMED' AND (s.status <> 'SOLD' OR s.reservation_id <> r.id))
        OR (r.status IN ('HELD','CONFIRMED') AND rs.active_seat_id IS NULL)
        OR (r.status NOT IN ('HELD','CONFIRMED') AND rs.active_seat_id IS NOT NULL)`,
  );

  // 2. Money: one successful payment per CONFIRMED reservation, of its amount; every payment has a
  // reservation (LEFT JOIN: an orphan payment must show up, not drop out of an inner join).
  await expect(
    'confirmed reservation without exactly one matching payment',
    `SELECT r.id, r.amount, COUNT(p.id) n, SUM(p.amount) paid FROM reservations r
     LEFT JOIN payments p ON p.reservation_id = r.id AND p.status = 'SUCCEEDED'
     WHERE r.status = 'CONFIRMED' GROUP BY r.id, r.amount HAVING n <> 1 OR paid <> r.amount`,
  );
  await expect(
    'payment without a reservation, or for another user or amount',
    `SELECT p.id, p.reservation_id, p.amount, r.amount AS r_amount FROM payments p LEFT JOIN reservations r ON r.id = p.reservation_id
     WHERE r.id IS NULL OR r.user_id <> p.user_id OR r.amount <> p.amount`,
  );
  await expect(
    'successful payment for a reservation that is not confirmed',
    `SELECT p.id, p.reservation_id, r.status FROM payments p LEFT JOIN reservations r ON r.id = p.reservation_id
     WHERE p.status = 'SUCCEEDED' AND (r.status IS NULL OR r.status <> 'CONFIRMED')`,
  );
  await expect(
    'refunded payment without exactly one matching refund',
    `SELECT p.id, p.amount, COUNT(f.id) n, SUM(f.amount) refunded FROM payments p LEFT JOIN refunds f ON f.payment_id = p.id
     WHERE p.status = 'REFUNDED' GROUP BY p.id, p.amount HAVING n <> 1 OR refunded <> p.amount`,
  );
  await expect(
    'refund of a payment that is not refunded, or of another reservation',
    `SELECT f.id, f.payment_id, p.status, f.reservation_id FROM refunds f LEFT JOIN payments p ON p.id = f.payment_id
     WHERE p.id IS NULL OR p.status <> 'REFUNDED' OR p.reservation_id <> f.reservation_id`,
  );
  // The ledger's PAYMENT and REFUND rows, matched one-to-one with the payments and refunds tables.
  await expect(
    'payment without exactly one ledger PAYMENT row of minus its amount',
    `SELECT p.id, p.reservation_id, p.amount, COUNT(l.id) n, SUM(l.amount) ledger FROM payments p
     LEFT JOIN wallet_ledger l ON l.kind = 'PAYMENT' AND l.reference = p.reservation_id AND l.user_id = p.user_id
     GROUP BY p.id, p.reservation_id, p.amount HAVING n <> 1 OR ledger <> -p.amount`,
  );
  await expect(
    'ledger PAYMENT row without its payment',
    `SELECT l.id, l.user_id, l.reference, l.amount FROM wallet_ledger l LEFT JOIN payments p ON p.reservation_id = l.reference AND p.user_id = l.user_id
     WHERE l.kind = 'PAYMENT' AND p.id IS NULL`,
  );
  await expect(
    'refund without exactly one ledger REFUND row of its amount',
    `SELECT f.id, f.reservation_id, f.amount, COUNT(l.id) n, SUM(l.amount) ledger FROM refunds f JOIN payments p ON p.id = f.payment_id
     LEFT JOIN wallet_ledger l ON l.kind = 'REFUND' AND l.reference = f.reservation_id AND l.user_id = p.user_id
     GROUP BY f.id, f.reservation_id, f.amount HAVING n <> 1 OR ledger <> f.amount`,
  );
  await expect(
    'ledger REFUND row without its refund',
    `SELECT l.id, l.user_id, l.reference, l.amount FROM wallet_ledger l LEFT JOIN refunds f ON f.reservation_id = l.reference
     WHERE l.kind = 'REFUND' AND f.id IS NULL`,
  );

  // 3. No HELD reservation outlives expiresAt by more than the stated grace, and none is expired early.
  const graceMs = opts.expiryGraceMs ?? DEFAULT_EXPIRY_GRACE_MS;
  await expect('hold past its expiry plus grace', `SELECT id, expires_at FROM reservations WHERE status = 'HELD' AND expires_at < (UTC_TIMESTAMP(3) - INTERVAL ? MICROSECOND)`, [
    graceMs * 1000,
  ]);
  await expect(
    'hold expired before its expiresAt',
    `SELECT r.id, r.expires_at, r.closed_at, e.occurred_at FROM reservations r
     LEFT JOIN domain_events e ON e.aggregate_type = 'reservation' AND e.aggregate_id = r.id AND e.type = 'ReservationExpired'
     WHERE (r.status = 'EXPIRED' AND (r.closed_at IS NULL OR r.closed_at < r.expires_at)) OR e.occurred_at < r.expires_at`,
  );
  await expect(
    'payment taken at or after the hold expired',
    `SELECT p.id, p.reservation_id, p.created_at, r.expires_at FROM payments p JOIN reservations r ON r.id = p.reservation_id WHERE p.created_at >= r.expires_at`,
  );

  // 4. Wallets: the cached balance is the ledger's sum, and the balance_after chain adds up row by
  // row, never below zero at any step.
  await expect(
    'wallet balance not equal to its ledger',
    `SELECT w.user_id, w.balance, COALESCE(SUM(l.amount), 0) ledger FROM wallets w LEFT JOIN wallet_ledger l ON l.user_id = w.user_id
     GROUP BY w.user_id, w.balance HAVING w.balance < 0 OR w.balance <> ledger`,
  );
  const ledger = await rows(`SELECT id, user_id, kind, amount, balance_after, reference FROM wallet_ledger ORDER BY user_id, id`);
  const chain: string[] = [];
  let prevUser: number | undefined;
  let running = 0;
  for (const l of ledger) {
    if (l.user_id !== prevUser) [prevUser, running] = [l.user_id, 0];
    running += Number(l.amount);
    if (Number(l.balance_after) !== running) chain.push(`user ${l.user_id} ledger ${l.id}: balance_after ${l.balance_after}, running sum ${running}`);
    if (running < 0 || Number(l.balance_after) < 0) chain.push(`user ${l.user_id} ledger ${l.id}: negative balance ${running}`);
    if ((l.kind === 'PAYMENT') !== Number(l.amount) < 0) chain.push(`user ${l.user_id} ledger ${l.id}: ${l.kind} with amount ${l.amount}`);
  }
  report(chain, 'wallet ledger chain broken');

  // 5. Every state change is an event, in order per aggregate; folding the events gives the row.
  await expect(
    'aggregate event sequence with gaps',
    `SELECT aggregate_type, aggregate_id, COUNT(*) n, MAX(sequence) top FROM domain_events GROUP BY aggregate_type, aggregate_id HAVING n <> top`,
  );
  const events = await rows(`SELECT aggregate_id, type, sequence, payload FROM domain_events WHERE aggregate_type = 'reservation' ORDER BY aggregate_id, sequence`);
  const byReservation = new Map<string, Array<{ type: string; payload: Record<string, any> }>>();
  for (const e of events) {
    const list = byReservation.get(e.aggregate_id) ?? [];
    list.push({ type: e.type, payload: typeof e.payload === 'string' ? JSON.parse(e.payload) : e.payload });
    byReservation.set(e.aggregate_id, list);
  }
  const seatRows = await rows(`SELECT reservation_id, seat_id FROM reservation_seats ORDER BY reservation_id, seat_id`);
  const seatsOf = new Map<string, number[]>();
  for (const s of seatRows) seatsOf.set(s.reservation_id, [...(seatsOf.get(s.reservation_id) ?? []), Number(s.seat_id)]);
  const folds: string[] = [];
  const reservationRows = await rows(`SELECT id, status, amount, user_id, schedule_id FROM reservations`);
  for (const r of reservationRows) {
    const log = byReservation.get(r.id) ?? [];
    byReservation.delete(r.id);
    const first = log[0];
    if (!first || first.type !== 'ReservationHeld') {
      folds.push(`reservation ${r.id}: log starts with ${first?.type ?? 'nothing'}, not ReservationHeld`);
      continue;
    }
    // Fold with the checker's own transition table.
    let status = 'HELD';
    for (const e of log.slice(1)) {
      const next = STATUS_AFTER_EVENT[e.type];
      if (!next) continue;
      if (!ALLOWED_TRANSITIONS[status]!.includes(next)) folds.push(`reservation ${r.id}: ${e.type} after ${status}`);
      status = next;
    }
    const held = first.payload;
    const heldSeats = (held.seats as Array<{ seatId: number }>).map((s) => s.seatId).sort((a, b) => a - b);
    const rowSeats = seatsOf.get(r.id) ?? [];
    if (status !== r.status) folds.push(`reservation ${r.id}: row ${r.status}, events ${status}`);
    if (held.amount !== Number(r.amount) || held.userId !== Number(r.user_id) || held.scheduleId !== Number(r.schedule_id))
      folds.push(`reservation ${r.id}: row ${r.user_id}/${r.schedule_id}/${r.amount}, held event ${held.userId}/${held.scheduleId}/${held.amount}`);
    if (heldSeats.join(',') !== rowSeats.join(',')) folds.push(`reservation ${r.id}: row seats [${rowSeats}], held event seats [${heldSeats}]`);
    // Every later event names the same seats.
    for (const e of log.slice(1)) {
      const named = e.payload.seatIds as number[] | undefined;
      if (named && [...named].sort((a, b) => a - b).join(',') !== rowSeats.join(',')) folds.push(`reservation ${r.id}: ${e.type} names seats [${named}], row [${rowSeats}]`);
    }
  }
  for (const id of byReservation.keys()) folds.push(`events for reservation ${id}, which has no row`);
  report(folds, 'event log disagrees with reservations');

  // Ledger rows and wallet events, matched per wallet and per reference (not as global counts,
  // where a missing event on one wallet and an extra one on another would cancel out).
  const walletEvents = await rows(`SELECT aggregate_id, type, payload FROM domain_events WHERE aggregate_type = 'wallet'`);
  const eventKeys = new Map<string, number>();
  for (const e of walletEvents) {
    const p = typeof e.payload === 'string' ? JSON.parse(e.payload) : e.payload;
    const key = `${e.aggregate_id}|${e.type}|${p.reference}|${p.amount}|${p.balance}`;
    eventKeys.set(key, (eventKeys.get(key) ?? 0) + 1);
  }
  const unmatched: string[] = [];
  for (const l of ledger) {
    const key = `${l.user_id}|${WALLET_EVENT_OF_KIND[l.kind]}|${l.reference}|${Math.abs(Number(l.amount))}|${Number(l.balance_after)}`;
    const n = eventKeys.get(key) ?? 0;
    if (n === 0) unmatched.push(`ledger ${l.id} (user ${l.user_id} ${l.kind} ${l.amount}) has no wallet event`);
    else eventKeys.set(key, n - 1);
  }
  for (const [key, n] of eventKeys) if (n > 0) unmatched.push(`wallet event ${key} x${n} has no ledger row`);
  report(unmatched, 'wallet ledger and wallet events differ');
  problems.push(...(await checkWaitlist(pool, opts.atLeast?.waitlistOffers)));
  return problems;
}

/**
 * Invariant 8, waiting-list half (issue 11): every seat offered from the waiting list is held by at
 * most one reservation; an entry has at most one live offer and is OFFERED exactly while it does;
 * and no seat sits on the public map while a waiting entry with room under its ticket limit wants it.
 */
export async function checkWaitlist(pool: mysql.Pool, minOffers = 0): Promise<string[]> {
  const problems: string[] = [];
  const expect = async (name: string, sql: string) => {
    const [found] = (await pool.query(sql)) as unknown as [Array<Record<string, unknown>>];
    if (found.length > 0) problems.push(`${name}: ${JSON.stringify(found.slice(0, 5))}${found.length > 5 ? ` (+${found.length - 5} more)` : ''}`);
  };
  const [[c]] = (await pool.query(`SELECT COUNT(*) n FROM waitlist_offers`)) as unknown as [Array<{ n: number }>];
  if (Number(c!.n) < minOffers) problems.push(`expected at least ${minOffers} waiting-list offers, found ${c!.n}`);
  await expect(
    'offered seat held by more than one reservation',
    `SELECT rs.seat_id, COUNT(DISTINCT r.id) n FROM reservation_seats rs JOIN reservations r ON r.id = rs.reservation_id AND r.status IN ('HELD','CONFIRMED')
     WHERE rs.seat_id IN (SELECT o_rs.seat_id FROM waitlist_offers o JOIN reservation_seats o_rs ON o_rs.reservation_id = o.reservation_id)
     GROUP BY rs.seat_id HAVING n > 1`,
  );
  await expect(
    'offer whose reservation is missing, of another buyer, or holds other seats than offered',
    `SELECT o.reservation_id, o.user_id, r.user_id AS r_user, o.seat_ids, GROUP_CONCAT(rs.seat_id ORDER BY rs.seat_id) AS r_seats
     FROM waitlist_offers o LEFT JOIN reservations r ON r.id = o.reservation_id LEFT JOIN reservation_seats rs ON rs.reservation_id = o.reservation_id
     GROUP BY o.reservation_id, o.user_id, r.user_id, o.seat_ids
     HAVING r.user_id IS NULL OR r.user_id <> o.user_id OR REPLACE(REPLACE(REPLACE(o.seat_ids, '[', ''), ']', ''), ' ', '') <> r_seats`,
  );
  await expect(
    'entry with more than one live offer',
    `SELECT o.entry_id, COUNT(*) n FROM waitlist_offers o JOIN reservations r ON r.id = o.reservation_id AND r.status = 'HELD' GROUP BY o.entry_id HAVING n > 1`,
  );
  await expect(
    'OFFERED entry without its live offer, or a live offer whose entry moved on',
    `SELECT e.id, e.status, e.offer_reservation_id, r.id AS offer, r.status AS r_status FROM waitlist_entries e
     JOIN waitlist_offers o ON o.entry_id = e.id LEFT JOIN reservations r ON r.id = o.reservation_id
     WHERE (e.status = 'OFFERED' AND e.offer_reservation_id = o.reservation_id AND r.status <> 'HELD')
        OR (r.status = 'HELD' AND e.status NOT IN ('LEFT','CLOSED') AND (e.status <> 'OFFERED' OR e.offer_reservation_id <> o.reservation_id))`,
  );
  await expect(
    'entry on the list without its active marker, or off it with one',
    `SELECT id, status, user_id, active_user_id FROM waitlist_entries
     WHERE (status IN ('WAITING','OFFERED') AND (active_user_id IS NULL OR active_user_id <> user_id)) OR (status NOT IN ('WAITING','OFFERED') AND active_user_id IS NOT NULL)`,
  );
  await expect(
    'seat on the public map while a waiting entry with ticket room wants it',
    `SELECT e.id AS entry_id, s.id AS seat_id FROM waitlist_entries e
     JOIN waitlists w ON w.schedule_id = e.schedule_id AND w.closed_at IS NULL
     JOIN schedules sc ON sc.id = e.schedule_id
     JOIN seats s ON s.schedule_id = e.schedule_id AND s.status = 'AVAILABLE' AND (e.tier IS NULL OR s.tier = e.tier) AND (e.section IS NULL OR s.section = e.section)
     WHERE e.status = 'WAITING' AND sc.max_tickets_per_user > (SELECT COUNT(*) FROM reservation_seats rs JOIN reservations r ON r.id = rs.reservation_id
       WHERE r.user_id = e.user_id AND r.schedule_id = e.schedule_id AND r.status IN ('HELD','CONFIRMED'))`,
  );
  return problems;
}

/**
 * Ticket limit (issue 10): no buyer holds or owns more seats of a schedule, over all their live
 * reservations, than the schedule's max_tickets_per_user. Separate from checkInvariants so that a
 * test which lowers a limit below what a buyer already has (allowed: holds made stand) can skip it.
 */
export async function checkTicketLimit(pool: mysql.Pool): Promise<string[]> {
  const [found] = (await pool.query(
    `SELECT r.user_id, r.schedule_id, COUNT(*) seats, s.max_tickets_per_user AS max_tickets
     FROM reservations r JOIN reservation_seats rs ON rs.reservation_id = r.id JOIN schedules s ON s.id = r.schedule_id
     WHERE r.status IN ('HELD','CONFIRMED') GROUP BY r.user_id, r.schedule_id, s.max_tickets_per_user HAVING seats > max_tickets`,
  )) as unknown as [Array<Record<string, unknown>>];
  return found.length > 0 ? [`buyer over the ticket limit: ${JSON.stringify(found.slice(0, 5))}`] : [];
}
