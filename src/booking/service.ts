import type { CatalogRepository } from '../catalog/repository.js';
import { ScheduleCache } from '../catalog/schedule-cache.js';
import { ScheduleSeats } from '../catalog/schedule-seats.js';
import { DomainError, notFound, type ErrorCode } from '../shared/errors.js';
import type { HoldResult, PayResult } from './contracts.js';
import { checkSeatSelection, decideCancellation, saleWindow, type SaleWindowState } from './domain.js';
import { reservationIdFor } from './ids.js';
import type { ReservationRepository } from './repository.js';
import { UpdateRejected, type ReservationWorkflows } from './reservation-workflows.js';
import { settleSeatLocks, type SeatLocks } from './seat-locks.js';

export interface BookingSettings {
  holdTtlMs: number;
  maxSeatsPerReservation: number;
  cancellationCutoffHours: number;
}

export type ReservationView = NonNullable<Awaited<ReturnType<ReservationRepository['find']>>>;

/** The narrow ports the service uses (unit tests pass fakes: test/unit/booking-service.test.ts). */
export type BookingCatalog = Pick<CatalogRepository, 'findSchedule' | 'seatIdSpan' | 'seatIdsIn'>;
export type BookingReservations = Pick<ReservationRepository, 'find'>;
export type BookingWorkflows = Pick<ReservationWorkflows, 'hold' | 'pay' | 'cancelHeld' | 'refund'>;

/**
 * The booking use cases as the API sees them. The order on the hold path matters for a rush:
 * cheap checks, then the Redis seat locks (most losers stop here), then the workflow.
 */
export class BookingService {
  private readonly schedules: ScheduleCache;
  private readonly scheduleSeats: ScheduleSeats;

  constructor(
    catalog: BookingCatalog,
    private readonly reservations: BookingReservations,
    private readonly workflows: BookingWorkflows,
    private readonly seatLocks: SeatLocks,
    private readonly settings: BookingSettings,
  ) {
    this.schedules = new ScheduleCache(catalog);
    this.scheduleSeats = new ScheduleSeats(catalog);
  }

  async hold(userId: number, req: { scheduleId: number; seatIds: number[] }, idempotencyKey: string | undefined, now = new Date()): Promise<ReservationView> {
    const schedule = await this.schedules.get(req.scheduleId);
    if (!schedule) throw notFound('Schedule');
    const window = saleWindow(schedule, now);
    if (window !== 'OPEN') throw saleRefusal(window, schedule.saleOpensAt);
    const max = Math.min(schedule.maxSeatsPerReservation, this.settings.maxSeatsPerReservation);
    const problem = checkSeatSelection(req.seatIds, max);
    if (problem) throw new DomainError(problem.startsWith('at most') ? 'TOO_MANY_SEATS' : 'VALIDATION_FAILED', problem);
    // A seat of another schedule is a bad request, not a taken seat: refuse it before any lock or workflow.
    const foreign = await this.scheduleSeats.foreign(req.scheduleId, req.seatIds);
    if (foreign.length > 0) throw new DomainError('VALIDATION_FAILED', `Seats ${foreign.join(', ')} are not seats of schedule ${req.scheduleId}`, { foreignSeatIds: foreign });

    const reservationId = reservationIdFor(userId, idempotencyKey);
    // The lock outlives the hold a little so it never frees a seat before MySQL does.
    const holdTtlMs = schedule.holdTtlSeconds !== null ? schedule.holdTtlSeconds * 1000 : this.settings.holdTtlMs;
    const lock = await this.seatLocks.acquire(req.scheduleId, req.seatIds, reservationId, holdTtlMs + 30_000);
    if (!lock.ok) throw new DomainError('SEAT_UNAVAILABLE', 'Some seats are already taken', { unavailableSeatIds: lock.takenSeatIds });

    let result: HoldResult;
    try {
      result = await this.workflows.hold({
        reservationId,
        userId,
        scheduleId: req.scheduleId,
        concertId: schedule.concertId,
        seatIds: req.seatIds,
        // The default; the hold transaction applies the schedule's own TTL, read under its lock.
        holdTtlMs: this.settings.holdTtlMs,
      });
    } catch (err) {
      // Same key, workflow already closed: answer with what it left (a refused hold left nothing),
      // and give back the seat locks this request just took, or re-mark them sold: no workflow
      // will ever release them, and they would turn other buyers away from free seats.
      if (err instanceof UpdateRejected) {
        const left = await this.own(userId, reservationId).catch(() => undefined);
        await settleSeatLocks(this.seatLocks, { scheduleId: req.scheduleId, seatIds: req.seatIds, owner: reservationId }, left?.status === 'CONFIRMED' ? 'SOLD' : 'FREE');
        if (!left) throw new DomainError('SEAT_UNAVAILABLE', 'Some seats are already taken');
        return left;
      }
      await settleSeatLocks(this.seatLocks, { scheduleId: req.scheduleId, seatIds: req.seatIds, owner: reservationId }, 'FREE');
      throw err;
    }
    if (!result.ok) {
      if (result.code === 'HOLD_FAILED') {
        await settleSeatLocks(this.seatLocks, { scheduleId: req.scheduleId, seatIds: req.seatIds, owner: reservationId }, 'FREE');
        throw new DomainError('SERVICE_UNAVAILABLE', 'The seats could not be held right now; retry with the same Idempotency-Key');
      }
      if (result.code === 'TICKET_LIMIT') {
        throw new DomainError('TICKET_LIMIT', `At most ${result.limit} tickets per buyer for this performance; you already hold or own ${result.held}`, {
          limit: result.limit,
          held: result.held,
        });
      }
      if (result.code === 'SALE_PAUSED' || result.code === 'PERFORMANCE_CANCELLED') {
        this.schedules.forget(req.scheduleId); // the cache said otherwise: read the change next time
        throw saleRefusal(result.code === 'SALE_PAUSED' ? 'PAUSED' : 'CANCELLED', schedule.saleOpensAt);
      }
      throw new DomainError('SEAT_UNAVAILABLE', 'Some seats are already taken', { unavailableSeatIds: result.unavailableSeatIds });
    }
    // The hold result carries everything the answer needs: no read-back from MySQL on the hot path.
    // A result recorded before heldAt (or the seat tier) was carried is read back instead.
    if (!result.heldAt || result.seats.some((s) => s.tier === undefined)) return this.own(userId, reservationId);
    return {
      id: reservationId,
      userId,
      scheduleId: req.scheduleId,
      concertId: schedule.concertId,
      status: 'HELD',
      amount: result.amount,
      seats: result.seats.map((s) => ({ ...s, tier: s.tier! })),
      expiresAt: new Date(result.expiresAt),
      createdAt: new Date(result.heldAt),
      confirmedAt: null,
      closedAt: null,
      reason: null,
      version: 0,
    };
  }

  /** An organiser changed the schedule: this process reads it afresh (others within the cache's few seconds). */
  scheduleChanged(scheduleId: number): void {
    this.schedules.forget(scheduleId);
  }

  /** Pays a reservation the caller already loaded with `own` (the route needs it for the waiting-room check). */
  async pay(current: ReservationView, updateId: string): Promise<{ reservation: ReservationView; payment: { paymentId: number; amount: number } }> {
    const { id: reservationId, userId } = current;
    // A settled reservation is answered from its status without a round trip, each with its own code
    // (the payable rule folds them all into RESERVATION_NOT_PAYABLE). Whether a HELD one may be paid
    // *now* is not decided here: payable() decides it in the payment activity, under the reservation's
    // row lock (lockPayable), at the instant the payment is stamped with; an earlier check by this
    // process's clock could refuse what that decision would accept.
    if (current.status === 'CONFIRMED') throw new DomainError('ALREADY_PAID', 'This reservation is already paid');
    if (current.status === 'EXPIRED') throw new DomainError('RESERVATION_EXPIRED', 'The hold expired before payment');
    if (current.status !== 'HELD') throw new DomainError('RESERVATION_NOT_PAYABLE', `Reservation is ${current.status}`);
    let result: PayResult;
    try {
      result = await this.workflows.pay(reservationId, updateId);
    } catch (err) {
      if (err instanceof UpdateRejected) throw await this.refusalFromState(reservationId, err.reason, 'RESERVATION_NOT_PAYABLE');
      throw err;
    }
    if (!result.ok) {
      const code = result.code === 'PAYMENT_FAILED' ? 'RESERVATION_NOT_PAYABLE' : result.code;
      throw new DomainError(code, result.detail);
    }
    return { reservation: await this.own(userId, reservationId), payment: { paymentId: result.paymentId, amount: result.amount } };
  }

  async cancel(userId: number, reservationId: string, updateId: string, opts: { force?: boolean; asAdmin?: boolean; now?: Date } = {}): Promise<ReservationView> {
    const current = opts.asAdmin ? await this.any(reservationId) : await this.own(userId, reservationId);
    const schedule = await this.schedules.get(current.scheduleId);
    const decision = decideCancellation(current.status, schedule!.startsAt, opts.now ?? new Date(), this.settings.cancellationCutoffHours, opts.force);
    if (decision.action === 'REFUSE') {
      throw new DomainError(decision.code, decision.code === 'CANCELLATION_CLOSED' ? 'The cancellation deadline for this performance has passed' : `Reservation is ${current.status}`);
    }
    if (decision.action === 'RELEASE') {
      try {
        const result = await this.workflows.cancelHeld(reservationId, updateId);
        if (!result.ok) throw new DomainError('NOT_CANCELLABLE', result.detail);
      } catch (err) {
        if (err instanceof UpdateRejected) throw await this.refusalFromState(reservationId, err.reason, 'NOT_CANCELLABLE');
        throw err;
      }
    } else {
      await this.workflows.refund({ reservationId, ...current }, opts.asAdmin ? 'cancelled by an administrator' : 'cancelled by the user');
    }
    return this.any(reservationId);
  }

  /** A user's own reservation; anyone else's is indistinguishable from a missing one (404). */
  async own(userId: number, reservationId: string): Promise<ReservationView> {
    const r = await this.reservations.find(reservationId);
    if (!r || r.userId !== userId) throw notFound('Reservation');
    return r;
  }

  private async any(reservationId: string): Promise<ReservationView> {
    const r = await this.reservations.find(reservationId);
    if (!r) throw notFound('Reservation');
    return r;
  }

  /** The workflow refused or is closed: explain it from the reservation's current truth. */
  private async refusalFromState(reservationId: string, reason: string, fallback: ErrorCode): Promise<DomainError> {
    const r = await this.any(reservationId);
    if (r.status === 'EXPIRED' || reason === 'RESERVATION_EXPIRED') return new DomainError('RESERVATION_EXPIRED', 'The hold expired');
    if (r.status === 'CONFIRMED') return new DomainError('ALREADY_PAID', 'This reservation is already paid');
    return new DomainError(fallback, `Reservation is ${r.status}`);
  }
}

/** Why a hold is refused by the sale's state (each with its own code, so clients can tell them apart). */
function saleRefusal(window: Exclude<SaleWindowState, 'OPEN'>, opensAt: Date): DomainError {
  if (window === 'PAUSED') return new DomainError('SALE_PAUSED', 'The organiser paused the sale of this performance; try again later');
  if (window === 'CANCELLED') return new DomainError('PERFORMANCE_CANCELLED', 'This performance is cancelled');
  return new DomainError('SALE_NOT_OPEN', window === 'NOT_OPEN' ? `Sale opens at ${opensAt.toISOString()}` : 'Sale is closed');
}
