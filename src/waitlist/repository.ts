import { randomBytes } from 'node:crypto';
import { and, asc, count, desc, eq, inArray, lte, sql } from 'drizzle-orm';
import { exceedsTicketLimit, ticketLimitRefusal, type SeatOffer, type SeatRelease, type WaitlistPort } from '../booking/index.js';
import type { CatalogRepository } from '../catalog/index.js';
import { appendEvent } from '../events/index.js';
import { withTransaction, type Db, type Tx } from '../platform/db/client.js';
import { DomainError, notFound } from '../shared/errors.js';
import { afterOfferClosed, afterOfferPaid, isLive, liveStatuses, pickSeats, wants, type EntryStatus, type ReleasedSeat } from './domain.js';
import { waitlistEntries, waitlistOffers, waitlists } from './schema.js';

export interface WaitlistSettings {
  /** An offer's payment window (WAITLIST_OFFER_TTL_SECONDS). */
  offerTtlMs: number;
}

export interface JoinRequest {
  userId: number;
  scheduleId: number;
  quantity: number;
  tier: string | null;
  section: string | null;
}

export type EntryRow = typeof waitlistEntries.$inferSelect;
type Entry = Pick<EntryRow, 'id' | 'userId' | 'scheduleId' | 'quantity'>;

/** Room under the buyer's ticket limit, counted by booking in its own database (ReservationRepository.currentTicketRoom). */
export type TicketRoom = (userId: number, scheduleId: number) => Promise<{ limit: number; held: number; room: number }>;

const entryAggregate = (entryId: number) => `entry-${entryId}`;

/** How long a release waits for a schedule's list lock before it gives up and is retried. */
const LIST_LOCK_WAIT_SECONDS = 5;

/**
 * The waiting list's tables, in its own database (`db`: its own MySQL user, granted on that database
 * only; its events go to that database's outbox), and its decisions, always under the schedule's list
 * lock (the `waitlists` row): joining, leaving, closing, and, through booking's WaitlistPort, claiming
 * released seats while the release transaction is open and settling entries after a confirmation.
 *
 * Across the two databases: a join counts the buyer's tickets (booking's lock) before it takes the
 * list lock; a release holds booking's locks and, under the list lock, asks booking for each offered
 * buyer's room. Two releases can then wait on each other across the databases, which neither can
 * see: a release waits for the list lock a bounded time (LIST_LOCK_WAIT_SECONDS) and is retried.
 */
export class WaitlistRepository implements WaitlistPort {
  constructor(
    private readonly db: Db,
    private readonly settings: WaitlistSettings,
    private readonly catalog: Pick<CatalogRepository, 'seatCountsMatching'>,
  ) {}

  async join(req: JoinRequest, ticketRoom: TicketRoom, now = new Date()): Promise<EntryRow> {
    // Booking's count first (its ticket-limit lock, in booking's database), never under the list lock.
    const tickets = await ticketRoom(req.userId, req.scheduleId);
    return withTransaction(this.db, async (tx) => {
      const list = await this.lockList(tx, req.scheduleId);
      if (list.closedAt) throw new DomainError('WAITLIST_CLOSED', 'The waiting list of this performance is closed');
      const [mine] = await tx
        .select({ id: waitlistEntries.id })
        .from(waitlistEntries)
        .where(and(eq(waitlistEntries.scheduleId, req.scheduleId), eq(waitlistEntries.activeUserId, req.userId)));
      if (mine) throw new DomainError('ALREADY_ON_WAITLIST', 'You are already on the waiting list of this performance', { entryId: mine.id });
      const seatCounts = await this.catalog.seatCountsMatching(req.scheduleId, req);
      if (seatCounts.total === 0) throw new DomainError('NOT_FOUND', `This performance has no seat${describeFilter(req)}`); // well-formed, names nothing: 404
      // A matching seat on the public map would be wanted by this entry and bought by whoever is
      // faster at once: the buyer should take it. A release asks for offers under this list lock, so
      // it either saw this entry or already made its offers; the seats it then frees become AVAILABLE
      // when booking commits (a join in that instant waits for the next release: docs/waitlist.md).
      if (seatCounts.available > 0) {
        throw new DomainError('SEATS_AVAILABLE', `${seatCounts.available} matching seats are available now: hold them instead`, { available: seatCounts.available });
      }
      if (exceedsTicketLimit(tickets, req.quantity)) {
        const refusal = ticketLimitRefusal(tickets);
        throw new DomainError(refusal.code, refusal.detail, refusal.details);
      }
      const [res] = await tx.insert(waitlistEntries).values({ ...req, status: 'WAITING', activeUserId: req.userId, createdAt: now });
      const entryId = Number(res.insertId);
      await appendEvent(
        tx,
        'WaitlistJoined',
        entryAggregate(entryId),
        { entryId, userId: req.userId, scheduleId: req.scheduleId, quantity: req.quantity, tier: req.tier, section: req.section },
        { userId: req.userId, occurredAt: now, first: true },
      );
      return (await this.entry(tx, entryId))!;
    });
  }

  /** Takes the entry off the list. A live offer stays the buyer's reservation (pay it or cancel it). Idempotent. */
  async leave(userId: number, entryId: number, now = new Date()): Promise<EntryRow> {
    const found = await this.entry(this.db, entryId);
    if (!found || found.userId !== userId) throw notFound('Waiting-list entry');
    return withTransaction(this.db, async (tx) => {
      await this.lockList(tx, found.scheduleId);
      const e = (await this.entry(tx, entryId))!;
      if (isLive(e.status)) await this.end(tx, e, 'LEFT', 'left by the buyer', now);
      return (await this.entry(tx, entryId))!;
    });
  }

  /**
   * Closes a schedule's waiting list for good (the performance-cancellation workflow calls this):
   * every live entry is CLOSED, no join or offer follows. Offers already made stay reservations,
   * which the cancellation releases like any hold (no entry takes their seats any more). Idempotent.
   */
  async closeWaitingList(scheduleId: number, now = new Date()): Promise<{ entriesClosed: number }> {
    return withTransaction(this.db, async (tx) => {
      const list = await this.lockList(tx, scheduleId);
      const live = await tx
        .select()
        .from(waitlistEntries)
        .where(and(eq(waitlistEntries.scheduleId, scheduleId), inArray(waitlistEntries.status, [...liveStatuses])));
      for (const e of live) await this.end(tx, e, 'CLOSED', 'the waiting list was closed', now);
      if (!list.closedAt) {
        await tx.update(waitlists).set({ closedAt: now }).where(eq(waitlists.scheduleId, scheduleId));
        await appendEvent(tx, 'WaitlistClosed', `schedule-${scheduleId}`, { scheduleId, entriesClosed: live.length }, { occurredAt: now });
      }
      return { entriesClosed: live.length };
    });
  }

  // --- booking's WaitlistPort ---

  async claim(release: SeatRelease, ticketRoom: (userId: number) => Promise<number>): Promise<SeatOffer[]> {
    // A release retried after booking rolled back gets the offers already committed here again.
    const made = await this.offersFrom(release.releasedFrom);
    if (made.length > 0) return made;
    return withTransaction(this.db, async (tx) => {
      // Only a schedule that has a list pays for one: without a row this locking read finds nothing
      // and, under REPEATABLE READ (MariaDB's default, which this relies on), leaves a gap lock that
      // holds a first join's INSERT of the row until this decision commits. Releases of a schedule
      // without a list never wait on each other.
      // The wait for the list lock is bounded: the holder may be waiting, in booking's database, on a
      // lock this release's booking transaction holds (a circle neither database can see). Giving up
      // fails this release, which rolls back in booking and is retried by its activity.
      const [rows] = (await tx.execute(
        sql`SET STATEMENT innodb_lock_wait_timeout = ${sql.raw(String(LIST_LOCK_WAIT_SECONDS))} FOR SELECT schedule_id, closed_at FROM waitlists WHERE schedule_id = ${release.scheduleId} FOR UPDATE`,
      )) as unknown as [Array<{ schedule_id: number; closed_at: Date | null }>];
      const list = rows[0];
      if (!list) return [];
      await this.settleOfferClosed(tx, release);
      if (list.closed_at) return [];
      let unclaimed: ReleasedSeat[] = [...release.seats];
      const offers: SeatOffer[] = [];
      // A locking read: an entry that joined while this waited for the list lock must be seen.
      const waiting = await tx
        .select()
        .from(waitlistEntries)
        .where(and(eq(waitlistEntries.scheduleId, release.scheduleId), eq(waitlistEntries.status, 'WAITING')))
        .orderBy(asc(waitlistEntries.id))
        .for('update');
      for (const entry of waiting) {
        if (unclaimed.length === 0) break;
        if (!unclaimed.some((s) => wants(entry, s))) continue;
        // Counted by booking under the buyer's ticket-limit lock, in the release's own transaction.
        const picked = pickSeats(entry, unclaimed, await ticketRoom(entry.userId));
        if (picked.length === 0) continue; // no room under the ticket limit now: the entry keeps waiting
        const offer: SeatOffer = {
          reservationId: randomBytes(12).toString('hex'),
          userId: entry.userId,
          seatIds: picked.map((s) => s.seatId),
          expiresAt: new Date(release.now.getTime() + this.settings.offerTtlMs),
        };
        await tx.insert(waitlistOffers).values({
          reservationId: offer.reservationId,
          entryId: entry.id,
          scheduleId: release.scheduleId,
          userId: entry.userId,
          releasedFrom: release.releasedFrom,
          seatIds: offer.seatIds,
          expiresAt: offer.expiresAt,
          createdAt: release.now,
        });
        await tx.update(waitlistEntries).set({ status: 'OFFERED', offerReservationId: offer.reservationId }).where(eq(waitlistEntries.id, entry.id));
        await appendEvent(
          tx,
          'WaitlistOfferMade',
          entryAggregate(entry.id),
          { entryId: entry.id, userId: entry.userId, scheduleId: release.scheduleId, reservationId: offer.reservationId, seatIds: offer.seatIds, expiresAt: offer.expiresAt.toISOString() },
          { userId: entry.userId, occurredAt: release.now },
        );
        offers.push(offer);
        unclaimed = unclaimed.filter((s) => !offer.seatIds.includes(s.seatId));
      }
      return offers;
    });
  }

  async purchased(p: { reservationId: string; userId: number; scheduleId: number; seatCount: number; now: Date }): Promise<void> {
    // A plain read first: most purchases concern no waiting list and take no list lock.
    const [offer] = await this.db.select({ entryId: waitlistOffers.entryId }).from(waitlistOffers).where(eq(waitlistOffers.reservationId, p.reservationId));
    const [live] = await this.db
      .select({ id: waitlistEntries.id })
      .from(waitlistEntries)
      .where(and(eq(waitlistEntries.scheduleId, p.scheduleId), eq(waitlistEntries.activeUserId, p.userId)));
    if (!offer && !live) return;
    await withTransaction(this.db, async (tx) => {
      await this.lockList(tx, p.scheduleId);
      if (offer) {
        const e = (await this.entry(tx, offer.entryId))!;
        if (e.status !== 'OFFERED' || e.offerReservationId !== p.reservationId) return; // left, closed, or told before
        const next = afterOfferPaid(e.quantity, p.seatCount);
        if (next.status === 'SERVED') await this.end(tx, e, 'SERVED', 'served: the offer was paid', p.now);
        else await this.change(tx, e, { status: 'WAITING', quantity: next.quantity, offerReservationId: null }, `bought ${p.seatCount} offered seats; waiting for ${next.quantity} more`, p.now);
        return;
      }
      // Bought elsewhere on this schedule (a seat from the public map): the entry leaves the list.
      const e = live ? await this.entry(tx, live.id) : undefined;
      if (e && isLive(e.status)) await this.end(tx, e, 'LEFT', 'bought elsewhere on this performance', p.now);
    });
  }

  async offersFrom(releasedFrom: string): Promise<SeatOffer[]> {
    const rows = await this.db.select().from(waitlistOffers).where(eq(waitlistOffers.releasedFrom, releasedFrom));
    return rows.map((r) => ({ reservationId: r.reservationId, userId: r.userId, seatIds: r.seatIds, expiresAt: r.expiresAt }));
  }

  // --- reads ---

  async isOffer(reservationId: string): Promise<boolean> {
    const [row] = await this.db.select({ id: waitlistOffers.reservationId }).from(waitlistOffers).where(eq(waitlistOffers.reservationId, reservationId));
    return row !== undefined;
  }

  /** The buyer's entries, newest first, each live one with its position (1 = next in line). */
  async listOf(userId: number, limit = 50): Promise<Array<EntryRow & { position: number | null }>> {
    const rows = await this.db.select().from(waitlistEntries).where(eq(waitlistEntries.userId, userId)).orderBy(desc(waitlistEntries.id)).limit(limit);
    return Promise.all(rows.map(async (e) => ({ ...e, position: isLive(e.status) ? await this.positionOf(e) : null })));
  }

  async offerOf(reservationId: string) {
    const [row] = await this.db.select().from(waitlistOffers).where(eq(waitlistOffers.reservationId, reservationId));
    return row;
  }

  private async positionOf(e: Pick<EntryRow, 'id' | 'scheduleId'>): Promise<number> {
    const [row] = await this.db
      .select({ n: count() })
      .from(waitlistEntries)
      .where(and(eq(waitlistEntries.scheduleId, e.scheduleId), inArray(waitlistEntries.status, [...liveStatuses]), lte(waitlistEntries.id, e.id)));
    return Number(row?.n ?? 0);
  }

  // --- internals ---

  /**
   * Takes the schedule's list lock for the rest of the transaction (creating the row on first use).
   * Every release of the schedule takes it too, so list changes and seat hand-overs take turns.
   */
  private async lockList(tx: Tx, scheduleId: number) {
    await tx
      .insert(waitlists)
      .values({ scheduleId })
      .onDuplicateKeyUpdate({ set: { scheduleId: sql`${waitlists.scheduleId}` } });
    const [list] = await tx.select().from(waitlists).where(eq(waitlists.scheduleId, scheduleId)).for('update');
    return list!;
  }

  /** The released reservation was an offer: its entry moves on (expired, declined, or back to waiting). */
  private async settleOfferClosed(tx: Tx, release: SeatRelease): Promise<void> {
    const [offer] = await tx.select({ entryId: waitlistOffers.entryId }).from(waitlistOffers).where(eq(waitlistOffers.reservationId, release.releasedFrom));
    if (!offer) return;
    const e = (await this.entry(tx, offer.entryId))!;
    if (e.status !== 'OFFERED' || e.offerReservationId !== release.releasedFrom) return;
    const next = afterOfferClosed(release.closedAs);
    if (!next) return;
    if (next.status === 'WAITING') await this.change(tx, e, { status: 'WAITING', offerReservationId: null }, next.reason, release.now);
    else await this.end(tx, e, next.status, next.reason, release.now);
  }

  /** Takes an entry off the list with a final status. */
  private async end(tx: Tx, e: EntryRow, status: Exclude<EntryStatus, 'WAITING' | 'OFFERED'>, reason: string, now: Date) {
    await this.change(tx, e, { status, activeUserId: null, closedAt: now, quantity: status === 'SERVED' ? 0 : e.quantity }, reason, now);
  }

  private async change(tx: Tx, e: Entry, set: Partial<EntryRow> & { status: EntryStatus }, reason: string, now: Date) {
    await tx
      .update(waitlistEntries)
      .set({ ...set, reason: reason.slice(0, 200) })
      .where(eq(waitlistEntries.id, e.id));
    await appendEvent(
      tx,
      'WaitlistEntryChanged',
      entryAggregate(e.id),
      { entryId: e.id, userId: e.userId, scheduleId: e.scheduleId, status: set.status, quantity: set.quantity ?? e.quantity, reason },
      { userId: e.userId, occurredAt: now },
    );
  }

  /** One entry; inside a transaction a locking read (the latest committed row, locked until the end). */
  private async entry(db: Db | Tx, entryId: number): Promise<EntryRow | undefined> {
    const query = db.select().from(waitlistEntries).where(eq(waitlistEntries.id, entryId));
    const [row] = db === this.db ? await query : await query.for('update');
    return row;
  }
}

const describeFilter = (f: { tier: string | null; section: string | null }) =>
  [f.tier !== null ? ` of tier ${f.tier}` : '', f.section !== null ? ` in section ${f.section}` : ''].join('');
