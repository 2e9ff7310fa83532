import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import type mysql from 'mysql2/promise';
import { allAggregateTypes, topicFor } from '../../src/events/catalog.js';

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
const WALLET_EVENT_OF_KIND: Record<string, string> = { CHARGE: 'WalletCharged', PAYMENT: 'WalletDebited', REFUND: 'WalletRefunded', ADJUSTMENT: 'WalletAdjusted' };
/** Wallet events whose payload amount is signed (the rest carry the movement's size). */
const SIGNED_WALLET_EVENTS = new Set(['WalletAdjusted']);

/** Default for invariant 3: how long a HELD row may outlive expiresAt (timer + activity on a busy 2-core machine). */
export const DEFAULT_EXPIRY_GRACE_MS = 30_000;

export interface InvariantOptions {
  /** Invariant 3's stated grace: no HELD row older than expiresAt + this. Default DEFAULT_EXPIRY_GRACE_MS. */
  expiryGraceMs?: number;
  /**
   * The rows the test meant to create. Every check passes on empty tables, so a test that broke
   * before writing anything would pass too; callers state the minimum they expect to exist.
   */
  atLeast?: { reservations?: number; confirmed?: number; payments?: number; events?: number; tickets?: number; adjustments?: number; waitlistOffers?: number };
}

/** Each booking pool's sibling pools on the other domain databases (the harness registers them). */
type DomainPools = { payment: mysql.Pool; waitlist: mysql.Pool; identity: mysql.Pool };
const domainPools = new WeakMap<mysql.Pool, DomainPools>();
export function registerDomainPools(booking: mysql.Pool, others: DomainPools): void {
  domainPools.set(booking, others);
}

/**
 * Each other domain's tables, copied under these names; a domain's outbox becomes `<domain>_events`.
 * Copied in this order, each database in one snapshot of its own, before booking's is taken.
 */
const DOMAIN_TABLES: Record<keyof DomainPools, Record<string, string>> = {
  payment: {
    wallets: 'wallets',
    wallet_ledger: 'wallet_ledger',
    payments: 'payments',
    refunds: 'refunds',
    card_payments: 'card_payments',
    provider_events: 'provider_events',
    domain_events: 'payment_events',
  },
  waitlist: { waitlists: 'waitlists', waitlist_entries: 'waitlist_entries', waitlist_offers: 'waitlist_offers', domain_events: 'waitlist_events' },
  // Identity's outbox only: no rule reads the accounts themselves.
  identity: { domain_events: 'identity_events' },
};

/**
 * No query crosses databases, the checker's included: it reads each other domain's database (payment's,
 * the waiting list's, identity's) through that domain's own pool (one consistent snapshot there), then puts those
 * rows into TEMPORARY tables of its own booking connection (seen by that connection only, gone when it
 * is released), so the rules that relate money or offers to reservations stay SQL over snapshots taken
 * one after the other.
 */
async function withDomainCopies<T>(pool: mysql.Pool, fn: (conn: mysql.PoolConnection) => Promise<T>): Promise<T> {
  const pools = domainPools.get(pool);
  if (!pools) throw new Error('checkInvariants: no domain pools registered for this booking pool (registerDomainPools)');
  const copies: Array<{ name: string; create: string; columns: string[]; rows: unknown[][] }> = [];
  for (const [domain, tables] of Object.entries(DOMAIN_TABLES) as Array<[keyof DomainPools, Record<string, string>]>) {
    const source = await pools[domain].getConnection();
    try {
      await source.query('START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY');
      for (const [table, name] of Object.entries(tables)) {
        const [[created]] = (await source.query(`SHOW CREATE TABLE \`${table}\``)) as unknown as [Array<Record<string, string>>];
        const create = created!['Create Table']!.replace(/^CREATE TABLE `[^`]+`/, `CREATE TEMPORARY TABLE \`${name}\``);
        const [rows, fields] = (await source.query({ sql: `SELECT * FROM \`${table}\``, rowsAsArray: true })) as unknown as [unknown[][], Array<{ name: string }>];
        copies.push({ name, create, columns: fields.map((f) => f.name), rows });
      }
    } finally {
      await source.query('ROLLBACK').catch(() => undefined);
      source.release();
    }
  }
  const conn = await pool.getConnection();
  try {
    for (const c of copies) {
      await conn.query(c.create);
      for (let i = 0; i < c.rows.length; i += 1000) {
        await conn.query(`INSERT INTO \`${c.name}\` (${c.columns.map((n) => `\`${n}\``).join(', ')}) VALUES ?`, [c.rows.slice(i, i + 1000)]);
      }
    }
    return await fn(conn);
  } finally {
    for (const c of copies) await conn.query(`DROP TEMPORARY TABLE IF EXISTS \`${c.name}\``).catch(() => undefined);
    conn.release();
  }
}

/**
 * SPEC.md invariants checked straight in MySQL after concurrency, fault and load tests. Returns the
 * list of violations (empty = all hold) so a failing test prints every broken rule at once. Safe to
 * call while holds are live: only rows at rest (or past the stated grace) can violate a rule.
 * `pool` is booking's; payment's database is read through the pool registered beside it.
 */
export async function checkInvariants(pool: mysql.Pool, opts: InvariantOptions = {}): Promise<string[]> {
  // Every rule reads one consistent snapshot per database: called while purchases commit, a ledger
  // row read by one query and its event read by the next (or tickets and their TicketsIssued event)
  // would otherwise straddle a commit and report a violation that never existed. Payment's snapshot
  // is taken first: a payment is always older than the confirmation booking's snapshot may show.
  return withDomainCopies(pool, async (conn) => {
    try {
      await conn.query('START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY');
      return await checkSnapshot(conn, opts);
    } finally {
      await conn.query('ROLLBACK').catch(() => undefined);
    }
  });
}

async function checkSnapshot(db: mysql.PoolConnection, opts: InvariantOptions): Promise<string[]> {
  const problems: string[] = [];
  const rows = async (sql: string, params: unknown[] = []) => (await db.query(sql, params))[0] as Array<Record<string, any>>;
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
              (SELECT COUNT(*) FROM payments) payments, (SELECT COUNT(*) FROM domain_events) + (SELECT COUNT(*) FROM payment_events) + (SELECT COUNT(*) FROM waitlist_events) + (SELECT COUNT(*) FROM identity_events) events, (SELECT COUNT(*) FROM tickets) tickets,
              (SELECT COUNT(*) FROM wallet_ledger WHERE kind = 'ADJUSTMENT') adjustments`,
    );
    for (const [k, min] of Object.entries(opts.atLeast)) {
      if (min !== undefined && Number(c![k]) < min) problems.push(`expected at least ${min} ${k}, found ${c![k]}`);
    }
  }

  // 1. A seat is held or sold by at most one reservation; seat rows agree with their reservation.
  // Booking's seat_status holds each seat's status (issue 27): exactly one row per seat of catalog's
  // layout, on the same schedule.
  await expect(
    'seat without its status row, or a status row of no seat or of another schedule',
    `SELECT s.id, s.schedule_id, ss.seat_id, ss.schedule_id AS status_schedule FROM seats s LEFT JOIN seat_status ss ON ss.seat_id = s.id
     WHERE ss.seat_id IS NULL OR ss.schedule_id <> s.schedule_id
     UNION ALL
     SELECT NULL, NULL, ss.seat_id, ss.schedule_id FROM seat_status ss LEFT JOIN seats s ON s.id = ss.seat_id WHERE s.id IS NULL`,
  );
  await expect(
    'seat in two live reservations',
    `SELECT rs.seat_id, COUNT(*) n FROM reservation_seats rs JOIN reservations r ON r.id = rs.reservation_id
     WHERE r.status IN ('HELD','CONFIRMED') GROUP BY rs.seat_id HAVING n > 1`,
  );
  await expect(
    'held/sold seat without a matching live reservation',
    `SELECT s.seat_id, s.status, s.reservation_id, r.status AS r_status FROM seat_status s LEFT JOIN reservations r ON r.id = s.reservation_id
     WHERE (s.status = 'HELD' AND (r.status IS NULL OR r.status <> 'HELD'))
        OR (s.status = 'SOLD' AND (r.status IS NULL OR r.status <> 'CONFIRMED'))
        OR (s.status = 'AVAILABLE' AND s.reservation_id IS NOT NULL)`,
  );
  await expect(
    'live reservation whose seat is not its own',
    `SELECT r.id, r.status, rs.seat_id, s.status AS seat_status, s.reservation_id FROM reservations r
     JOIN reservation_seats rs ON rs.reservation_id = r.id JOIN seat_status s ON s.seat_id = rs.seat_id
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
  // The ledger's PAYMENT and REFUND rows, matched one-to-one with the payments and refunds tables
  // paid from the wallet (card payments move money at the provider: invariant 9 below).
  await expect(
    'payment without exactly one ledger PAYMENT row of minus its amount',
    `SELECT p.id, p.reservation_id, p.amount, COUNT(l.id) n, SUM(l.amount) ledger FROM payments p
     LEFT JOIN wallet_ledger l ON l.kind = 'PAYMENT' AND l.reference = p.reservation_id AND l.user_id = p.user_id
     WHERE NOT EXISTS (SELECT 1 FROM card_payments c WHERE c.reservation_id = p.reservation_id AND c.status IN ('SUCCEEDED','REFUNDED'))
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
     WHERE NOT EXISTS (SELECT 1 FROM card_payments c WHERE c.reservation_id = f.reservation_id AND c.status IN ('SUCCEEDED','REFUNDED'))
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
    `SELECT p.id, p.reservation_id, p.created_at, r.expires_at FROM payments p JOIN reservations r ON r.id = p.reservation_id WHERE p.created_at >= r.expires_at
       AND NOT EXISTS (SELECT 1 FROM card_payments c WHERE c.reservation_id = p.reservation_id AND c.status IN ('SUCCEEDED','REFUNDED'))`,
  );
  // (A card payment may be applied at expiry: the provider said it had succeeded when the workflow
  // tried to cancel it, so the money was taken in time. checkProviderAgreement checks those.)

  // 9. Card payments, our side: a succeeded card payment is the reservation's one payment; a refunded
  // one has its provider refund; one refunded as late was never applied to seats.
  await expect(
    'card payment succeeded without its payment row or a confirmed reservation',
    `SELECT c.reservation_id, c.status, p.status p_status, r.status r_status FROM card_payments c
     LEFT JOIN payments p ON p.reservation_id = c.reservation_id LEFT JOIN reservations r ON r.id = c.reservation_id
     WHERE (c.status = 'SUCCEEDED' AND (p.status IS NULL OR p.status <> 'SUCCEEDED' OR r.status <> 'CONFIRMED' OR p.amount <> c.amount))
        OR (c.status = 'REFUNDED' AND (p.status IS NULL OR p.status <> 'REFUNDED' OR r.status <> 'REFUNDED' AND r.status <> 'CANCELLED' AND r.status <> 'FAILED'))`,
  );
  await expect(
    'card payment refunded without a provider refund, or refunded late after all applied',
    `SELECT c.reservation_id, c.status, c.provider_refund_id, r.status r_status FROM card_payments c LEFT JOIN reservations r ON r.id = c.reservation_id
     WHERE (c.status IN ('REFUNDED','LATE_REFUNDED') AND c.provider_refund_id IS NULL)
        OR (c.status = 'LATE_REFUNDED' AND r.status = 'CONFIRMED' AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.reservation_id = c.reservation_id))`,
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
    // Payments are debits, charges and refunds credits; an admin adjustment is either, never zero.
    const signOk = l.kind === 'ADJUSTMENT' ? Number(l.amount) !== 0 : (l.kind === 'PAYMENT') === Number(l.amount) < 0;
    if (!signOk) chain.push(`user ${l.user_id} ledger ${l.id}: ${l.kind} with amount ${l.amount}`);
  }
  report(chain, 'wallet ledger chain broken');

  // 5. Every state change is an event, in order per aggregate; folding the events gives the row.
  await expect(
    'aggregate event sequence with gaps',
    `SELECT aggregate_type, aggregate_id, COUNT(*) n, MAX(sequence) top FROM domain_events GROUP BY aggregate_type, aggregate_id HAVING n <> top`,
  );
  await expect(
    "aggregate event sequence with gaps in payment's outbox",
    `SELECT aggregate_type, aggregate_id, COUNT(*) n, MAX(sequence) top FROM payment_events GROUP BY aggregate_type, aggregate_id HAVING n <> top`,
  );
  await expect(
    "aggregate event sequence with gaps in the waiting list's outbox",
    `SELECT aggregate_type, aggregate_id, COUNT(*) n, MAX(sequence) top FROM waitlist_events GROUP BY aggregate_type, aggregate_id HAVING n <> top`,
  );
  await expect(
    "aggregate event sequence with gaps in identity's outbox",
    `SELECT aggregate_type, aggregate_id, COUNT(*) n, MAX(sequence) top FROM identity_events GROUP BY aggregate_type, aggregate_id HAVING n <> top`,
  );
  await expect(
    "user or security event outside identity's outbox",
    `SELECT id, type, aggregate_id FROM domain_events WHERE aggregate_type IN ('user', 'security')
     UNION ALL SELECT id, type, aggregate_id FROM payment_events WHERE aggregate_type IN ('user', 'security')
     UNION ALL SELECT id, type, aggregate_id FROM waitlist_events WHERE aggregate_type IN ('user', 'security')`,
  );
  await expect(
    "waitlist event outside the waiting list's outbox",
    `SELECT id, type, aggregate_id FROM domain_events WHERE aggregate_type = 'waitlist' UNION ALL SELECT id, type, aggregate_id FROM payment_events WHERE aggregate_type = 'waitlist'`,
  );
  await expect(
    "payment or wallet event outside payment's outbox",
    `SELECT id, type, aggregate_id FROM domain_events WHERE aggregate_type IN ('payment', 'wallet')`,
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
  const walletEvents = await rows(`SELECT aggregate_id, type, payload FROM payment_events WHERE aggregate_type = 'wallet'`);
  const eventKeys = new Map<string, number>();
  const unmatched: string[] = [];
  for (const e of walletEvents) {
    const p = typeof e.payload === 'string' ? JSON.parse(e.payload) : e.payload;
    const key = `${e.aggregate_id}|${e.type}|${p.reference}|${p.amount}|${p.balance}`;
    if (e.type === 'WalletAdjusted' && !(typeof p.reason === 'string' && p.reason.length > 0 && Number.isInteger(p.adminId))) unmatched.push(`wallet event ${key}: an adjustment without its reason or admin`);
    eventKeys.set(key, (eventKeys.get(key) ?? 0) + 1);
  }
  for (const l of ledger) {
    const type = WALLET_EVENT_OF_KIND[l.kind]!;
    const amount = SIGNED_WALLET_EVENTS.has(type) ? Number(l.amount) : Math.abs(Number(l.amount));
    const key = `${l.user_id}|${type}|${l.reference}|${amount}|${Number(l.balance_after)}`;
    const n = eventKeys.get(key) ?? 0;
    if (n === 0) unmatched.push(`ledger ${l.id} (user ${l.user_id} ${l.kind} ${l.amount}) has no wallet event`);
    else eventKeys.set(key, n - 1);
  }
  for (const [key, n] of eventKeys) if (n > 0) unmatched.push(`wallet event ${key} x${n} has no ledger row`);
  report(unmatched, 'wallet ledger and wallet events differ');
  // Every adjustment is also an admin action on that user's wallet (the audit log shows who and why),
  // recorded through identity's SecurityAudit in identity's outbox (booking's kept those from before the move).
  await expect(
    'wallet adjustment without its AdminAction',
    `SELECT l.user_id, COUNT(*) adjustments, (SELECT COUNT(*) FROM (SELECT type, payload FROM domain_events UNION ALL SELECT type, payload FROM identity_events) e WHERE e.type = 'AdminAction'
       AND JSON_VALUE(e.payload, '$.action') = 'wallet.adjust' AND JSON_VALUE(e.payload, '$.target') = CONCAT('user-', l.user_id)) actions
     FROM wallet_ledger l WHERE l.kind = 'ADJUSTMENT' GROUP BY l.user_id HAVING adjustments <> actions`,
  );

  // 8. Tickets: every ticket belongs to exactly one seat of its reservation; while that reservation
  // is CONFIRMED the seat is SOLD to it; a reservation that was never confirmed has none; each
  // CONFIRMED seat has exactly one ticket; a ticket admits at most once, and never after its refund.
  await expect(
    'ticket not on a seat of its reservation, or for another schedule',
    `SELECT t.id, t.reservation_id, t.seat_id, r.status FROM tickets t LEFT JOIN reservations r ON r.id = t.reservation_id
     LEFT JOIN reservation_seats rs ON rs.reservation_id = t.reservation_id AND rs.seat_id = t.seat_id
     WHERE r.id IS NULL OR rs.seat_id IS NULL OR r.schedule_id <> t.schedule_id`,
  );
  // Transfers (docs/tickets.md "Transfer"): a ticket's holder is the recipient of its last accepted
  // transfer, or its buyer when it never moved.
  await expect(
    "ticket held by someone other than its last accepted transfer's recipient (or its buyer)",
    `SELECT t.id, t.user_id, r.user_id buyer, (SELECT x.to_user_id FROM ticket_transfers x WHERE x.ticket_id = t.id AND x.status = 'ACCEPTED'
       ORDER BY x.closed_at DESC, x.created_at DESC LIMIT 1) last_recipient
     FROM tickets t JOIN reservations r ON r.id = t.reservation_id HAVING t.user_id <> COALESCE(last_recipient, buyer)`,
  );
  await expect(
    'transfer not of its ticket, or naming another buyer',
    `SELECT x.id, x.ticket_id FROM ticket_transfers x LEFT JOIN tickets t ON t.id = x.ticket_id LEFT JOIN reservations r ON r.id = x.reservation_id
     WHERE t.id IS NULL OR t.reservation_id <> x.reservation_id OR t.schedule_id <> x.schedule_id OR r.user_id <> x.buyer_user_id`,
  );
  await expect(
    // An admitted ticket never moves (its holder went in); the move and the scan take the same locks.
    'ticket moved after it was admitted',
    `SELECT x.id, x.closed_at, t.admitted_at FROM ticket_transfers x JOIN tickets t ON t.id = x.ticket_id
     WHERE x.status = 'ACCEPTED' AND t.admitted_at IS NOT NULL AND t.admitted_at < x.closed_at`,
  );
  await expect(
    'transfer whose events do not tell its story (one offer, then exactly the closing event of its status)',
    `SELECT x.id, x.status, GROUP_CONCAT(e.type ORDER BY e.sequence) events FROM ticket_transfers x
     LEFT JOIN domain_events e ON e.aggregate_type = 'ticket' AND e.aggregate_id = CONCAT('transfer-', x.id)
     GROUP BY x.id, x.status
     HAVING events <> CONCAT('TicketTransferOffered', CASE x.status WHEN 'PENDING' THEN '' WHEN 'ACCEPTED' THEN ',TicketTransferAccepted'
       WHEN 'DECLINED' THEN ',TicketTransferDeclined' WHEN 'LAPSED' THEN ',TicketTransferLapsed' ELSE ',TicketTransferWithdrawn' END) OR events IS NULL`,
  );
  await expect(
    'more than one open offer of a ticket, or an open offer past its deadline by more than a minute',
    `SELECT ticket_id, COUNT(*) n, MIN(expires_at) FROM ticket_transfers WHERE status = 'PENDING' GROUP BY ticket_id
     HAVING n > 1 OR MIN(expires_at) < ?`,
    // The workflow's timer closes an offer at its deadline; a minute covers a busy worker.
    [new Date(Date.now() - 60_000)],
  );
  await expect(
    'ticket of a reservation that is not CONFIRMED (nor refunded after it was)',
    `SELECT t.id, t.reservation_id, r.status FROM tickets t JOIN reservations r ON r.id = t.reservation_id WHERE r.status NOT IN ('CONFIRMED', 'REFUNDED')`,
  );
  await expect(
    'ticket of a CONFIRMED reservation whose seat is not SOLD to it',
    `SELECT t.id, t.seat_id, s.status, s.reservation_id FROM tickets t JOIN reservations r ON r.id = t.reservation_id JOIN seat_status s ON s.seat_id = t.seat_id
     WHERE r.status = 'CONFIRMED' AND (s.status <> 'SOLD' OR s.reservation_id IS NULL OR s.reservation_id <> t.reservation_id)`,
  );
  await expect(
    'confirmed seat without exactly one ticket',
    `SELECT rs.reservation_id, rs.seat_id, COUNT(t.id) n FROM reservation_seats rs JOIN reservations r ON r.id = rs.reservation_id
     LEFT JOIN tickets t ON t.reservation_id = rs.reservation_id AND t.seat_id = rs.seat_id
     WHERE r.status = 'CONFIRMED' OR r.confirmed_at IS NOT NULL GROUP BY rs.reservation_id, rs.seat_id HAVING n <> 1`,
  );
  await expect(
    // An offline scan synced later that was scanned earlier than the standing admission replaces it
    // (offline.supersedes, docs/tickets.md "Offline scanning"): standing = ADMITTED minus replacing ones.
    'ticket admitted more than once, or admitted_at without its one ADMITTED scan',
    `SELECT t.id, t.admitted_at, COUNT(e.id) - COUNT(JSON_VALUE(e.payload, '$.offline.supersedes')) admitted FROM tickets t
     LEFT JOIN domain_events e ON e.aggregate_type = 'ticket' AND e.aggregate_id = CONCAT('tickets-', t.reservation_id) AND e.type = 'TicketScanned'
       AND JSON_VALUE(e.payload, '$.ticketId') = t.id AND JSON_VALUE(e.payload, '$.result') = 'ADMITTED'
     GROUP BY t.id, t.admitted_at HAVING admitted > 1 OR (admitted = 1) <> (t.admitted_at IS NOT NULL)`,
  );
  await expect(
    'ticket admitted after its reservation was refunded',
    // By log position, not clock: both are written under the reservation's row lock, so their order
    // in the log is the order in which they happened.
    `SELECT e.aggregate_id, e.position, e.occurred_at, f.position refunded_position FROM domain_events e
     JOIN domain_events f ON f.aggregate_type = 'reservation' AND f.aggregate_id = JSON_VALUE(e.payload, '$.reservationId') AND f.type = 'ReservationRefunded'
     WHERE e.aggregate_type = 'ticket' AND e.type = 'TicketScanned' AND JSON_VALUE(e.payload, '$.result') = 'ADMITTED' AND e.position > f.position`,
  );
  await expect(
    // SPEC invariant 10, on the state: the refund check and the scan serialise on the reservation
    // row, so no ticket is admitted while its payment is, or was, refunded (issue 25, defect 3).
    'admitted ticket whose payment was refunded (invariant 10)',
    `SELECT t.id, t.reservation_id, t.admitted_at, p.status FROM tickets t JOIN payments p ON p.reservation_id = t.reservation_id
     WHERE t.admitted_at IS NOT NULL AND p.status = 'REFUNDED'`,
  );
  const issued = await rows(`SELECT aggregate_id, payload FROM domain_events WHERE aggregate_type = 'ticket' AND type = 'TicketsIssued'`);
  const issues: string[] = [];
  const issuedSeats = new Map<string, string[]>();
  for (const e of issued) {
    const p = typeof e.payload === 'string' ? JSON.parse(e.payload) : e.payload;
    if (e.aggregate_id !== `tickets-${p.reservationId}`) issues.push(`TicketsIssued on aggregate ${e.aggregate_id} for reservation ${p.reservationId}`);
    issuedSeats.set(p.reservationId, [...(issuedSeats.get(p.reservationId) ?? []), [...(p.seatIds as number[])].sort((a, b) => a - b).join(',')]);
  }
  const ticketSeats = await rows(`SELECT reservation_id, GROUP_CONCAT(seat_id ORDER BY seat_id) seats FROM tickets GROUP BY reservation_id`);
  for (const t of ticketSeats) {
    const events = issuedSeats.get(t.reservation_id) ?? [];
    issuedSeats.delete(t.reservation_id);
    if (events.length !== 1 || events[0] !== String(t.seats)) issues.push(`reservation ${t.reservation_id}: tickets for seats [${t.seats}], TicketsIssued events ${JSON.stringify(events)}`);
  }
  for (const id of issuedSeats.keys()) issues.push(`TicketsIssued for reservation ${id}, which has no tickets`);
  report(issues, 'tickets and TicketsIssued events differ');

  problems.push(...(await checkWaitlist(db, opts.atLeast?.waitlistOffers)));
  return problems;
}

/**
 * Invariant 8, waiting-list half (issue 11): every seat offered from the waiting list is held by at
 * most one reservation; an entry has at most one live offer and is OFFERED exactly while it does;
 * and no seat sits on the public map while a waiting entry with room under its ticket limit wants it.
 */
export async function checkWaitlist(pool: mysql.Pool | mysql.PoolConnection, minOffers = 0): Promise<string[]> {
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
     JOIN seats s ON s.schedule_id = e.schedule_id AND (e.tier IS NULL OR s.tier = e.tier) AND (e.section IS NULL OR s.section = e.section)
     JOIN seat_status ss ON ss.seat_id = s.id AND ss.status = 'AVAILABLE'
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

/**
 * Catalog lifecycle (issue 11 part 2): a cancelled performance left every buyer whole (no live
 * reservation, no payment kept, except a purchase whose ticket was admitted at the door, which is
 * never refunded), and no hold was taken on a schedule after its cancellation began (the hold
 * transaction share-locks the schedule row, so it either committed before or was refused).
 */
export async function checkScheduleLifecycle(pool: mysql.Pool): Promise<string[]> {
  return withDomainCopies(pool, (conn) => checkLifecycleRows(conn));
}

async function checkLifecycleRows(conn: mysql.PoolConnection): Promise<string[]> {
  const problems: string[] = [];
  const check = async (name: string, sql: string) => {
    const [found] = (await conn.query(sql)) as unknown as [Array<Record<string, unknown>>];
    if (found.length > 0) problems.push(`${name}: ${JSON.stringify(found.slice(0, 5))}${found.length > 5 ? ` (+${found.length - 5} more)` : ''}`);
  };
  await check(
    'cancelled schedule with a live reservation',
    // A purchase with an admitted ticket is kept (never refunded, invariant 10) and reported.
    `SELECT s.id schedule_id, r.id, r.status FROM schedules s JOIN reservations r ON r.schedule_id = s.id WHERE s.status = 'CANCELLED' AND r.status IN ('HELD','CONFIRMED')
     AND NOT EXISTS (SELECT 1 FROM tickets t WHERE t.reservation_id = r.id AND t.admitted_at IS NOT NULL)`,
  );
  await check(
    'cancelled schedule with a payment not refunded',
    `SELECT s.id schedule_id, p.id payment_id, p.reservation_id FROM schedules s JOIN reservations r ON r.schedule_id = s.id JOIN payments p ON p.reservation_id = r.id
     WHERE s.status = 'CANCELLED' AND p.status <> 'REFUNDED' AND NOT EXISTS (SELECT 1 FROM tickets t WHERE t.reservation_id = r.id AND t.admitted_at IS NOT NULL)`,
  );
  await check(
    'hold taken after the cancellation began',
    `SELECT r.id, r.created_at, e.occurred_at cancelling_at FROM reservations r
     JOIN domain_events e ON e.type = 'ScheduleChanged' AND JSON_VALUE(e.payload, '$.change') = 'CANCELLING' AND JSON_VALUE(e.payload, '$.scheduleId') = r.schedule_id
     WHERE r.created_at >= e.occurred_at`,
  );
  return problems;
}

/**
 * Best available (issue 16): the Redis seat inventory never offers what MySQL has given out. At
 * rest (no hold in flight), every HELD or SOLD seat of the schedule is claimed in Redis by its own
 * reservation ('sold:<id>' once sold), a free row byte never stands for a taken seat, and each
 * row's free count matches its map. Claims MySQL does not show are allowed (a lost release lapses
 * on its own) but listed when `strict` asks for an exact match.
 */
export async function checkSeatInventory(
  pool: mysql.Pool,
  redis: { hgetall(key: string): Promise<Record<string, string>> },
  scheduleId: number,
  opts: { strict?: boolean } = {},
): Promise<string[]> {
  const problems: string[] = [];
  const base = `seatinv:{s${scheduleId}}`;
  const [rows] = (await pool.query(`SELECT s.id, s.section, ss.status, ss.reservation_id FROM seats s JOIN seat_status ss ON ss.seat_id = s.id WHERE s.schedule_id = ?`, [scheduleId])) as unknown as [
    Array<{ id: number; section: string; status: string; reservation_id: string | null }>,
  ];
  const own = await redis.hgetall(`${base}:own`);
  const pos = await redis.hgetall(`${base}:pos`);
  const maps = new Map<string, Record<string, string>>();
  for (const section of new Set(rows.map((r) => r.section))) maps.set(section, await redis.hgetall(`${base}:M:${section}`));
  const wrong: string[] = [];
  const stray: string[] = [];
  for (const seat of rows) {
    const claim = own[seat.id];
    const p = pos[seat.id];
    const byte = p ? maps.get(seat.section)?.[`m${p.split('|')[0]}`]?.[Number(p.split('|')[1]) - 1] : undefined;
    if (seat.status === 'HELD' && claim !== seat.reservation_id) wrong.push(`seat ${seat.id} HELD by ${seat.reservation_id}, Redis says ${claim ?? 'free'}`);
    if (seat.status === 'SOLD' && claim !== `sold:${seat.reservation_id}`) wrong.push(`seat ${seat.id} SOLD to ${seat.reservation_id}, Redis says ${claim ?? 'free'}`);
    if (byte !== undefined && (byte === '1') !== (claim === undefined)) wrong.push(`seat ${seat.id}: map byte ${byte} but claim ${claim ?? 'none'}`);
    if (seat.status === 'AVAILABLE' && claim !== undefined) stray.push(`seat ${seat.id} AVAILABLE, Redis claim ${claim}`);
  }
  for (const [section, map] of maps) {
    for (const [field, value] of Object.entries(map)) {
      if (!/^m\d+$/.test(field)) continue;
      const free = [...value].filter((c) => c === '1').length;
      if (Number(map[`f${field.slice(1)}`]) !== free) wrong.push(`section ${section} row ${field.slice(1)}: free count ${map[`f${field.slice(1)}`]} but map has ${free}`);
    }
  }
  if (wrong.length > 0) problems.push(`seat inventory disagrees with MySQL: ${wrong.slice(0, 5).join('; ')}${wrong.length > 5 ? ` (+${wrong.length - 5} more)` : ''}`);
  if (opts.strict && stray.length > 0) problems.push(`seat inventory claims free seats: ${stray.slice(0, 5).join('; ')}`);
  return problems;
}

/**
 * Invariant 9, the provider's side: every payment that succeeded at the provider for one of this
 * database's reservations is exactly one CONFIRMED reservation's applied card payment, or refunded at
 * the provider in full; every payment we record as succeeded or refunded is so at the provider.
 * `stripe` reads the provider's REST API directly (not through the app's adapter under test).
 */
export async function checkProviderAgreement(
  pool: mysql.Pool,
  stripe: (method: 'GET', path: string) => Promise<{ status: number; body: any }>,
  opts: { atLeastSucceeded?: number } = {},
): Promise<string[]> {
  const problems: string[] = [];
  // Payment's card rows are in payment's database: read through the copies, like checkInvariants.
  const { cards, ours } = await withDomainCopies(pool, async (conn) => {
    const [cards] = (await conn.query(
      `SELECT c.reservation_id, c.provider_payment_id, c.status, c.amount, c.provider_refund_id, r.status r_status, p.status p_status
       FROM card_payments c LEFT JOIN reservations r ON r.id = c.reservation_id LEFT JOIN payments p ON p.reservation_id = c.reservation_id`,
    )) as unknown as [Array<Record<string, any>>];
    const [ours] = (await conn.query('SELECT id FROM reservations')) as unknown as [Array<{ id: string }>];
    return { cards, ours };
  });
  const reservationIds = new Set(ours.map((r) => r.id));
  const byPayment = new Map(cards.map((c) => [c.provider_payment_id as string, c]));
  const intents: any[] = [];
  for (let after: string | undefined; ; ) {
    const page = await stripe('GET', `/v1/payment_intents?limit=100${after ? `&starting_after=${after}` : ''}`);
    intents.push(...page.body.data);
    if (!page.body.has_more || page.body.data.length === 0) break;
    after = page.body.data[page.body.data.length - 1].id;
  }
  let succeeded = 0;
  for (const pi of intents) {
    if (!reservationIds.has(pi.metadata?.reservationId)) continue;
    // (Only a payment that succeeded can have refunds; the emulator fails the query for the others.)
    const refunds = pi.status === 'succeeded' ? ((await stripe('GET', `/v1/refunds?payment_intent=${pi.id}`)).body.data as Array<{ id: string; amount: number }>) : [];
    const refunded = refunds.reduce((sum, r) => sum + r.amount, 0);
    const card = byPayment.get(pi.id);
    if (pi.status === 'succeeded') {
      succeeded += 1;
      if (refunds.length > 1) problems.push(`provider payment ${pi.id} refunded ${refunds.length} times`);
      const applied = card?.status === 'SUCCEEDED' && card.r_status === 'CONFIRMED' && card.p_status === 'SUCCEEDED';
      if (applied && refunded > 0) problems.push(`provider payment ${pi.id} is both applied to a confirmed reservation and refunded`);
      if (!applied && refunded !== pi.amount) problems.push(`provider payment ${pi.id} succeeded (${pi.amount}) but is neither applied (ours: ${card?.status ?? 'none'}, reservation ${card?.r_status ?? '?'}) nor refunded (${refunded})`);
      if (refunded === pi.amount && card && !['REFUNDED', 'LATE_REFUNDED'].includes(card.status)) problems.push(`provider refunded ${pi.id} but we record it ${card.status}`);
    } else if (card && ['SUCCEEDED', 'REFUNDED', 'LATE_REFUNDED'].includes(card.status)) {
      problems.push(`we record ${pi.id} as ${card.status} but the provider says ${pi.status}`);
    }
  }
  if (opts.atLeastSucceeded !== undefined && succeeded < opts.atLeastSucceeded) problems.push(`expected at least ${opts.atLeastSucceeded} succeeded provider payments, found ${succeeded}`);
  return problems;
}

/**
 * Invariant 5, its Kafka half: every event the outbox relay marked published is on its aggregate's
 * topic (KAFKA_TOPIC_PREFIX + aggregate type), keyed by its aggregate id, and nothing that is not in
 * the log appears there. Reads the topics from the beginning with a fresh consumer group until every
 * published event has arrived or `timeoutMs` passes (then the missing ones are reported).
 */
export async function checkEventsOnKafka(pool: mysql.Pool, kafka: Kafka, topicPrefix: string, opts: { timeoutMs?: number; atLeast?: number } = {}): Promise<string[]> {
  // Every domain's outbox: booking's, payment's, the waiting list's and identity's (copied as payment_events, waitlist_events, identity_events).
  const [rows, all] = await withDomainCopies(pool, async (conn) => [
    (await conn.query(`SELECT id, aggregate_type, aggregate_id FROM domain_events WHERE published_at IS NOT NULL UNION ALL SELECT id, aggregate_type, aggregate_id FROM payment_events WHERE published_at IS NOT NULL UNION ALL SELECT id, aggregate_type, aggregate_id FROM waitlist_events WHERE published_at IS NOT NULL UNION ALL SELECT id, aggregate_type, aggregate_id FROM identity_events WHERE published_at IS NOT NULL`))[0],
    // Every logged event, of any outbox: an event on Kafka that none logged is a stranger.
    (await conn.query(`SELECT id FROM domain_events UNION ALL SELECT id FROM payment_events UNION ALL SELECT id FROM waitlist_events UNION ALL SELECT id FROM identity_events`))[0],
  ]);
  const published = new Map((rows as Array<{ id: string; aggregate_type: string; aggregate_id: string }>).map((r) => [r.id, { topic: topicFor(topicPrefix, r.aggregate_type), key: r.aggregate_id }]));
  const problems: string[] = [];
  if (published.size < (opts.atLeast ?? 0)) problems.push(`expected at least ${opts.atLeast} published events, found ${published.size}`);
  const logged = new Set((all as Array<{ id: string }>).map((r) => r.id));
  const seen = new Map<string, { topic: string; key: string }>();
  const consumer = kafka.consumer({ groupId: `invariants-${randomUUID()}`, sessionTimeout: 10_000, heartbeatInterval: 500 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: allAggregateTypes.map((t) => topicFor(topicPrefix, t)), fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ topic, message }) => {
        const id = message.headers?.['event-id']?.toString() ?? (JSON.parse(message.value!.toString()) as { id: string }).id;
        seen.set(id, { topic, key: message.key?.toString() ?? '' });
      },
    });
    const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
    while (Date.now() < deadline && [...published.keys()].some((id) => !seen.has(id))) await new Promise((r) => setTimeout(r, 200));
  } finally {
    await consumer.disconnect();
  }
  const missing: string[] = [];
  const misplaced: string[] = [];
  for (const [id, want] of published) {
    const got = seen.get(id);
    if (!got) missing.push(`${id} (${want.topic})`);
    else if (got.topic !== want.topic || got.key !== want.key) misplaced.push(`${id}: on ${got.topic} key ${got.key}, belongs on ${want.topic} key ${want.key}`);
  }
  const strangers = [...seen.keys()].filter((id) => !logged.has(id));
  if (missing.length) problems.push(`published event not on its Kafka topic: ${missing.slice(0, 5).join('; ')}${missing.length > 5 ? ` (+${missing.length - 5} more)` : ''}`);
  if (misplaced.length) problems.push(`event on the wrong Kafka topic or key: ${misplaced.slice(0, 5).join('; ')}`);
  if (strangers.length) problems.push(`Kafka event not in the log: ${strangers.slice(0, 5).join('; ')}`);
  return problems;
}
