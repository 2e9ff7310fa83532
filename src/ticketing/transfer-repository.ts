import { and, asc, desc, eq, inArray, isNull, or } from 'drizzle-orm';
import { appendEvent } from '../events/index.js';
import { isDuplicateKey, isEventSequenceClash, withTransaction, type Db, type Tx } from '../platform/db/client.js';
import type { CloseInput, MoveInput, OfferResult, TransferInput, TransferOutcome, TransferRefusal } from '../../workflows/ticketing/transfer-contract.js';
import { newSerial } from './codes.js';
import { tickets } from './schema.js';
import type { MovedTickets, RecipientTicketLimit, TransferCatalog, TransferReservations } from './transfer-contracts.js';
import { offerExpiresAt, transferRefusal, type TransferSettings } from './transfer-domain.js';
import { ticketTransfers, type TransferRow } from './transfer-schema.js';

/** The event aggregate of one transfer (its five events, in order). */
export const transferAggregateId = (transferId: string) => `transfer-${transferId}`;

const closedEvent = { DECLINED: 'TicketTransferDeclined', LAPSED: 'TicketTransferLapsed', WITHDRAWN: 'TicketTransferWithdrawn' } as const;

/** A link of a ticket's chain of holders: the buyer, then each accepted transfer's recipient. */
export interface Holding {
  userId: number;
  since: Date;
  via: 'PURCHASE' | 'TRANSFER';
  transferId: string | null;
}

/**
 * Transfers' writes, each one transaction that takes the reservation row first (the order of every
 * scan, refund and confirmation), then the ticket, then the transfer: the move re-checks everything
 * a scan or a refund could have changed since the offer. Every write is idempotent by transfer id
 * (the workflow's activities retry).
 */
export class TransferRepository {
  constructor(
    private readonly db: Db,
    private readonly reservations: TransferReservations,
    private readonly catalog: TransferCatalog,
    private readonly limit: RecipientTicketLimit,
    private readonly settings: TransferSettings,
  ) {}

  async find(transferId: string): Promise<TransferRow | undefined> {
    const [row] = await this.db.select().from(ticketTransfers).where(eq(ticketTransfers.id, transferId)).limit(1);
    return row;
  }

  /** Records the offer (PENDING, with its deadline) and TicketTransferOffered, or says why not. */
  async open(input: TransferInput, now = new Date()): Promise<OfferResult> {
    const existing = await this.find(input.transferId);
    if (existing) return { ok: true, transferId: existing.id, expiresAt: existing.expiresAt.toISOString() };
    const [candidate] = await this.db.select().from(tickets).where(eq(tickets.id, input.ticketId)).limit(1);
    if (!candidate) return { ok: false, code: 'NOT_FOUND' };
    try {
      return await withTransaction(this.db, async (tx): Promise<OfferResult> => {
        const locked = await this.lockTicket(tx, candidate.reservationId, candidate.id);
        if (!locked) return { ok: false, code: 'NOT_FOUND' };
        const { reservation, ticket, schedule } = locked;
        const refusal = transferRefusal(
          { holderId: ticket.userId, fromUserId: input.fromUserId, toUserId: input.recipientUserId, reservationStatus: reservation.status, refundStarted: reservation.refundStarted, scheduleStatus: schedule.status, startsAt: schedule.startsAt, admittedAt: ticket.admittedAt },
          now,
          this.settings,
        );
        if (refusal) return { ok: false, code: refusal };
        const expiresAt = offerExpiresAt(now, schedule.startsAt, this.settings);
        await tx.insert(ticketTransfers).values({
          id: input.transferId,
          ticketId: ticket.id,
          reservationId: ticket.reservationId,
          scheduleId: ticket.scheduleId,
          buyerUserId: reservation.userId,
          fromUserId: input.fromUserId,
          toUserId: input.recipientUserId,
          recipientEmailIndex: input.recipientIndex,
          recipientEmailCipher: input.recipientSealed,
          status: 'PENDING',
          pendingTicketId: ticket.id,
          expiresAt,
          createdAt: now,
        });
        const ref = { transferId: input.transferId, ticketId: ticket.id, reservationId: ticket.reservationId, userId: input.fromUserId, scheduleId: ticket.scheduleId };
        await appendEvent(tx, 'TicketTransferOffered', transferAggregateId(input.transferId), { ...ref, toUserId: input.recipientUserId, expiresAt: expiresAt.toISOString() }, { userId: input.fromUserId, occurredAt: now, first: true });
        return { ok: true, transferId: input.transferId, expiresAt: expiresAt.toISOString() };
      });
    } catch (err) {
      if (!isDuplicateKey(err) || isEventSequenceClash(err)) throw err;
      // The same transfer written by a retry that overtook this one, or another open offer of the ticket.
      const again = await this.find(input.transferId);
      return again ? { ok: true, transferId: again.id, expiresAt: again.expiresAt.toISOString() } : { ok: false, code: 'TRANSFER_PENDING' };
    }
  }

  /**
   * The recipient accepted: in one transaction, re-check everything under the locks (the ticket is
   * still the offerer's, not scanned, not refunded, its performance not cancelled, transfers not yet
   * closed, the recipient under the ticket limit), then give the ticket to the recipient with a new
   * serial (every code made from the old one stops verifying at once). A refusal closes the offer
   * LAPSED with the refusal as its reason.
   */
  async move(input: MoveInput, now = new Date()): Promise<TransferOutcome> {
    const transfer = await this.find(input.transferId);
    if (!transfer) throw new Error(`transfer ${input.transferId} does not exist`);
    if (transfer.status !== 'PENDING') return outcomeOf(transfer);
    return withTransaction(this.db, async (tx) => {
      const locked = await this.lockTicket(tx, transfer.reservationId, transfer.ticketId);
      const current = await this.lockTransfer(tx, input.transferId);
      if (current.status !== 'PENDING') return outcomeOf(current);
      let refusal: TransferRefusal | undefined = 'NOT_FOUND';
      if (locked) {
        const { reservation, ticket, schedule } = locked;
        refusal = transferRefusal(
          { holderId: ticket.userId, fromUserId: current.fromUserId, toUserId: input.toUserId, reservationStatus: reservation.status, refundStarted: reservation.refundStarted, scheduleStatus: schedule.status, startsAt: schedule.startsAt, admittedAt: ticket.admittedAt },
          now,
          this.settings,
        );
        if (!refusal && (await this.limit.exceeded(tx, input.toUserId, ticket.scheduleId, await movedTickets(tx, input.toUserId, ticket.scheduleId)))) refusal = 'TICKET_LIMIT';
      }
      if (refusal) return this.closeRow(tx, current, { status: 'LAPSED', reason: refusal, toUserId: input.toUserId }, now);
      await tx.update(tickets).set({ userId: input.toUserId, serial: newSerial() }).where(eq(tickets.id, current.ticketId));
      await tx.update(ticketTransfers).set({ status: 'ACCEPTED', toUserId: input.toUserId, pendingTicketId: null, closedAt: now }).where(eq(ticketTransfers.id, current.id));
      await appendEvent(tx, 'TicketTransferAccepted', transferAggregateId(current.id), { ...refOf(current), toUserId: input.toUserId }, { userId: current.fromUserId, occurredAt: now });
      return { transferId: current.id, status: 'ACCEPTED', reason: null } as const;
    });
  }

  /** Declined, withdrawn or lapsed at its deadline: the offer closes (a closed one stays as it is). */
  async close(input: CloseInput, now = new Date()): Promise<TransferOutcome> {
    return withTransaction(this.db, async (tx) => {
      const current = await this.lockTransfer(tx, input.transferId);
      if (current.status !== 'PENDING') return outcomeOf(current);
      return this.closeRow(tx, current, { status: input.status, reason: input.reason, toUserId: current.toUserId }, now);
    });
  }

  private async closeRow(tx: Tx, t: TransferRow, to: { status: CloseInput['status']; reason: string | null; toUserId: number | null }, now: Date): Promise<TransferOutcome> {
    await tx.update(ticketTransfers).set({ status: to.status, reason: to.reason, pendingTicketId: null, closedAt: now }).where(eq(ticketTransfers.id, t.id));
    const ref = { ...refOf(t), toUserId: to.toUserId };
    const opts = { userId: t.fromUserId, occurredAt: now };
    if (to.status === 'LAPSED') await appendEvent(tx, closedEvent.LAPSED, transferAggregateId(t.id), { ...ref, reason: to.reason ?? 'DEADLINE' }, opts);
    else await appendEvent(tx, closedEvent[to.status], transferAggregateId(t.id), ref, opts);
    return { transferId: t.id, status: to.status, reason: to.reason };
  }

  /** The reservation row (booking's lock, first), the ticket row, and the performance, or undefined when one is gone. */
  private async lockTicket(tx: Tx, reservationId: string, ticketId: number) {
    const reservation = await this.reservations.lockForEntry(tx, reservationId);
    const [ticket] = await tx.select().from(tickets).where(eq(tickets.id, ticketId)).for('update');
    const schedule = ticket && (await this.catalog.findSchedule(ticket.scheduleId, tx));
    return reservation && ticket && schedule ? { reservation, ticket, schedule } : undefined;
  }

  private async lockTransfer(tx: Tx, transferId: string): Promise<TransferRow> {
    const [row] = await tx.select().from(ticketTransfers).where(eq(ticketTransfers.id, transferId)).for('update');
    if (!row) throw new Error(`transfer ${transferId} does not exist`);
    return row;
  }

  /** How many of a purchase's tickets someone other than its buyer holds now (booking's cancel asks). */
  async ticketsHeldByOthers(reservationId: string, buyerId: number): Promise<number> {
    const rows = await this.db.select({ userId: tickets.userId }).from(tickets).where(eq(tickets.reservationId, reservationId));
    return rows.filter((t) => t.userId !== buyerId).length;
  }

  /** Open offers to an account: made to it, or to its email before it had an account. */
  async incoming(userId: number, emailIndexes: string[]): Promise<TransferRow[]> {
    const toEmail = emailIndexes.length > 0 ? and(isNull(ticketTransfers.toUserId), inArray(ticketTransfers.recipientEmailIndex, emailIndexes)) : undefined;
    return this.db
      .select()
      .from(ticketTransfers)
      .where(and(eq(ticketTransfers.status, 'PENDING'), toEmail ? or(eq(ticketTransfers.toUserId, userId), toEmail) : eq(ticketTransfers.toUserId, userId)))
      .orderBy(asc(ticketTransfers.expiresAt))
      .limit(100);
  }

  /** The holder's offers, newest first. */
  async outgoing(userId: number): Promise<TransferRow[]> {
    return this.db.select().from(ticketTransfers).where(eq(ticketTransfers.fromUserId, userId)).orderBy(desc(ticketTransfers.createdAt)).limit(100);
  }

  /** Every transfer of a ticket, oldest first. */
  async ofTicket(ticketId: number): Promise<TransferRow[]> {
    return this.db.select().from(ticketTransfers).where(eq(ticketTransfers.ticketId, ticketId)).orderBy(asc(ticketTransfers.createdAt));
  }

  /** The ticket's chain of holders: its buyer since the ticket was issued, then each accepted transfer's recipient. */
  async holdersOf(ticketId: number): Promise<{ ticket: typeof tickets.$inferSelect; holders: Holding[]; transfers: TransferRow[] } | undefined> {
    const [ticket] = await this.db.select().from(tickets).where(eq(tickets.id, ticketId)).limit(1);
    if (!ticket) return undefined;
    const transfers = await this.ofTicket(ticketId);
    const accepted = transfers.filter((t) => t.status === 'ACCEPTED').sort((a, b) => a.closedAt!.getTime() - b.closedAt!.getTime());
    const buyer = transfers[0]?.buyerUserId ?? ticket.userId;
    const holders: Holding[] = [
      { userId: buyer, since: ticket.issuedAt, via: 'PURCHASE', transferId: null },
      ...accepted.map((t) => ({ userId: t.toUserId!, since: t.closedAt!, via: 'TRANSFER' as const, transferId: t.id })),
    ];
    return { ticket, holders, transfers };
  }
}

/** The tickets of a schedule that moved to or away from the user (accepted transfers), by reservation. */
export async function movedTickets(tx: Tx, userId: number, scheduleId: number): Promise<MovedTickets> {
  const moved = await tx
    .selectDistinct({ ticketId: ticketTransfers.ticketId, buyerUserId: ticketTransfers.buyerUserId })
    .from(ticketTransfers)
    .where(and(eq(ticketTransfers.scheduleId, scheduleId), eq(ticketTransfers.status, 'ACCEPTED'), or(eq(ticketTransfers.toUserId, userId), eq(ticketTransfers.buyerUserId, userId))));
  if (moved.length === 0) return { received: [], given: [] };
  const buyerOf = new Map(moved.map((m) => [m.ticketId, m.buyerUserId]));
  const rows = await tx.select({ id: tickets.id, userId: tickets.userId, reservationId: tickets.reservationId }).from(tickets).where(inArray(tickets.id, [...buyerOf.keys()]));
  const received = rows.filter((t) => t.userId === userId && buyerOf.get(t.id) !== userId).map((t) => t.reservationId);
  const given = rows.filter((t) => t.userId !== userId && buyerOf.get(t.id) === userId).map((t) => t.reservationId);
  return { received, given };
}

const refOf = (t: TransferRow) => ({ transferId: t.id, ticketId: t.ticketId, reservationId: t.reservationId, userId: t.fromUserId, scheduleId: t.scheduleId });

function outcomeOf(t: TransferRow): TransferOutcome {
  if (t.status === 'PENDING') throw new Error(`transfer ${t.id} is still pending`);
  return { transferId: t.id, status: t.status, reason: t.reason };
}
