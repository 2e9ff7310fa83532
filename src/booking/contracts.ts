/**
 * Types shared by the reservation workflow, its activities and the API. Types only: the workflow
 * sandbox imports this file, so it must stay free of runtime dependencies.
 */
import type { ReservationStatus } from './domain.js';
import type { HeldSeat } from './seat-shape.js';

export type { HeldSeat };

export interface ReservationInput {
  reservationId: string;
  userId: number;
  scheduleId: number;
  concertId: number;
  seatIds: number[];
  holdTtlMs: number;
  /** Payment's task queue (PAYMENT_TASK_QUEUE); absent in workflows started before it existed. */
  paymentTaskQueue?: string;
}

export type HoldResult =
  | { ok: true; reservationId: string; seats: HeldSeat[]; amount: number; expiresAt: string; heldAt?: string }
  | { ok: false; code: 'SEAT_UNAVAILABLE'; unavailableSeatIds: number[] }
  | { ok: false; code: 'TICKET_LIMIT'; limit: number; held: number }
  // The schedule's status, read under its share lock in the hold transaction (an organiser paused the
  // sale or is cancelling the performance since the API's cached check).
  | { ok: false; code: 'SALE_PAUSED' }
  | { ok: false; code: 'PERFORMANCE_CANCELLED' }
  | { ok: false; code: 'HOLD_FAILED' };

export type PayResult =
  | { ok: true; status: 'CONFIRMED'; paymentId: number; amount: number }
  | { ok: false; code: 'INSUFFICIENT_BALANCE' | 'RESERVATION_EXPIRED' | 'RESERVATION_NOT_PAYABLE' | 'PAYMENT_FAILED'; detail: string; status: WorkflowStatus };

export type CancelResult = { ok: true; status: ReservationStatus } | { ok: false; code: 'NOT_CANCELLABLE'; detail: string; status: WorkflowStatus };

/** The workflow's own view: PENDING before the hold answers, REJECTED when the seats were taken. */
export type WorkflowStatus = 'PENDING' | 'REJECTED' | ReservationStatus;

export interface ReservationState {
  reservationId: string;
  status: WorkflowStatus;
  expiresAt?: string;
  amount?: number;
  paymentAttempts: number;
  reason?: string;
}

export interface ReleaseInput {
  reservationId: string;
  status: 'EXPIRED' | 'CANCELLED' | 'FAILED' | 'REFUNDED';
  reason: string;
}
