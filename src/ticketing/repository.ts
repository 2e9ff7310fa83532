import { and, asc, desc, eq, isNotNull } from 'drizzle-orm';
import { appendEvent } from '../events/index.js';
import { withTransaction, type Db, type Tx } from '../platform/db/client.js';
import type { SignedCodeParts } from './codes-signed.js';
import type { EntryReservations, TicketCatalog } from './contracts.js';
import { decideEntry, type EntryDecision } from './domain.js';
import { ticketsAggregateId } from './issue.js';
import { tickets } from './schema.js';

export type TicketRow = typeof tickets.$inferSelect;

/** `reissued`: the ticket exists, but the code was made from a serial it no longer has. */
export type ScanOutcome = { found: false; reissued?: boolean } | { found: true; ticket: TicketRow; decision: EntryDecision; scannedAt: Date };

export class TicketRepository {
  constructor(
    private readonly db: Db,
    private readonly reservations: EntryReservations,
    private readonly catalog: TicketCatalog,
  ) {}

  /**
   * Booking's port (AdmissionCheck): the reservation's admitted tickets, locked, inside booking's
   * refund-start transaction that already holds the reservation row, the lock every scan takes first.
   */
  async lockAdmitted(tx: Tx, reservationId: string): Promise<number> {
    const rows = await tx.select({ id: tickets.id }).from(tickets).where(and(eq(tickets.reservationId, reservationId), isNotNull(tickets.admittedAt))).for('update');
    return rows.length;
  }

  /** Booking's port for a performance cancellation: reservations of the schedule with an admitted ticket. */
  async admittedReservationsOf(scheduleId: number): Promise<string[]> {
    const rows = await this.db.selectDistinct({ id: tickets.reservationId }).from(tickets).where(and(eq(tickets.scheduleId, scheduleId), isNotNull(tickets.admittedAt)));
    return rows.map((r) => r.id);
  }

  /** The tickets a user holds (bought, or received by transfer), newest first, at most 200. */
  async heldBy(userId: number): Promise<TicketRow[]> {
    return this.db.select().from(tickets).where(eq(tickets.userId, userId)).orderBy(desc(tickets.id)).limit(200);
  }

  async ofReservation(reservationId: string): Promise<TicketRow[]> {
    return this.db.select().from(tickets).where(eq(tickets.reservationId, reservationId)).orderBy(asc(tickets.seatId));
  }

  /**
   * One scan at the door, in one transaction: the reservation row is locked first (the order every
   * confirmation and refund takes), then the ticket row, so concurrent scans of one code take turns
   * and exactly one finds it unused; a refund that started first is seen (booking marked it before
   * payment moves the money), one that comes later waits and then refuses (TICKET_ADMITTED).
   * Every scan of a genuine ticket, admitted or refused, is a TicketScanned event.
   */
  async scan(code: Pick<SignedCodeParts, 'ticketId' | 'scheduleId' | 'serial'>, staffId: number): Promise<ScanOutcome> {
    const [candidate] = await this.db.select().from(tickets).where(eq(tickets.id, code.ticketId)).limit(1);
    // A valid signature without a row (another environment's seed, a deleted test database): not ours.
    if (!candidate || candidate.scheduleId !== code.scheduleId) return { found: false };
    if (candidate.serial !== code.serial) return { found: false, reissued: true };
    return withTransaction(this.db, async (tx) => {
      const reservation = await this.reservations.lockForEntry(tx, candidate.reservationId);
      const [ticket] = await tx.select().from(tickets).where(eq(tickets.id, candidate.id)).for('update');
      if (!reservation || !ticket) return { found: false } as const;
      // Read again under the lock: a transfer that reissued the serial meanwhile has killed this code.
      if (ticket.serial !== code.serial) return { found: false, reissued: true } as const;
      // Read under the locks: the scan's time is after every refund or earlier scan it waited for.
      const now = new Date();
      const schedule = await this.catalog.findSchedule(ticket.scheduleId, tx);
      const decision = decideEntry({ reservationStatus: reservation.status, scheduleStatus: schedule?.status, admittedAt: ticket.admittedAt, paymentRefunded: reservation.refundStarted });
      if (decision.result === 'ADMITTED') await tx.update(tickets).set({ admittedAt: now, admittedBy: staffId }).where(eq(tickets.id, ticket.id));
      await recordScan(tx, ticket, { staffId, result: decision.result, firstScanAt: decision.result === 'ALREADY_USED' ? decision.firstScanAt : null, occurredAt: now });
      const after = decision.result === 'ADMITTED' ? { ...ticket, admittedAt: now, admittedBy: staffId } : ticket;
      return { found: true, ticket: after, decision, scannedAt: now } as const;
    });
  }
}

/** The TicketScanned event of one scan of a genuine ticket (online, or synced from an offline scanner with `offline`). */
export async function recordScan(
  tx: Tx,
  ticket: TicketRow,
  scan: { staffId: number; result: EntryDecision['result']; firstScanAt: Date | null; occurredAt: Date; offline?: { scanId: string; deviceId: string; scannedAt: string; supersedes: string | null } },
): Promise<void> {
  await appendEvent(
    tx,
    'TicketScanned',
    ticketsAggregateId(ticket.reservationId),
    {
      reservationId: ticket.reservationId,
      userId: ticket.userId,
      scheduleId: ticket.scheduleId,
      ticketId: ticket.id,
      seatId: ticket.seatId,
      staffId: scan.staffId,
      result: scan.result,
      firstScanAt: scan.firstScanAt?.toISOString() ?? null,
      ...(scan.offline ? { offline: scan.offline } : {}),
    },
    { userId: ticket.userId, occurredAt: scan.occurredAt },
  );
}
