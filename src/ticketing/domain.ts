/**
 * What a ticket is worth at the door, decided from facts read under the scan's locks. Pure.
 * Void reasons come first: a refunded ticket says so even if it was used before the refund.
 */
export type EntryDecision =
  | { result: 'ADMITTED' }
  | { result: 'ALREADY_USED'; firstScanAt: Date }
  | { result: 'TICKET_REFUNDED' }
  | { result: 'TICKET_CANCELLED' };

export type TicketStatus = 'VALID' | 'USED' | 'VOID';

export interface TicketFacts {
  /** The reservation's status (a ticket exists only for a reservation that was CONFIRMED). */
  reservationStatus: string;
  /** The performance's status: CANCELLED voids every ticket of it, even before its refunds ran. */
  scheduleStatus: string | undefined;
  admittedAt: Date | null;
  /**
   * A refund was started (issue 25): booking marks it before payment moves the money and before the
   * reservation becomes REFUNDED, so from the mark on the ticket is void.
   */
  paymentRefunded?: boolean;
}

export function decideEntry(f: TicketFacts): EntryDecision {
  const voided = voidReason(f);
  if (voided) return { result: voided };
  if (f.admittedAt) return { result: 'ALREADY_USED', firstScanAt: f.admittedAt };
  return { result: 'ADMITTED' };
}

export function voidReason(f: Pick<TicketFacts, 'reservationStatus' | 'scheduleStatus' | 'paymentRefunded'>): 'TICKET_REFUNDED' | 'TICKET_CANCELLED' | undefined {
  if (f.scheduleStatus === 'CANCELLED') return 'TICKET_CANCELLED';
  if (f.reservationStatus === 'REFUNDED' || f.paymentRefunded) return 'TICKET_REFUNDED';
  if (f.reservationStatus !== 'CONFIRMED') return 'TICKET_CANCELLED';
  return undefined;
}

export function ticketStatus(f: TicketFacts): TicketStatus {
  if (voidReason(f)) return 'VOID';
  return f.admittedAt ? 'USED' : 'VALID';
}
