import type { ReleaseInput } from '../../workflows/booking/reservation-contract.js';
import type { ReservationRepository } from './repository.js';

/** The reservation workflows as a performance cancellation needs them (Temporal behind it: reservation-workflows.ts). */
export interface HoldWorkflows {
  /**
   * Ends a reservation's workflow through its own cancel update, so none is left waiting for a
   * payment timer: ENDED once it is closed (or gone), NOT_YET while it has not answered its hold.
   */
  endHold(reservationId: string): Promise<'ENDED' | 'NOT_YET'>;
}

/**
 * A purchase's refund as one refund workflow (src/booking/reservation-workflows.ts refund): booking
 * starts it (refused once a ticket was admitted), payment moves the money on its own queue, booking
 * releases the seats as REFUNDED. Idempotent by reservation (one workflow id per reservation).
 */
export interface Refunds {
  refund(reservation: { reservationId: string; userId: number; scheduleId: number; concertId: number }, reason: string): Promise<'REFUNDED' | 'TICKET_ADMITTED'>;
}

/** Ticketing: the schedule's reservations with a ticket admitted at the door. */
export interface AdmittedReservations {
  admittedReservationsOf(scheduleId: number): Promise<string[]>;
}

/** ADMITTED_KEPT: a purchase with an admitted ticket is neither refunded nor released (docs/catalog-lifecycle.md). */
export type CancelOutcome = 'HOLD_RELEASED' | 'PURCHASE_REFUNDED' | 'ALREADY_CLOSED' | 'ADMITTED_KEPT';

export interface PerformanceCancellationDeps {
  reservations: Pick<ReservationRepository, 'find' | 'liveOfSchedule' | 'countLiveOfSchedule'>;
  /** Booking's release with its Redis upkeep (ReservationSteps.release). */
  release: (input: ReleaseInput) => Promise<{ changed: boolean }>;
  refunds: Refunds;
  holds: HoldWorkflows;
  /** Without it (tests of the saga alone) no purchase is kept. */
  admitted?: AdmittedReservations;
}

/** Thrown when a reservation cannot be closed yet (its workflow has not answered its hold): retry the batch. */
export class NotYetCancellable extends Error {
  override name = 'NotYetCancellable';
}

/**
 * Booking's part of cancelling a performance: closing one reservation, whatever it is doing, so
 * that its buyer ends with their money and no seat. Every step is idempotent by reservation id, so
 * a batch retried after a worker crash repeats nothing that already happened.
 */
export class PerformanceCancellation {
  constructor(private readonly deps: PerformanceCancellationDeps) {}

  /** Live reservations still to close: purchases kept for an admitted ticket are not listed again. */
  async liveReservations(scheduleId: number, limit: number): Promise<string[]> {
    return this.deps.reservations.liveOfSchedule(scheduleId, limit, await this.kept(scheduleId));
  }

  async countLive(scheduleId: number): Promise<number> {
    return this.deps.reservations.countLiveOfSchedule(scheduleId, await this.kept(scheduleId));
  }

  /** Purchases kept (neither refunded nor released) because a ticket was admitted at the door. */
  async countAdmittedKept(scheduleId: number): Promise<number> {
    return (await this.kept(scheduleId)).length;
  }

  private async kept(scheduleId: number): Promise<string[]> {
    return (await this.deps.admitted?.admittedReservationsOf(scheduleId)) ?? [];
  }

  /**
   * A hold is closed in MySQL first (CANCELLED, under the reservation's row lock); then the
   * reservation's own workflow is ended through its cancel update (its release is a no-op by then).
   * A debit racing the close is not lost: payment takes it, booking's confirmation refuses the
   * CANCELLED reservation, and the workflow gives the money back (its compensation). A purchase goes
   * through the refund workflow, like a buyer's own refund, unless one of its tickets was admitted at
   * the door (an admitted ticket is never refunded, SPEC invariant 10): it stays CONFIRMED and is
   * reported (ADMITTED_KEPT) for the organiser to settle.
   */
  async cancelOne(reservationId: string, reason: string): Promise<{ outcome: CancelOutcome; amount: number }> {
    const before = await this.deps.reservations.find(reservationId);
    if (!before) return { outcome: 'ALREADY_CLOSED', amount: 0 };
    if (before.status === 'HELD') await this.deps.release({ reservationId, status: 'CANCELLED', reason });
    const now = (await this.deps.reservations.find(reservationId))!;
    if (now.status === 'CONFIRMED' || now.status === 'REFUNDED') {
      const refund = await this.deps.refunds.refund({ reservationId, userId: now.userId, scheduleId: now.scheduleId, concertId: now.concertId }, reason);
      if (refund === 'TICKET_ADMITTED') return { outcome: 'ADMITTED_KEPT', amount: 0 };
      return { outcome: 'PURCHASE_REFUNDED', amount: now.amount };
    }
    if (now.status === 'CANCELLED' && (await this.deps.holds.endHold(reservationId)) === 'NOT_YET') {
      throw new NotYetCancellable(`reservation ${reservationId}: its workflow has not answered its hold yet`);
    }
    return { outcome: before.status === 'HELD' || now.status === 'CANCELLED' ? 'HOLD_RELEASED' : 'ALREADY_CLOSED', amount: 0 };
  }
}
