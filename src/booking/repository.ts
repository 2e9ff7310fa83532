import { and, asc, count, desc, eq, inArray, lt, notInArray, or, sql } from 'drizzle-orm';
import { appendEvent } from '../events/index.js';
import { affectedRows, isDuplicateKey, isEventSequenceClash, withTransaction, type Db, type Tx } from '../platform/db/client.js';
import { reservations, reservationSeats, seatStatus, ticketLimitLocks } from './schema.js';
import { lockScheduleForHold, seatLayoutOf, ticketLimitOf } from '../catalog/index.js';
import type { HeldSeat, HoldResult, ReleaseInput, ReservationInput } from '../../workflows/booking/reservation-contract.js';
import { canTransition, exceedsTicketLimit, liveReservationStatuses, payable, reservationEventOf, ticketRoom, type ReservationStatus } from './domain.js';
import { issueTickets, type TicketIssuer } from '../ticketing/index.js';
import type { SeatOffer, WaitlistPort } from './waitlist-port.js';

/** Thrown inside a transaction to roll it back when a seat's optimistic check fails. */
class SeatTaken extends Error {
  constructor(readonly seatIds: number[]) {
    super(`seats ${seatIds.join(', ')} were taken concurrently`);
  }
}

/** Thrown inside a transaction when the seats already belong to this reservation (a retried hold). */
class AlreadyHeld extends Error {}

export class ConfirmationRejected extends Error {
  override name = 'ConfirmationRejected';
}

export interface ReleaseOutcome {
  changed: boolean;
  scheduleId: number;
  concertId: number;
  userId: number;
  seatIds: number[];
  status: ReservationStatus;
  /** Seats handed straight to waiting-list buyers in the same transaction (never AVAILABLE in between). */
  offers: SeatOffer[];
}

interface NewHold {
  reservationId: string;
  userId: number;
  scheduleId: number;
  concertId: number;
  seats: HeldSeat[];
  expiresAt: Date;
  now: Date;
}

/**
 * Writes a HELD reservation on seats whose status rows the caller already moved to it: the
 * reservation, its seats at their prices and its first event (a buyer's hold and a waiting-list
 * offer alike). Returns the amount.
 */
async function writeHeld(tx: Tx, h: NewHold): Promise<number> {
  const amount = h.seats.reduce((sum, s) => sum + s.price, 0);
  const { reservationId, userId, scheduleId, concertId } = h;
  await tx.insert(reservations).values({ id: reservationId, userId, scheduleId, concertId, status: 'HELD', amount, expiresAt: h.expiresAt, createdAt: h.now });
  await tx.insert(reservationSeats).values(h.seats.map((s) => ({ reservationId, seatId: s.seatId, price: s.price, activeSeatId: s.seatId })));
  await appendEvent(
    tx,
    reservationEventOf.HELD,
    reservationId,
    { reservationId, userId, scheduleId, concertId, seats: h.seats, amount, expiresAt: h.expiresAt.toISOString() },
    { userId, occurredAt: h.now, first: true },
  );
  return amount;
}

/** Ticketing's port: how many of a reservation's tickets were admitted, locked inside booking's transaction. */
export interface AdmissionCheck {
  lockAdmitted(tx: Tx, reservationId: string): Promise<number>;
}

export class ReservationRepository {
  /**
   * `waitlist`: when wired, released seats go to the schedule's waiting list before the public map.
   * `issue`: ticketing's issuer, run inside the confirming transaction (a ticket per sold seat).
   */
  constructor(
    private readonly db: Db,
    private readonly waitlist?: WaitlistPort,
    private readonly issue: TicketIssuer = issueTickets,
    /**
     * Ticketing's transfers (docs/tickets.md "Transfer"): tickets of live purchases the user received
     * minus those of their own they gave away, on a schedule, counted by the hold's ticket limit.
     */
    private readonly transfers?: { netReceived(tx: Tx, userId: number, scheduleId: number): Promise<number> },
  ) {}

  /**
   * Holds the seats for a reservation in one transaction: the seats are updated only if their
   * versions are still the ones read (optimistic lock), in one statement, all or nothing.
   * Idempotent by reservation id: a retry finds the seats already this reservation's (or the
   * reservation row already written) and returns the hold that exists. The happy path is nine
   * statements, all in booking's database: take the user's ticket-limit lock, read the seats' statuses
   * (booking's seat_status), read the schedule through catalog's port (share-locked: status, ticket
   * limit, hold TTL), count the user's tickets on it, update the statuses, read the seats' layout
   * through catalog's port, insert the reservation, its seats and its first event. The share lock
   * makes a pause or a cancellation (which update the schedule row) wait for holds in flight and
   * every later hold see it: no hold slips in after the cancellation workflow listed the live
   * reservations.
   */
  async hold(input: ReservationInput, now: Date = new Date()): Promise<HoldResult> {
    const ids = [...input.seatIds].sort((a, b) => a - b);
    try {
      return await withTransaction(this.db, async (tx) => {
        // First statement, so the count below reads after any earlier hold of this user committed.
        await this.lockTicketLimit(tx, input.userId, input.scheduleId);
        const rows = await tx
          .select({ id: seatStatus.seatId, version: seatStatus.version, status: seatStatus.status, reservationId: seatStatus.reservationId })
          .from(seatStatus)
          .where(and(eq(seatStatus.scheduleId, input.scheduleId), inArray(seatStatus.seatId, ids)))
          .orderBy(asc(seatStatus.seatId));
        if (rows.length > 0 && rows.every((r) => r.reservationId === input.reservationId)) throw new AlreadyHeld();
        const tickets = await this.scheduleForHold(tx, input.userId, input.scheduleId);
        if (this.transfers) tickets.held += await this.transfers.netReceived(tx, input.userId, input.scheduleId);
        if (tickets.status === 'PAUSED') return { ok: false, code: 'SALE_PAUSED' } as const;
        if (tickets.status !== 'SCHEDULED') return { ok: false, code: 'PERFORMANCE_CANCELLED' } as const;
        if (exceedsTicketLimit(tickets, ids.length)) return { ok: false, code: 'TICKET_LIMIT', limit: tickets.limit, held: tickets.held } as const;
        // The schedule's own hold TTL, read under the lock: an organiser's change applies to the next hold.
        const expiresAt = new Date(now.getTime() + (tickets.holdTtlSeconds !== null ? tickets.holdTtlSeconds * 1000 : input.holdTtlMs));
        const unavailable = ids.filter((id) => rows.find((r) => r.id === id)?.status !== 'AVAILABLE');
        if (unavailable.length > 0) return { ok: false, code: 'SEAT_UNAVAILABLE', unavailableSeatIds: unavailable } as const;
        const res = await tx
          .update(seatStatus)
          .set({ status: 'HELD', reservationId: input.reservationId, heldUntil: expiresAt, version: sql`${seatStatus.version} + 1` })
          .where(and(eq(seatStatus.status, 'AVAILABLE'), or(...rows.map((r) => and(eq(seatStatus.seatId, r.id), eq(seatStatus.version, r.version))))));
        if (affectedRows(res) !== rows.length) throw new SeatTaken(await this.takenSince(tx, ids, input.reservationId));
        const held: HeldSeat[] = (await seatLayoutOf(tx, ids)).map((r) => ({ seatId: r.id, section: r.section, row: r.row, number: r.number, tier: r.tier, price: r.price }));
        const amount = await writeHeld(tx, { ...input, seats: held, expiresAt, now });
        return { ok: true, reservationId: input.reservationId, seats: held, amount, expiresAt: expiresAt.toISOString(), heldAt: now.toISOString() } as const;
      });
    } catch (err) {
      if (err instanceof SeatTaken) return { ok: false, code: 'SEAT_UNAVAILABLE', unavailableSeatIds: err.seatIds };
      // A retry of a hold that committed (or a reservation id written before): answer with it.
      if (err instanceof AlreadyHeld || (isDuplicateKey(err) && !isEventSequenceClash(err))) {
        const existing = await this.heldResult(input.reservationId);
        if (existing) return existing;
      }
      throw err;
    }
  }

  /**
   * Takes the (user, schedule) ticket-limit lock until the transaction ends: concurrent holds of one
   * user on one schedule queue here, so each counts the seats the previous ones committed. Inserted
   * on first use; a row lock on a primary key, so other users and other schedules never wait.
   */
  private async lockTicketLimit(tx: Tx, userId: number, scheduleId: number): Promise<void> {
    await tx
      .insert(ticketLimitLocks)
      .values({ userId, scheduleId })
      .onDuplicateKeyUpdate({ set: { userId: sql`${ticketLimitLocks.userId}` } });
  }

  /**
   * The schedule as a hold needs it (status, per-user ticket limit, hold TTL), share-locked through
   * catalog's port until the transaction ends, and the seats the user holds or owns there (live
   * reservations).
   */
  private async scheduleForHold(tx: Tx, userId: number, scheduleId: number): Promise<{ status: string; limit: number; holdTtlSeconds: number | null; held: number }> {
    const schedule = await lockScheduleForHold(tx, scheduleId);
    if (!schedule) return { status: 'CANCELLED', limit: 0, holdTtlSeconds: null, held: 0 };
    const [mine] = await tx
      .select({ n: count() })
      .from(reservationSeats)
      .innerJoin(reservations, eq(reservations.id, reservationSeats.reservationId))
      .where(and(eq(reservations.userId, userId), eq(reservations.scheduleId, scheduleId), inArray(reservations.status, [...liveReservationStatuses])));
    return { ...schedule, held: Number(mine?.n ?? 0) };
  }

  /**
   * How many more seats the user may hold on the schedule, under their ticket-limit lock (held until
   * the caller's transaction ends): the waiting list asks before it offers seats, and on joining.
   */
  async ticketRoom(tx: Tx, userId: number, scheduleId: number): Promise<{ limit: number; held: number; room: number }> {
    await this.lockTicketLimit(tx, userId, scheduleId);
    // A locking read: the caller's transaction (a release) may have taken its snapshot before this
    // lock, and a hold of this user committed since must be counted.
    const [mine] = await tx
      .select({ n: count() })
      .from(reservationSeats)
      .innerJoin(reservations, eq(reservations.id, reservationSeats.reservationId))
      .where(and(eq(reservations.userId, userId), eq(reservations.scheduleId, scheduleId), inArray(reservations.status, [...liveReservationStatuses])))
      .for('update');
    const limit = await ticketLimitOf(tx, scheduleId);
    const held = Number(mine?.n ?? 0);
    return { limit, held, room: ticketRoom({ limit, held }) };
  }

  /** ticketRoom in a transaction of its own: the waiting list's join asks it from its own database. */
  async currentTicketRoom(userId: number, scheduleId: number): Promise<{ limit: number; held: number; room: number }> {
    return withTransaction(this.db, (tx) => this.ticketRoom(tx, userId, scheduleId));
  }

  /** The seats another reservation took between our read and our write (rare: Redis locks stand in front). */
  private async takenSince(tx: Tx, ids: number[], reservationId: string): Promise<number[]> {
    const rows = await tx.select({ id: seatStatus.seatId, reservationId: seatStatus.reservationId }).from(seatStatus).where(inArray(seatStatus.seatId, ids));
    return rows.filter((r) => r.reservationId !== reservationId).map((r) => r.id);
  }

  /** Marks a held reservation's seats SOLD and the reservation CONFIRMED (after payment). */
  async confirm(reservationId: string, now: Date = new Date()): Promise<{ scheduleId: number; userId: number; seatIds: number[]; changed: boolean }> {
    const confirmed = await withTransaction(this.db, async (tx) => {
      const r = await this.lockReservation(tx, reservationId);
      const seatIds = await this.seatIdsOf(tx, reservationId);
      if (r.status === 'CONFIRMED') return { scheduleId: r.scheduleId, userId: r.userId, seatIds, changed: false };
      if (r.status !== 'HELD') throw new ConfirmationRejected(`reservation ${reservationId} is ${r.status}`);
      const res = await tx
        .update(seatStatus)
        .set({ status: 'SOLD', heldUntil: null, version: sql`${seatStatus.version} + 1` })
        .where(and(eq(seatStatus.reservationId, reservationId), eq(seatStatus.status, 'HELD')));
      if (affectedRows(res) !== seatIds.length) throw new ConfirmationRejected(`reservation ${reservationId} lost a seat`);
      await tx.update(reservations).set({ status: 'CONFIRMED', confirmedAt: now, version: sql`${reservations.version} + 1` }).where(eq(reservations.id, reservationId));
      await appendEvent(tx, reservationEventOf.CONFIRMED, reservationId, { reservationId, userId: r.userId, scheduleId: r.scheduleId, amount: r.amount, seatIds }, { userId: r.userId, occurredAt: now });
      await this.issue(tx, { reservationId, userId: r.userId, scheduleId: r.scheduleId, seatIds, issuedAt: now });
      return { scheduleId: r.scheduleId, userId: r.userId, seatIds, changed: true };
    });
    // The waiting list's own database, after the commit; a retried confirmation (changed: false) tells it again.
    await this.waitlist?.purchased({ reservationId, userId: confirmed.userId, scheduleId: confirmed.scheduleId, seatCount: confirmed.seatIds.length, now });
    return confirmed;
  }

  /**
   * Gives the seats back and closes the reservation (EXPIRED, CANCELLED, FAILED or REFUNDED).
   * Idempotent: a reservation already closed is left as it is.
   */
  async release(input: ReleaseInput, now: Date = new Date()): Promise<ReleaseOutcome> {
    return withTransaction(this.db, async (tx) => {
      const r = await this.lockReservation(tx, input.reservationId);
      const seatIds = await this.seatIdsOf(tx, input.reservationId);
      const outcome = { scheduleId: r.scheduleId, concertId: r.concertId, userId: r.userId, seatIds };
      if (!canTransition(r.status, input.status)) return { changed: false, ...outcome, status: r.status, offers: [] };
      await tx.update(reservationSeats).set({ activeSeatId: null }).where(eq(reservationSeats.reservationId, input.reservationId));
      await tx
        .update(reservations)
        .set({ status: input.status, closedAt: now, reason: input.reason.slice(0, 200), version: sql`${reservations.version} + 1` })
        .where(eq(reservations.id, input.reservationId));
      const base = { reservationId: input.reservationId, userId: r.userId, scheduleId: r.scheduleId, seatIds };
      const opts = { userId: r.userId, occurredAt: now };
      if (input.status === 'EXPIRED') await appendEvent(tx, reservationEventOf.EXPIRED, input.reservationId, base, opts);
      else if (input.status === 'REFUNDED') await appendEvent(tx, reservationEventOf.REFUNDED, input.reservationId, { ...base, amount: r.amount, reason: input.reason }, opts);
      else await appendEvent(tx, reservationEventOf[input.status], input.reservationId, { ...base, reason: input.reason }, opts);
      // Waiting-list buyers first, in this transaction: the seats they take move from this
      // reservation to theirs without ever being AVAILABLE; only the rest become AVAILABLE below.
      const offers = await this.handOver(tx, r, input.status, now);
      await tx
        .update(seatStatus)
        .set({ status: 'AVAILABLE', reservationId: null, heldUntil: null, version: sql`${seatStatus.version} + 1` })
        .where(eq(seatStatus.reservationId, input.reservationId));
      return { changed: true, ...outcome, status: input.status, offers };
    });
  }

  /**
   * The offers an earlier (committed) release of this reservation made, each saying whether it is
   * still HELD: a retried release redoes the upkeep of the live ones. An offer already closed is left
   * alone: its seats may have moved on, and re-taking their locks would block them.
   */
  async offersMadeFrom(reservationId: string): Promise<Array<SeatOffer & { live: boolean }>> {
    const offers = this.waitlist ? await this.waitlist.offersFrom(reservationId) : [];
    if (offers.length === 0) return [];
    const live = await this.db
      .select({ id: reservations.id })
      .from(reservations)
      .where(and(inArray(reservations.id, offers.map((o) => o.reservationId)), eq(reservations.status, 'HELD')));
    return offers.map((o) => ({ ...o, live: live.some((r) => r.id === o.reservationId) }));
  }

  /** Lets the waiting list claim the released seats, then writes each offer as a HELD reservation on them. */
  private async handOver(tx: Tx, from: typeof reservations.$inferSelect, closedAs: ReleaseInput['status'], now: Date): Promise<SeatOffer[]> {
    if (!this.waitlist) return [];
    const releasedIds = await tx.select({ id: seatStatus.seatId }).from(seatStatus).where(eq(seatStatus.reservationId, from.id));
    if (releasedIds.length === 0) return [];
    const released = (await seatLayoutOf(tx, releasedIds.map((r) => r.id))).map((s) => ({ seatId: s.id, section: s.section, tier: s.tier, row: s.row, number: s.number, price: s.price }));
    const offers = await this.waitlist.claim({ scheduleId: from.scheduleId, releasedFrom: from.id, closedAs, seats: released, now }, async (userId) => {
      return (await this.ticketRoom(tx, userId, from.scheduleId)).room;
    });
    for (const offer of offers) {
      const held: HeldSeat[] = released.filter((s) => offer.seatIds.includes(s.seatId)).map((s) => ({ seatId: s.seatId, section: s.section, row: s.row, number: s.number, price: s.price }));
      const moved = await tx
        .update(seatStatus)
        .set({ status: 'HELD', reservationId: offer.reservationId, heldUntil: offer.expiresAt, version: sql`${seatStatus.version} + 1` })
        .where(and(eq(seatStatus.reservationId, from.id), inArray(seatStatus.seatId, offer.seatIds)));
      // Under the released reservation's row lock nobody else can move these seats: a miss is a bug.
      if (affectedRows(moved) !== held.length) throw new Error(`hand-over of seats ${offer.seatIds.join(', ')} from ${from.id} lost a seat`);
      await writeHeld(tx, { reservationId: offer.reservationId, userId: offer.userId, scheduleId: from.scheduleId, concertId: from.concertId, seats: held, expiresAt: offer.expiresAt, now });
    }
    return offers;
  }

  async find(reservationId: string) {
    const [r] = await this.db.select().from(reservations).where(eq(reservations.id, reservationId)).limit(1);
    if (!r) return undefined;
    const prices = await this.db.select({ seatId: reservationSeats.seatId, price: reservationSeats.price }).from(reservationSeats).where(eq(reservationSeats.reservationId, reservationId));
    // The price this reservation paid (reservation_seats), the place from catalog's layout.
    const seatRows = (await seatLayoutOf(this.db, prices.map((p) => p.seatId))).map((s) => ({ seatId: s.id, section: s.section, row: s.row, number: s.number, tier: s.tier, price: prices.find((p) => p.seatId === s.id)!.price }));
    return { ...r, seats: seatRows };
  }

  async listByUser(userId: number, page: number, pageSize: number) {
    const [items, [total]] = await Promise.all([
      this.db
        .select()
        .from(reservations)
        .where(eq(reservations.userId, userId))
        .orderBy(desc(reservations.createdAt), desc(reservations.id))
        .limit(pageSize)
        .offset((page - 1) * pageSize),
      this.db.select({ n: count() }).from(reservations).where(eq(reservations.userId, userId)),
    ]);
    return { items, total: Number(total?.n ?? 0) };
  }

  /** How many HELD reservations the user has on the schedule (the waiting room keeps their token while any is). */
  async liveHolds(userId: number, scheduleId: number): Promise<number> {
    const [row] = await this.db
      .select({ n: count() })
      .from(reservations)
      .where(and(eq(reservations.userId, userId), eq(reservations.scheduleId, scheduleId), eq(reservations.status, 'HELD')));
    return Number(row?.n ?? 0);
  }

  /** A schedule's live (HELD or CONFIRMED) reservations, oldest id first: the performance cancellation's next batch. */
  async liveOfSchedule(scheduleId: number, limit: number, except: string[] = []): Promise<string[]> {
    const rows = await this.db
      .select({ id: reservations.id })
      .from(reservations)
      .where(and(eq(reservations.scheduleId, scheduleId), inArray(reservations.status, [...liveReservationStatuses]), except.length ? notInArray(reservations.id, except) : undefined))
      .orderBy(asc(reservations.id))
      .limit(limit);
    return rows.map((r) => r.id);
  }

  /** How many live reservations a schedule has (the cancellation's starting count). */
  async countLiveOfSchedule(scheduleId: number, except: string[] = []): Promise<number> {
    const [row] = await this.db
      .select({ n: count() })
      .from(reservations)
      .where(and(eq(reservations.scheduleId, scheduleId), inArray(reservations.status, [...liveReservationStatuses]), except.length ? notInArray(reservations.id, except) : undefined));
    return Number(row?.n ?? 0);
  }

  /** HELD reservations past their expiry by more than `graceMs` (the sweeper's input). */
  async overdueHolds(now: Date, graceMs: number, limit = 200): Promise<string[]> {
    const rows = await this.db
      .select({ id: reservations.id })
      .from(reservations)
      .where(and(eq(reservations.status, 'HELD'), lt(reservations.expiresAt, new Date(now.getTime() - graceMs))))
      .limit(limit);
    return rows.map((r) => r.id);
  }

  private async heldResult(reservationId: string): Promise<HoldResult | undefined> {
    const r = await this.find(reservationId);
    if (!r) return undefined;
    return { ok: true, reservationId, seats: r.seats, amount: r.amount, expiresAt: r.expiresAt.toISOString(), heldAt: r.createdAt.toISOString() };
  }

  /**
   * What a payment of this reservation needs from booking (who, how much, until when) and booking's
   * payable rule at `now`. Only for workflows started before the payment task queue (their payment
   * activity runs in the booking worker); newer ones carry these facts from their own hold.
   */
  async paymentFacts(reservationId: string, now: Date) {
    const [r] = await this.db.select().from(reservations).where(eq(reservations.id, reservationId)).limit(1);
    if (!r) return undefined;
    return { userId: r.userId, amount: r.amount, expiresAt: r.expiresAt.toISOString(), verdict: payable(r.status, r.expiresAt, now) };
  }

  /** Ticketing's port: lock the row inside a door scan's transaction (refunds take the same lock first). */
  async lockForEntry(tx: Tx, reservationId: string): Promise<{ status: ReservationStatus; userId: number; refundStarted: boolean } | undefined> {
    const [r] = await tx
      .select({ status: reservations.status, userId: reservations.userId, refundStartedAt: reservations.refundStartedAt })
      .from(reservations)
      .where(eq(reservations.id, reservationId))
      .for('update');
    return r && { status: r.status, userId: r.userId, refundStarted: r.refundStartedAt !== null };
  }

  /**
   * The first step of every refund of a purchase (issue 25 defect 3): under the reservation's row
   * lock, the lock a door scan takes first, ask ticketing whether a ticket was admitted; if none was,
   * mark the refund started. A scan that comes later sees the mark and refuses (TICKET_REFUNDED); one
   * that came earlier left its admission, and the refund is refused. Payment moves the money only
   * after STARTED, in its own database. Idempotent: a started refund answers STARTED again.
   */
  async startRefund(reservationId: string, admitted: AdmissionCheck): Promise<'STARTED' | 'TICKET_ADMITTED' | 'NOT_FOUND'> {
    return withTransaction(this.db, async (tx) => {
      const [r] = await tx.select({ refundStartedAt: reservations.refundStartedAt }).from(reservations).where(eq(reservations.id, reservationId)).for('update');
      if (!r) return 'NOT_FOUND';
      if (r.refundStartedAt) return 'STARTED';
      if ((await admitted.lockAdmitted(tx, reservationId)) > 0) return 'TICKET_ADMITTED';
      await tx.update(reservations).set({ refundStartedAt: new Date() }).where(eq(reservations.id, reservationId));
      return 'STARTED';
    });
  }


  private async lockReservation(tx: Tx, reservationId: string) {
    const [r] = await tx.select().from(reservations).where(eq(reservations.id, reservationId)).for('update');
    if (!r) throw new ConfirmationRejected(`reservation ${reservationId} does not exist`);
    return r;
  }

  private async seatIdsOf(tx: Tx, reservationId: string): Promise<number[]> {
    const rows = await tx.select({ id: reservationSeats.seatId }).from(reservationSeats).where(eq(reservationSeats.reservationId, reservationId)).orderBy(asc(reservationSeats.seatId));
    return rows.map((r) => r.id);
  }
}
