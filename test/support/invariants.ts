import type mysql from 'mysql2/promise';
import { foldReservation } from '../../src/booking/domain.js';

/**
 * SPEC.md invariants checked straight in MySQL after concurrency, fault and load tests. Returns the
 * list of violations (empty = all hold) so a failing test prints every broken rule at once.
 */
export async function checkInvariants(pool: mysql.Pool, opts: { expiryGraceMs?: number } = {}): Promise<string[]> {
  const problems: string[] = [];
  const rows = async (sql: string, params: unknown[] = []) => (await pool.query(sql, params))[0] as Array<Record<string, any>>;
  const expect = async (name: string, sql: string, params: unknown[] = []) => {
    const found = await rows(sql, params);
    if (found.length > 0) problems.push(`${name}: ${JSON.stringify(found.slice(0, 5))}${found.length > 5 ? ` (+${found.length - 5} more)` : ''}`);
  };

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

  // 2. Money and tickets: one successful payment per CONFIRMED reservation, of its amount.
  await expect(
    'confirmed reservation without exactly one matching payment',
    `SELECT r.id, r.amount, COUNT(p.id) n, SUM(p.amount) paid FROM reservations r
     LEFT JOIN payments p ON p.reservation_id = r.id AND p.status = 'SUCCEEDED'
     WHERE r.status = 'CONFIRMED' GROUP BY r.id, r.amount HAVING n <> 1 OR paid <> r.amount`,
  );
  await expect(
    'successful payment for a reservation that is not confirmed',
    `SELECT p.id, p.reservation_id, r.status FROM payments p JOIN reservations r ON r.id = p.reservation_id
     WHERE p.status = 'SUCCEEDED' AND r.status <> 'CONFIRMED'`,
  );
  await expect(
    'refunded payment without a matching refund',
    `SELECT p.id, p.amount, f.amount AS refunded FROM payments p LEFT JOIN refunds f ON f.payment_id = p.id
     WHERE p.status = 'REFUNDED' AND (f.id IS NULL OR f.amount <> p.amount)`,
  );

  // 3. No HELD reservation outlives its expiry by more than a few seconds.
  if (opts.expiryGraceMs !== undefined) {
    await expect('hold past its expiry', `SELECT id, expires_at FROM reservations WHERE status = 'HELD' AND expires_at < (UTC_TIMESTAMP(3) - INTERVAL ? MICROSECOND)`, [
      opts.expiryGraceMs * 1000,
    ]);
  }

  // 4. Wallets: never negative, always the sum of their ledger.
  await expect(
    'wallet balance negative or not equal to its ledger',
    `SELECT w.user_id, w.balance, COALESCE(SUM(l.amount), 0) ledger FROM wallets w LEFT JOIN wallet_ledger l ON l.user_id = w.user_id
     GROUP BY w.user_id, w.balance HAVING w.balance < 0 OR w.balance <> ledger`,
  );

  // 5. Every state change is an event, in order per aggregate; folding the events gives the row.
  await expect(
    'aggregate event sequence with gaps',
    `SELECT aggregate_type, aggregate_id, COUNT(*) n, MAX(sequence) top FROM domain_events GROUP BY aggregate_type, aggregate_id HAVING n <> top`,
  );
  const events = await rows(`SELECT aggregate_id, type, sequence, payload FROM domain_events WHERE aggregate_type = 'reservation'`);
  const byReservation = new Map<string, Array<{ type: string; sequence: number; payload: Record<string, unknown> }>>();
  for (const e of events) {
    const list = byReservation.get(e.aggregate_id) ?? [];
    list.push({ type: e.type, sequence: e.sequence, payload: typeof e.payload === 'string' ? JSON.parse(e.payload) : e.payload });
    byReservation.set(e.aggregate_id, list);
  }
  const reservations = await rows(`SELECT id, status, amount, user_id FROM reservations`);
  for (const r of reservations) {
    const folded = foldReservation(byReservation.get(r.id) ?? []);
    if (!folded || folded.status !== r.status || folded.amount !== Number(r.amount) || folded.userId !== Number(r.user_id)) {
      problems.push(`event log disagrees with reservation ${r.id}: row ${r.status}, folded ${folded?.status ?? 'nothing'}`);
      if (problems.length > 20) break;
    }
  }
  const ledgerEvents = await rows(
    `SELECT (SELECT COUNT(*) FROM wallet_ledger) ledger, (SELECT COUNT(*) FROM domain_events WHERE type IN ('WalletCharged','WalletDebited','WalletRefunded')) events`,
  );
  if (Number(ledgerEvents[0]!.ledger) !== Number(ledgerEvents[0]!.events)) problems.push(`wallet ledger rows ${ledgerEvents[0]!.ledger} != wallet events ${ledgerEvents[0]!.events}`);
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
