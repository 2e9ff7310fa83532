import { canTransition, reservationEventOf, reservationStatuses, type ReservationStatus } from './domain.js';

/** A reservation as its events tell it (folded in sequence order): the event log's view. */
export interface FoldedReservation {
  reservationId: string;
  status: ReservationStatus;
  userId: number;
  scheduleId: number;
  amount: number;
  seatIds: number[];
  expiresAt: string;
}

export interface ReservationEventLike {
  type: string;
  sequence: number;
  payload: Record<string, unknown>;
}

const statusAfter: Record<string, ReservationStatus> = Object.fromEntries(reservationStatuses.map((status) => [reservationEventOf[status], status]));

/**
 * Folds a reservation's events: ReservationHeld sets user, schedule, seats, amount and HELD; every
 * later event moves the status through the allowed transitions and throws on an impossible one
 * (the log itself would be wrong). Events of other types are ignored.
 */
export function foldReservation(events: readonly ReservationEventLike[]): FoldedReservation | undefined {
  let state: FoldedReservation | undefined;
  for (const e of [...events].sort((a, b) => a.sequence - b.sequence)) {
    const next = statusAfter[e.type];
    if (!next) continue;
    if (e.type === reservationEventOf.HELD) {
      const p = e.payload as { reservationId: string; userId: number; scheduleId: number; amount: number; seats: Array<{ seatId: number }>; expiresAt: string };
      state = { reservationId: p.reservationId, status: 'HELD', userId: p.userId, scheduleId: p.scheduleId, amount: p.amount, seatIds: p.seats.map((s) => s.seatId), expiresAt: p.expiresAt };
    } else if (state) {
      if (!canTransition(state.status, next)) throw new Error(`event ${e.type} cannot follow ${state.status}`);
      state = { ...state, status: next };
    }
  }
  return state;
}

/** What the reservations table says, in the fold's terms. */
export type TableReservation = Omit<FoldedReservation, 'reservationId'> & { reservationId: string };

export interface FoldDifference {
  field: keyof FoldedReservation | 'existence';
  folded: unknown;
  table: unknown;
}

/** Field by field, where the folded state and the table disagree (seat ids compared as sets). */
export function foldDifferences(folded: FoldedReservation | undefined, table: TableReservation | undefined): FoldDifference[] {
  if (!folded || !table) return folded || table ? [{ field: 'existence', folded: folded ? 'present' : 'absent', table: table ? 'present' : 'absent' }] : [];
  const norm: Record<keyof FoldedReservation, (r: FoldedReservation) => unknown> = {
    reservationId: (r) => r.reservationId,
    status: (r) => r.status,
    userId: (r) => r.userId,
    scheduleId: (r) => r.scheduleId,
    amount: (r) => r.amount,
    seatIds: (r) => [...r.seatIds].sort((a, b) => a - b).join(','),
    expiresAt: (r) => new Date(r.expiresAt).toISOString(),
  };
  return (Object.keys(norm) as Array<keyof FoldedReservation>).flatMap((field) => {
    const a = norm[field](folded);
    const b = norm[field](table);
    return a === b ? [] : [{ field, folded: a, table: b }];
  });
}
