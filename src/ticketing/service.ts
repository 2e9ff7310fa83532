import { DomainError } from '../shared/errors.js';
import type { TicketCodes } from './codes.js';
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
  code: string;
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
export type ScanResult = 'ADMITTED' | 'ALREADY_USED' | 'TICKET_REFUNDED' | 'TICKET_CANCELLED' | 'NOT_FOUND';

export interface TicketingHooks {
  /** Called for a code whose signature does not verify (a security event: someone is forging). */
  onForged?: (staffId: number, code: string) => Promise<void>;
  /** Every scan's outcome (metrics). */
  onScan?: (result: ScanResult) => void;
}

export class TicketingService {
  constructor(
    private readonly tickets: TicketRepository,
    private readonly codes: TicketCodes,
    private readonly catalog: TicketCatalog,
    private readonly hooks: TicketingHooks = {},
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
        const code = this.codes.sign({ scheduleId: t.scheduleId, seatId: t.seatId, serial: t.serial });
        return {
          id: t.id,
          reservationId: t.reservationId,
          scheduleId: t.scheduleId,
          code,
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
   */
  async scan(code: string, staffId: number): Promise<AdmittedTicket> {
    const parts = this.codes.verify(code);
    if (!parts) {
      this.hooks.onScan?.('NOT_FOUND');
      await this.hooks.onForged?.(staffId, code);
      throw new DomainError('NOT_FOUND', 'No such ticket');
    }
    const outcome = await this.tickets.scan(parts, staffId);
    this.hooks.onScan?.(outcome.found ? outcome.decision.result : 'NOT_FOUND');
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

  private async seatsOf(rows: TicketRow[]): Promise<Map<number, TicketSeat>> {
    const seats = await this.catalog.seatsByIds(rows.map((t) => t.seatId));
    return new Map(seats.map((s) => [s.id, { seatId: s.id, section: s.section, tier: s.tier, row: s.row, number: s.number }]));
  }
}
