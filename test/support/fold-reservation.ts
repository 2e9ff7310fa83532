import { canTransition, reservationEventOf, reservationStatuses, type ReservationStatus } from '../../src/booking/domain.js';

/** State rebuilt by folding a reservation's events in sequence order (the event log's view). */
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
