/**
 * Reservation rules, pure: no I/O, no clock of its own (callers pass `now`), so both the workflow
 * sandbox and the HTTP layer can use them.
 */
import { liveReservationStatuses, reservationStatuses, type ReservationStatus } from '../../workflows/booking/reservation-contract.js';

/** The status list is the reservation workflow's wire format, so it lives in its contract; read it here. */
export { liveReservationStatuses, reservationStatuses, type ReservationStatus };

/** The event a reservation appends when it enters each status; folding the event log reads it backwards. */
export const reservationEventOf = {
  HELD: 'ReservationHeld',
  CONFIRMED: 'ReservationConfirmed',
  EXPIRED: 'ReservationExpired',
  CANCELLED: 'ReservationCancelled',
  FAILED: 'ReservationFailed',
  REFUNDED: 'ReservationRefunded',
} as const satisfies Record<ReservationStatus, string>;

const transitions: Record<ReservationStatus, readonly ReservationStatus[]> = {
  HELD: ['CONFIRMED', 'EXPIRED', 'CANCELLED', 'FAILED'],
  CONFIRMED: ['REFUNDED'],
  EXPIRED: [],
  CANCELLED: [],
  FAILED: [],
  REFUNDED: [],
};

export const canTransition = (from: ReservationStatus, to: ReservationStatus) => transitions[from].includes(to);

/** What cancelling a reservation means now: release a hold, refund a purchase, or a refusal code. */
export type CancellationDecision = { action: 'RELEASE' } | { action: 'REFUND' } | { action: 'REFUSE'; code: 'NOT_CANCELLABLE' | 'CANCELLATION_CLOSED' };

export function decideCancellation(
  status: ReservationStatus,
  performanceStartsAt: Date,
  now: Date,
  cutoffHours: number,
  force = false,
): CancellationDecision {
  if (status === 'HELD') return { action: 'RELEASE' };
  if (status !== 'CONFIRMED') return { action: 'REFUSE', code: 'NOT_CANCELLABLE' };
  const cutoff = performanceStartsAt.getTime() - cutoffHours * 3_600_000;
  if (!force && now.getTime() >= cutoff) return { action: 'REFUSE', code: 'CANCELLATION_CLOSED' };
  return { action: 'REFUND' };
}

/** Whether a reservation may be paid now, and if not, the refusal the buyer sees. */
export type PayableVerdict = { ok: true } | { ok: false; code: 'RESERVATION_EXPIRED' | 'RESERVATION_NOT_PAYABLE'; detail: string };

/**
 * The payable rule: only a HELD reservation whose hold has not expired. The buyer was promised "pay
 * before expiresAt", so a payment that arrives later is refused even if the workflow's timer has not
 * fired yet (it fires within milliseconds and releases).
 */
export function payable(status: ReservationStatus, expiresAt: Date, now: Date): PayableVerdict {
  if (status !== 'HELD') return { ok: false, code: 'RESERVATION_NOT_PAYABLE', detail: `reservation is ${status}` };
  if (expiresAt.getTime() <= now.getTime()) return { ok: false, code: 'RESERVATION_EXPIRED', detail: 'the hold expired before payment' };
  return { ok: true };
}

/**
 * The ticket limit: one buyer holds or owns at most `limit` seats of a schedule, over all their live
 * (HELD or CONFIRMED) reservations. Booking's hold and the waiting list's join and offers all ask here.
 */
export interface TicketCount {
  limit: number;
  /** Seats the buyer already holds or owns on the schedule. */
  held: number;
}
/** How many more seats the buyer may take. */
export const ticketRoom = (t: TicketCount) => Math.max(t.limit - t.held, 0);
export const exceedsTicketLimit = (t: TicketCount, wanted: number) => wanted > ticketRoom(t);
/** The buyer's refusal past the limit (409 TICKET_LIMIT), with `limit` and `held` for clients. */
export function ticketLimitRefusal(t: TicketCount): { code: 'TICKET_LIMIT'; detail: string; details: { limit: number; held: number } } {
  const already = t.held > 0 ? `; you already hold or own ${t.held}` : '';
  return { code: 'TICKET_LIMIT', detail: `At most ${t.limit} tickets per buyer for this performance${already}`, details: { limit: t.limit, held: t.held } };
}

/** Seat selection: 1..max distinct seats. Returns a problem description or undefined. */
export function checkSeatSelection(seatIds: readonly number[], max: number): string | undefined {
  if (seatIds.length === 0) return 'select at least one seat';
  if (seatIds.length > max) return `at most ${max} seats per reservation`;
  if (new Set(seatIds).size !== seatIds.length) return 'a seat is listed twice';
  return undefined;
}

export type SaleWindowState = 'NOT_OPEN' | 'OPEN' | 'CLOSED' | 'PAUSED' | 'CANCELLED';
export function saleWindow(s: { saleOpensAt: Date; saleClosesAt: Date; status: string }, now: Date): SaleWindowState {
  if (s.status === 'CANCELLING' || s.status === 'CANCELLED') return 'CANCELLED';
  if (s.status === 'PAUSED') return 'PAUSED';
  if (s.status !== 'SCHEDULED' || now >= s.saleClosesAt) return 'CLOSED';
  return now < s.saleOpensAt ? 'NOT_OPEN' : 'OPEN';
}
