import { and, eq, isNotNull } from 'drizzle-orm';
import { eventsOfAggregates, findEventByPayload } from '../events/index.js';
import { withTransaction, type Db } from '../platform/db/client.js';
import { DomainError } from '../shared/errors.js';
import type { AttendeeSources } from './attendee-list.js';
import { attendeesOf } from './attendee-list.js';
import { CODE_SKEW_STEPS, CODE_STEP_SECONDS, type CodeRefusal, type TicketCodeSigner } from './codes-signed.js';
import type { EntryReservations, TicketCatalog } from './contracts.js';
import { voidReason } from './domain.js';
import { ticketsAggregateId } from './issue.js';
import { recordScan } from './repository.js';
import { tickets } from './schema.js';

/**
 * Offline door scanning (docs/tickets.md "Offline scanning"): what a scanner downloads before the
 * doors open (the performance's public keys and its door list), and the sync of the scans it made
 * without a network. Every synced scan is applied under the same locks as an online scan
 * (reservation row, then ticket row), idempotently by the scanner's own scan id, and by scan time:
 * the first scan of a ticket wins, wherever and whenever it was synced; every later one is a conflict
 * that every gate sees after its next sync.
 */
export interface DoorList {
  scheduleId: number;
  generatedAt: string;
  /** Raw Ed25519 public keys, base64url, current first (a seed rotation leaves two). */
  publicKeys: string[];
  stepSeconds: number;
  skewSteps: number;
  /** The PDF's static code admits from then on. */
  gatesOpenAt: string;
  /**
   * The revocation list, in allow-list form: every ticket of the performance with its current serial
   * (a code made from any other serial, e.g. before a transfer reissued it, is revoked), and its state
   * (VOID: refunded or cancelled; USED: admitted, with when).
   */
  tickets: Array<{ id: number; serial: string; state: 'VALID' | 'USED' | 'VOID'; voidReason: 'TICKET_REFUNDED' | 'TICKET_CANCELLED' | null; admittedAt: string | null }>;
}

export interface OfflineScan {
  scanId: string;
  deviceId: string;
  code: string;
  scannedAt: Date;
}

export type SyncOutcome =
  /** This scan's admission stands (the first by scan time). */
  | { scanId: string; outcome: 'ADMITTED'; ticketId: number }
  /** Someone else's earlier scan of the same ticket stands: this entry was a duplicate. */
  | { scanId: string; outcome: 'CONFLICT'; ticketId: number; firstScanAt: string }
  /** The scanner admitted something the server would not have: a void ticket, an old serial, a bad code. */
  | { scanId: string; outcome: 'REFUSED'; ticketId: number | null; reason: 'TICKET_REFUNDED' | 'TICKET_CANCELLED' | CodeRefusal | 'CODE_REISSUED' | 'NOT_FOUND' };

/** One ticket admitted more than once (each entry: a scan that let someone in), the first scan first. */
export interface EntryConflict {
  ticketId: number;
  entries: Array<{ scanId: string | null; deviceId: string | null; staffId: number; scannedAt: string; stands: boolean }>;
}

export class OfflineScans {
  constructor(
    private readonly db: Db,
    private readonly codes: TicketCodeSigner,
    private readonly reservations: EntryReservations,
    private readonly sources: AttendeeSources,
    private readonly catalog: TicketCatalog,
    private readonly gatesOpenAt: (startsAt: Date) => Date,
    private readonly now: () => Date,
  ) {}

  async doorList(scheduleId: number): Promise<DoorList> {
    const schedule = await this.catalog.findSchedule(scheduleId);
    if (!schedule) throw new DomainError('NOT_FOUND', 'Schedule not found');
    const serials = new Map((await this.db.select({ id: tickets.id, serial: tickets.serial }).from(tickets).where(eq(tickets.scheduleId, scheduleId))).map((t) => [t.id, t.serial]));
    const cancelled = schedule.status === 'CANCELLING' || schedule.status === 'CANCELLED';
    const list: DoorList['tickets'] = [];
    for await (const a of attendeesOf(this.db, this.sources, scheduleId)) {
      const serial = serials.get(a.ticketId);
      if (!serial) continue; // issued after the serial read: on the next download
      list.push({ id: a.ticketId, serial: Buffer.from(serial, 'hex').toString('base64url'), state: a.state, voidReason: a.state === 'VOID' ? (cancelled ? 'TICKET_CANCELLED' : 'TICKET_REFUNDED') : null, admittedAt: a.admittedAt });
    }
    return {
      scheduleId,
      generatedAt: this.now().toISOString(),
      publicKeys: this.codes.publicKeys(scheduleId),
      stepSeconds: CODE_STEP_SECONDS,
      skewSteps: CODE_SKEW_STEPS,
      gatesOpenAt: this.gatesOpenAt(schedule.startsAt).toISOString(),
      tickets: list,
    };
  }

  /** Applies a scanner's queued scans, one transaction each; a repeat (same scan id) changes nothing and answers the same. */
  async sync(scheduleId: number, scans: OfflineScan[], staffId: number): Promise<SyncOutcome[]> {
    const schedule = await this.catalog.findSchedule(scheduleId);
    if (!schedule) throw new DomainError('NOT_FOUND', 'Schedule not found');
    const gatesOpenAt = this.gatesOpenAt(schedule.startsAt);
    const outcomes: SyncOutcome[] = [];
    // In scan order: a device's own scans of one ticket resolve as they happened.
    for (const scan of [...scans].sort((a, b) => a.scannedAt.getTime() - b.scannedAt.getTime())) {
      outcomes.push(await this.apply(scheduleId, { ...scan, scannedAt: new Date(Math.min(scan.scannedAt.getTime(), this.now().getTime())) }, gatesOpenAt, staffId));
    }
    return outcomes;
  }

  private async apply(scheduleId: number, scan: OfflineScan, gatesOpenAt: Date, staffId: number): Promise<SyncOutcome> {
    // The code is checked as of the moment it was scanned: the scanner applied the same rules then.
    const check = this.codes.verify(scan.code, { at: scan.scannedAt, gatesOpenAt });
    if (!check.ok) return { scanId: scan.scanId, outcome: 'REFUSED', ticketId: check.parts?.ticketId ?? null, reason: check.reason };
    const { parts } = check;
    if (parts.scheduleId !== scheduleId) return { scanId: scan.scanId, outcome: 'REFUSED', ticketId: parts.ticketId, reason: 'NOT_FOUND' };
    const [candidate] = await this.db.select().from(tickets).where(eq(tickets.id, parts.ticketId)).limit(1);
    if (!candidate || candidate.scheduleId !== scheduleId) return { scanId: scan.scanId, outcome: 'REFUSED', ticketId: parts.ticketId, reason: 'NOT_FOUND' };
    return withTransaction(this.db, async (tx): Promise<SyncOutcome> => {
      // The order every online scan, confirmation and refund takes: reservation row, then ticket row.
      const reservation = await this.reservations.lockForEntry(tx, candidate.reservationId);
      const [ticket] = await tx.select().from(tickets).where(eq(tickets.id, candidate.id)).for('update');
      if (!reservation || !ticket) return { scanId: scan.scanId, outcome: 'REFUSED', ticketId: parts.ticketId, reason: 'NOT_FOUND' };
      const aggregateId = ticketsAggregateId(ticket.reservationId);
      // Idempotent by scan id: under the ticket's lock, so two syncs of one queue cannot both apply it.
      const seen = await findEventByPayload(tx, { aggregateType: 'ticket', aggregateId, type: 'TicketScanned', jsonPath: '$.offline.scanId', value: scan.scanId });
      if (seen) return this.replayed(scan.scanId, ticket.id, String(seen.payload.result), (seen.payload.firstScanAt as string | null) ?? null);
      if (ticket.serial !== parts.serial) return { scanId: scan.scanId, outcome: 'REFUSED', ticketId: ticket.id, reason: 'CODE_REISSUED' };

      const schedule = await this.catalog.findSchedule(ticket.scheduleId, tx);
      const voided = voidReason({ reservationStatus: reservation.status, scheduleStatus: schedule?.status, paymentRefunded: reservation.refundStarted });
      const earlier = ticket.admittedAt;
      const wins = !voided && (!earlier || scan.scannedAt < earlier);
      const result = voided ?? (wins ? 'ADMITTED' : 'ALREADY_USED');
      if (wins) await tx.update(tickets).set({ admittedAt: scan.scannedAt, admittedBy: staffId }).where(eq(tickets.id, ticket.id));
      await recordScan(tx, ticket, {
        staffId,
        result,
        firstScanAt: result === 'ALREADY_USED' ? earlier : null,
        occurredAt: this.now(),
        offline: { scanId: scan.scanId, deviceId: scan.deviceId, scannedAt: scan.scannedAt.toISOString(), supersedes: wins && earlier ? earlier.toISOString() : null },
      });
      return this.replayed(scan.scanId, ticket.id, result, result === 'ALREADY_USED' ? earlier!.toISOString() : null);
    });
  }

  private replayed(scanId: string, ticketId: number, result: string, firstScanAt: string | null): SyncOutcome {
    if (result === 'ADMITTED') return { scanId, outcome: 'ADMITTED', ticketId };
    if (result === 'ALREADY_USED') return { scanId, outcome: 'CONFLICT', ticketId, firstScanAt: firstScanAt! };
    return { scanId, outcome: 'REFUSED', ticketId, reason: result as 'TICKET_REFUNDED' | 'TICKET_CANCELLED' };
  }

  /**
   * The performance's tickets that let more than one person in: an admission (online or synced) plus
   * offline scans that admitted it again. The earliest scan stands. Read from the event log, the one
   * record of every scan; bounded by the performance's admitted tickets (one index lookup each).
   */
  async conflicts(scheduleId: number): Promise<EntryConflict[]> {
    const admitted = await this.db
      .selectDistinct({ reservationId: tickets.reservationId })
      .from(tickets)
      .where(and(eq(tickets.scheduleId, scheduleId), isNotNull(tickets.admittedAt)));
    const rows = await eventsOfAggregates(this.db, { aggregateType: 'ticket', type: 'TicketScanned', aggregateIds: admitted.map((r) => ticketsAggregateId(r.reservationId)) });
    const byTicket = new Map<number, EntryConflict['entries']>();
    for (const row of rows) {
      const p = row.payload as unknown as ScanPayload;
      // An entry: a scan that let someone in (online admissions, and every offline scan the device admitted, void or not).
      if (p.scheduleId !== scheduleId || (p.result !== 'ADMITTED' && !p.offline)) continue;
      const entries = byTicket.get(p.ticketId) ?? [];
      entries.push({ scanId: p.offline?.scanId ?? null, deviceId: p.offline?.deviceId ?? null, staffId: p.staffId, scannedAt: p.offline?.scannedAt ?? row.occurredAt.toISOString(), stands: false });
      byTicket.set(p.ticketId, entries);
    }
    const conflicts: EntryConflict[] = [];
    for (const [ticketId, entries] of byTicket) {
      if (entries.length < 2) continue;
      entries.sort((a, b) => a.scannedAt.localeCompare(b.scannedAt));
      entries[0]!.stands = true;
      conflicts.push({ ticketId, entries });
    }
    return conflicts.sort((a, b) => a.ticketId - b.ticketId);
  }
}

interface ScanPayload {
  ticketId: number;
  scheduleId: number;
  staffId: number;
  result: string;
  offline?: { scanId: string; deviceId: string; scannedAt: string };
}
