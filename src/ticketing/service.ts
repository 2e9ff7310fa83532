import { DomainError } from '../shared/errors.js';
import { gatesOpenAt, type CodeRefusal, type TicketCodeSigner } from './codes-signed.js';
import type { TicketCatalog } from './contracts.js';
import { ticketStatus, voidReason } from './domain.js';
import { qrSvg } from './qr.js';
import type { TicketRepository, TicketRow } from './repository.js';

export interface TicketSeat {
  seatId: number;
  section: string;
  tier: string;
  row: string;
  number: number;
}

export interface TicketView {
  id: number;
  reservationId: string;
  scheduleId: number;
  /** The current rotating code (docs/tickets.md "Rotating codes"); the page fetches the next one at `codeExpiresAt`. */
  code: string;
  codeExpiresAt: string;
  status: 'VALID' | 'USED' | 'VOID';
  voidReason: 'TICKET_REFUNDED' | 'TICKET_CANCELLED' | null;
  admittedAt: string | null;
  issuedAt: string;
  seat: TicketSeat;
  qrSvg: string;
}

export interface AdmittedTicket {
  result: 'ADMITTED';
  admittedAt: string;
  ticket: { id: number; reservationId: string; scheduleId: number; seat: TicketSeat };
}

/** Door outcomes as counted (`ticket_scans_total{result}`): the decisions plus codes that are not ours. */
export type ScanResult = 'ADMITTED' | 'ALREADY_USED' | 'TICKET_REFUNDED' | 'TICKET_CANCELLED' | 'NOT_FOUND' | Exclude<CodeRefusal, 'CODE_FORGED'> | 'CODE_REISSUED';

export interface TicketingHooks {
  /** Called for a code whose signature does not verify (a security event: someone is forging). */
  onForged?: (staffId: number, code: string) => Promise<void>;
  /** Every scan's outcome (metrics). */
  onScan?: (result: ScanResult) => void;
}

export class TicketingService {
  constructor(
    private readonly tickets: TicketRepository,
    private readonly codes: TicketCodeSigner,
    private readonly catalog: TicketCatalog,
    private readonly hooks: TicketingHooks = {},
    /** The door's clock (rotating codes' steps, gates-open); tests pin `now` where a busy machine would stretch a burst of scans past a step. */
    readonly clock: { gatesOpenMinutes: number; now: () => Date } = { gatesOpenMinutes: 120, now: () => new Date() },
  ) {}

  /**
   * The tickets of a reservation the caller already proved they own (booking's `own`), or of one
   * whose tickets they hold: only those `holderId` holds (a ticket transferred away shows no code).
   */
  async ofReservation(reservation: { id: string; status: string; scheduleId: number }, holderId?: number): Promise<TicketView[]> {
    const rows = (await this.tickets.ofReservation(reservation.id)).filter((t) => holderId === undefined || t.userId === holderId);
    if (rows.length === 0) return [];
    const [seats, schedule] = await Promise.all([this.seatsOf(rows), this.catalog.findSchedule(reservation.scheduleId)]);
    return Promise.all(
      rows.map(async (t) => {
        const facts = { reservationStatus: reservation.status, scheduleStatus: schedule?.status, admittedAt: t.admittedAt };
        const { code, expiresAt } = this.codes.rotating(t, this.clock.now());
        return {
          id: t.id,
          reservationId: t.reservationId,
          scheduleId: t.scheduleId,
          code,
          codeExpiresAt: expiresAt.toISOString(),
          status: ticketStatus(facts),
          voidReason: voidReason(facts) ?? null,
          admittedAt: t.admittedAt?.toISOString() ?? null,
          issuedAt: t.issuedAt.toISOString(),
          seat: seats.get(t.seatId)!,
          qrSvg: await qrSvg(code),
        };
      }),
    );
  }

  /**
   * A purchase's tickets with the PDF's static code (src/notifications' emailed tickets): it admits
   * from the gates-open time on, so a printed page does not depend on the rotating step.
   */
  async printableOf(reservationId: string): Promise<Array<{ id: number; code: string; seat: TicketView['seat'] }>> {
    const rows = await this.tickets.ofReservation(reservationId);
    const seats = await this.seatsOf(rows);
    return rows.map((t) => ({ id: t.id, code: this.codes.static(t), seat: seats.get(t.seatId)! }));
  }

  /** Every ticket the user holds, bought or received through a transfer; `statusesOf`: booking's reservation statuses. */
  async heldBy(userId: number, statusesOf: (reservationIds: string[]) => Promise<Map<string, string>>): Promise<TicketView[]> {
    const rows = await this.tickets.heldBy(userId);
    const reservations = [...new Map(rows.map((t) => [t.reservationId, t.scheduleId])).entries()];
    const statuses = await statusesOf(reservations.map(([id]) => id));
    const views = await Promise.all(reservations.map(([id, scheduleId]) => this.ofReservation({ id, scheduleId, status: statuses.get(id) ?? 'UNKNOWN' }, userId)));
    return views.flat();
  }

  /**
   * A scan at the door: 200 ADMITTED once; then 409 ALREADY_USED with the first scan's time; 409
   * TICKET_REFUNDED / TICKET_CANCELLED for a void ticket; 404 for anything that is not a genuine code.
   * The code's own rules come first (codes-signed.ts): CODE_EXPIRED (a rotating code two steps old:
   * a screenshot), CODE_NOT_YET_VALID, GATES_NOT_OPEN (the PDF's code before the gates open),
   * CODE_REISSUED (made from a serial the ticket no longer has: transferred or reissued).
   */
  async scan(code: string, staffId: number): Promise<AdmittedTicket> {
    const parts = await this.admissibleCode(code, staffId);
    const outcome = await this.tickets.scan(parts, staffId);
    this.hooks.onScan?.(outcome.found ? outcome.decision.result : outcome.reissued ? 'CODE_REISSUED' : 'NOT_FOUND');
    if (!outcome.found && outcome.reissued) throw refusal('CODE_REISSUED', { ticketId: parts.ticketId });
    if (!outcome.found) throw new DomainError('NOT_FOUND', 'No such ticket');
    const { ticket, decision } = outcome;
    const ref = { ticketId: ticket.id, reservationId: ticket.reservationId };
    switch (decision.result) {
      case 'ADMITTED': {
        const seat = (await this.seatsOf([ticket])).get(ticket.seatId)!;
        return { result: 'ADMITTED', admittedAt: ticket.admittedAt!.toISOString(), ticket: { id: ticket.id, reservationId: ticket.reservationId, scheduleId: ticket.scheduleId, seat } };
      }
      case 'ALREADY_USED':
        throw new DomainError('ALREADY_USED', `This ticket was already used at ${decision.firstScanAt.toISOString()}`, { ...ref, firstScanAt: decision.firstScanAt.toISOString() });
      case 'TICKET_REFUNDED':
        throw new DomainError('TICKET_REFUNDED', 'This ticket was refunded and no longer admits', ref);
      case 'TICKET_CANCELLED':
        throw new DomainError('TICKET_CANCELLED', 'This ticket was cancelled (the performance or the purchase) and no longer admits', ref);
    }
  }

  /** A genuine code that admits now (by its own rules), or the refusal; a forged one is a security event. */
  private async admissibleCode(code: string, staffId: number) {
    const at = this.clock.now();
    const signed = this.codes.verify(code, { at });
    if (!signed.ok && signed.reason === 'CODE_FORGED') {
      this.hooks.onScan?.('NOT_FOUND');
      await this.hooks.onForged?.(staffId, code);
      throw new DomainError('NOT_FOUND', 'No such ticket');
    }
    let check = signed;
    if (signed.ok && signed.parts.kind === 'STATIC') {
      const schedule = await this.catalog.findSchedule(signed.parts.scheduleId);
      if (schedule) check = this.codes.verify(code, { at, gatesOpenAt: this.gatesOpenAt(schedule.startsAt) });
    }
    if (!check.ok) {
      this.hooks.onScan?.(check.reason as ScanResult);
      throw refusal(check.reason, { ticketId: check.parts?.ticketId });
    }
    return check.parts;
  }

  gatesOpenAt(startsAt: Date): Date {
    return gatesOpenAt(startsAt, this.clock.gatesOpenMinutes);
  }

  private async seatsOf(rows: TicketRow[]): Promise<Map<number, TicketSeat>> {
    const seats = await this.catalog.seatsByIds(rows.map((t) => t.seatId));
    return new Map(seats.map((s) => [s.id, { seatId: s.id, section: s.section, tier: s.tier, row: s.row, number: s.number }]));
  }
}

const REFUSALS: Record<Exclude<CodeRefusal, 'CODE_FORGED'> | 'CODE_REISSUED', string> = {
  CODE_EXPIRED: 'This rotating code is more than one 15-second step old (a screenshot?); the live ticket page shows the current one',
  CODE_NOT_YET_VALID: 'This rotating code is for a time step more than one step ahead (check the clock of the device showing it)',
  GATES_NOT_OPEN: 'The printed (static) code admits only from the gates-open time; until then show the live ticket page',
  CODE_REISSUED: 'This code was made from a serial the ticket no longer has (transferred or reissued): only its newest codes admit',
};
const refusal = (reason: CodeRefusal | 'CODE_REISSUED', details: Record<string, unknown>) =>
  reason === 'CODE_FORGED' ? new DomainError('NOT_FOUND', 'No such ticket') : new DomainError(reason, REFUSALS[reason], details);
