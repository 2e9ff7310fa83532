import type { CatalogRepository } from '../catalog/index.js';
import { ScheduleCache } from '../catalog/index.js';
import { ScheduleSeats } from '../catalog/index.js';
import { DomainError, notFound, type ErrorCode } from '../shared/errors.js';
import { updateRefusal, type CardPayResult, type HoldResult, type PayResult, type ReservationStatus } from '../../workflows/booking/reservation-contract.js';
import { checkSeatSelection, decideCancellation, saleWindow, ticketLimitRefusal, type SaleWindowState } from './domain.js';
import { reservationIdFor } from './ids.js';
import type { ReservationRepository } from './repository.js';
import { UpdateRejected, type ReservationWorkflows } from './reservation-workflows.js';
import { pickSections, isTogether, type BestAvailableRequest } from './best-available.js';
import { settleSeatLocks, type SeatAllocator } from './seat-locks.js';

export interface BookingSettings {
  holdTtlMs: number;
  maxSeatsPerReservation: number;
  cancellationCutoffHours: number;
}

export type ReservationView = NonNullable<Awaited<ReturnType<ReservationRepository['find']>>>;
type Schedule = NonNullable<Awaited<ReturnType<CatalogRepository['findSchedule']>>>;

/** The narrow ports the service uses (unit tests pass fakes: test/unit/booking-service.test.ts). */
export type BookingCatalog = Pick<CatalogRepository, 'findSchedule' | 'seatIdSpan' | 'seatIdsIn'>;
export type BookingReservations = Pick<ReservationRepository, 'find'>;
export type BookingWorkflows = Pick<ReservationWorkflows, 'hold' | 'pay' | 'cancelHeld' | 'refund'> & Partial<Pick<ReservationWorkflows, 'cardStarted'>>;

/**
 * Payment's card checkout as booking uses it (src/payment's CardPayments): create or find the
 * reservation's provider payment (provider idempotency key from the reservation id, recorded in
 * payment's database), and cancel it at the provider when the reservation turned out to be closed.
 */
export interface CardCheckouts {
  tryStart(input: { reservationId: string; userId: number; amount: number }): Promise<
    { ok: true; providerPaymentId: string; clientSecret: string; amount: number; currency: string } | { ok: false; code: 'PROVIDER_UNAVAILABLE'; detail: string }
  >;
  cancelPending(reservationId: string): Promise<unknown>;
}

/**
 * The booking use cases as the API sees them. The order on the hold path matters for a rush:
 * cheap checks, then the Redis seat locks (most losers stop here), then the workflow.
 */
export class BookingService {
  private readonly schedules: ScheduleCache;
  private readonly scheduleSeats: ScheduleSeats;
  private readonly sectionLayouts = new Map<number, Promise<Array<{ section: string; tier: string }>>>();

  constructor(
    catalog: BookingCatalog,
    private readonly reservations: BookingReservations,
    private readonly workflows: BookingWorkflows,
    private readonly seatLocks: SeatAllocator,
    private readonly settings: BookingSettings,
    /** Ticketing's transfers: a buyer cannot cancel a purchase whose ticket moved to someone else (docs/tickets.md "Transfer"). */
    private readonly transfers?: { ticketsHeldByOthers(reservationId: string, buyerId: number): Promise<number> },
    /** Absent when no provider is configured (PAYMENT_PROVIDER=none): card payments answer 503. */
    private readonly cards?: CardCheckouts,
  ) {
    this.schedules = new ScheduleCache(catalog);
    this.scheduleSeats = new ScheduleSeats(catalog);
  }

  async hold(userId: number, req: { scheduleId: number; seatIds: number[] }, idempotencyKey: string | undefined, now = new Date()): Promise<ReservationView> {
    const schedule = await this.openSchedule(req.scheduleId, now);
    const max = Math.min(schedule.maxSeatsPerReservation, this.settings.maxSeatsPerReservation);
    const problem = checkSeatSelection(req.seatIds, max);
    if (problem) throw new DomainError(problem.startsWith('at most') ? 'TOO_MANY_SEATS' : 'VALIDATION_FAILED', problem);
    // A seat of another schedule is a bad request, not a taken seat: refuse it before any lock or workflow.
    const foreign = await this.scheduleSeats.foreign(req.scheduleId, req.seatIds);
    if (foreign.length > 0) throw new DomainError('VALIDATION_FAILED', `Seats ${foreign.join(', ')} are not seats of schedule ${req.scheduleId}`, { foreignSeatIds: foreign });

    const reservationId = reservationIdFor(userId, idempotencyKey);
    // The claim outlives the hold a little (the allocator adds its grace), so it never frees a seat before MySQL does.
    const lock = await this.seatLocks.acquire(req.scheduleId, req.seatIds, reservationId, holdTtlOf(schedule, this.settings));
    if (!lock.ok) throw new DomainError('SEAT_UNAVAILABLE', 'Some seats are already taken', { unavailableSeatIds: lock.takenSeatIds });
    const result = await this.holdLocked(userId, schedule, req.scheduleId, req.seatIds, reservationId);
    if (result.ok) return result.reservation;
    // MySQL refused seats Redis had handed out: Redis drifted (e.g. restarted empty). The buyer chose
    // these seats, so the refusal stands; the section is rebuilt so the next buyer is not misled.
    await this.rebuildAfterDrift(req.scheduleId, req.seatIds);
    throw new DomainError('SEAT_UNAVAILABLE', 'Some seats are already taken', { unavailableSeatIds: result.unavailableSeatIds });
  }

  /**
   * Best available: the allocator picks and claims the seats in one Redis step, then the hold goes
   * exactly as for chosen seats. If MySQL finds a seat taken (drift), the claim is given back, the
   * sections are rebuilt from MySQL and the request runs once more under a second reservation id
   * (the first one's workflow is closed), so the buyer is never refused for seats they did not pick.
   */
  async holdBest(userId: number, req: BestAvailableRequest, idempotencyKey: string | undefined, opts: { excludeSeatIds?: number[]; reservationIds?: string[]; declined?: boolean } = {}, now = new Date()): Promise<{ reservation: ReservationView; together: boolean }> {
    const schedule = await this.openSchedule(req.scheduleId, now);
    const max = Math.min(schedule.maxSeatsPerReservation, this.settings.maxSeatsPerReservation);
    if (req.quantity > max) throw new DomainError('TOO_MANY_SEATS', `at most ${max} seats per reservation`);
    const sections = await this.candidateSections(req);
    const together = req.together ?? true;
    const ids = opts.reservationIds ?? [reservationIdFor(userId, idempotencyKey), reservationIdFor(userId, idempotencyKey && `${idempotencyKey}#drift-retry`)];
    for (const [attempt, reservationId] of ids.entries()) {
      const allocation = await this.seatLocks.allocate(
        req.scheduleId,
        { quantity: req.quantity, sections, together, excludeSeatIds: opts.excludeSeatIds ?? [], remember: { ...req, declined: opts.declined ?? false } },
        reservationId,
        holdTtlOf(schedule, this.settings),
      );
      if (!allocation.ok) {
        if (allocation.code === 'SOLD_OUT') throw new DomainError('SOLD_OUT', `Fewer than ${req.quantity} seats are free${req.tier ? ` in tier ${req.tier}` : ''}`, { available: allocation.free });
        throw new DomainError('NO_SEATS_TOGETHER', `No ${req.quantity} seats together are free; ask with together=false, or for fewer seats`, {
          available: allocation.free,
          largestRun: allocation.largestRun,
        });
      }
      const result = await this.holdLocked(userId, schedule, req.scheduleId, allocation.seatIds, reservationId, ids.slice(0, attempt));
      if (result.ok) {
        const held = new Set(result.reservation.seats.map((s) => s.seatId));
        // A repeated request joined a hold made before Redis lost its state: give back what this call claimed extra.
        const extra = allocation.seatIds.filter((id) => !held.has(id));
        if (extra.length > 0) await settleSeatLocks(this.seatLocks, { scheduleId: req.scheduleId, seatIds: extra, owner: reservationId }, 'FREE');
        return { reservation: result.reservation, together: allocation.existing ? isTogether(result.reservation.seats) : allocation.together };
      }
      await this.rebuildAfterDrift(req.scheduleId, allocation.seatIds);
    }
    throw new DomainError('SERVICE_UNAVAILABLE', 'The seats could not be held right now; retry with the same Idempotency-Key');
  }

  /**
   * Declines a best-available offer once: the next best seats are claimed first (the declined ones
   * still count as taken, and are excluded too), then the offer is cancelled, then the new seats are
   * held. Deterministic ids make a repeated decline answer with the same new reservation.
   */
  async decline(userId: number, reservationId: string, updateId: string): Promise<{ reservation: ReservationView; together: boolean }> {
    const nextId = reservationIdFor(userId, `decline:${reservationId}`);
    const current = await this.own(userId, reservationId);
    if (current.status !== 'HELD') {
      const next = await this.reservations.find(nextId);
      if (next && next.userId === userId) return { reservation: next, together: isTogether(next.seats) };
      throw new DomainError('NOT_DECLINABLE', `Reservation is ${current.status}`);
    }
    const remembered = (await this.seatLocks.rememberedRequest(current.scheduleId, reservationId)) as (BestAvailableRequest & { declined?: boolean }) | undefined;
    if (!remembered) throw new DomainError('NOT_DECLINABLE', 'Only a seat offer made by best available can be declined');
    if (remembered.declined) throw new DomainError('NOT_DECLINABLE', 'An offer can be declined once; this one replaced a declined offer');
    const declinedSeatIds = current.seats.map((s) => s.seatId);
    const req: BestAvailableRequest = { scheduleId: remembered.scheduleId, quantity: remembered.quantity, tier: remembered.tier, sections: remembered.sections, together: remembered.together };
    const sections = await this.candidateSections(req);
    const claim = await this.seatLocks.allocate(
      current.scheduleId,
      { quantity: req.quantity, sections, together: req.together ?? true, excludeSeatIds: declinedSeatIds, remember: { ...req, declined: true } },
      nextId,
      holdTtlOf(await this.openSchedule(current.scheduleId, new Date()), this.settings),
    );
    if (!claim.ok) throw new DomainError(claim.code === 'SOLD_OUT' ? 'SOLD_OUT' : 'NO_SEATS_TOGETHER', 'No other seats fit this request; the offer stands', { available: claim.free });
    try {
      await this.cancel(userId, reservationId, updateId);
    } catch (err) {
      await settleSeatLocks(this.seatLocks, { scheduleId: current.scheduleId, seatIds: claim.seatIds, owner: nextId }, 'FREE');
      throw err;
    }
    // The claim is already this owner's, so holdBest's allocation returns it (MINE) and holds it.
    return this.holdBest(userId, req, undefined, { reservationIds: [nextId], excludeSeatIds: declinedSeatIds, declined: true });
  }

  /** Free seats per section and tier (GET /schedules/{id}/availability). */
  async availability(scheduleId: number) {
    const schedule = await this.schedules.get(scheduleId);
    if (!schedule) throw notFound('Schedule');
    return this.seatLocks.counts(scheduleId);
  }

  private async openSchedule(scheduleId: number, now: Date) {
    const schedule = await this.schedules.get(scheduleId);
    if (!schedule) throw notFound('Schedule');
    const window = saleWindow(schedule, now);
    if (window !== 'OPEN') throw saleRefusal(window, schedule.saleOpensAt);
    return schedule;
  }

  /**
   * The sections a request may be seated in, in preference order. A tier or section the schedule
   * does not have is a 404, like a schedule that does not exist: the request is well-formed.
   */
  private async candidateSections(req: BestAvailableRequest): Promise<string[]> {
    const problem = pickSections(await this.sectionsOf(req.scheduleId), req);
    if (typeof problem === 'string') throw new DomainError('NOT_FOUND', problem);
    return problem.sections;
  }

  /** A schedule's sections and tiers never change once generated: read once per process, off the hot path. */
  private sectionsOf(scheduleId: number): Promise<Array<{ section: string; tier: string }>> {
    const hit = this.sectionLayouts.get(scheduleId);
    if (hit) return hit;
    if (this.sectionLayouts.size >= 10_000) this.sectionLayouts.clear();
    const value = this.seatLocks.counts(scheduleId).then((counts) => counts.map(({ section, tier }) => ({ section, tier })));
    this.sectionLayouts.set(scheduleId, value);
    value.then((v) => v.length === 0 && this.sectionLayouts.delete(scheduleId), () => this.sectionLayouts.delete(scheduleId));
    return value;
  }

  private async rebuildAfterDrift(scheduleId: number, seatIds: number[]) {
    try {
      await this.seatLocks.rebuild(scheduleId, seatIds);
    } catch {
      // Best effort: the claims lapse on their own; MySQL already refused the double hold.
    }
  }

  /**
   * The hold after the seats are claimed in Redis: Update-with-Start, the workflow's MySQL write.
   * Answers the reservation, or the seats MySQL found taken (claims already given back by the
   * hold step); every other refusal is thrown. `earlierIds` are reservation ids an earlier attempt
   * of the same request used (a closed workflow's answer may be found under them).
   */
  private async holdLocked(
    userId: number,
    schedule: Schedule,
    scheduleId: number,
    seatIds: number[],
    reservationId: string,
    earlierIds: string[] = [],
  ): Promise<{ ok: true; reservation: ReservationView } | { ok: false; unavailableSeatIds: number[] }> {
    const settle = (to: 'FREE' | 'SOLD') => settleSeatLocks(this.seatLocks, { scheduleId, seatIds, owner: reservationId }, to);
    let result: HoldResult;
    try {
      // The default TTL; the hold transaction applies the schedule's own, read under its lock.
      result = await this.workflows.hold({ reservationId, userId, scheduleId, concertId: schedule.concertId, seatIds, holdTtlMs: this.settings.holdTtlMs });
    } catch (err) {
      if (err instanceof UpdateRejected) return { ok: true, reservation: await this.closedHold(userId, reservationId, earlierIds, settle) };
      await settle('FREE');
      throw err;
    }
    if (result.ok) return { ok: true, reservation: await this.heldView(userId, schedule, reservationId, result) };
    if (result.code === 'SEAT_UNAVAILABLE') return { ok: false, unavailableSeatIds: result.unavailableSeatIds };
    if (result.code === 'HOLD_FAILED') await settle('FREE');
    throw this.holdRefusal(result, schedule);
  }

  /**
   * Same key, workflow already closed: answer with what it left (a refused hold left nothing), and
   * give back the seat locks this request just took, or re-mark them sold: no workflow will ever
   * release them, and they would turn other buyers away from free seats.
   */
  private async closedHold(userId: number, reservationId: string, earlierIds: string[], settle: (to: 'FREE' | 'SOLD') => Promise<unknown>): Promise<ReservationView> {
    const left = await this.own(userId, reservationId).catch(() => undefined);
    await settle(left?.status === 'CONFIRMED' ? 'SOLD' : 'FREE');
    if (left) return left;
    for (const id of earlierIds) {
      const earlier = await this.own(userId, id).catch(() => undefined);
      if (earlier) return earlier;
    }
    throw new DomainError('SEAT_UNAVAILABLE', 'Some seats are already taken');
  }

  /** The buyer's refusal for a hold the workflow refused (other than taken seats). */
  private holdRefusal(result: Extract<HoldResult, { ok: false; code: 'HOLD_FAILED' | 'TICKET_LIMIT' | 'SALE_PAUSED' | 'PERFORMANCE_CANCELLED' }>, schedule: Schedule): DomainError {
    if (result.code === 'HOLD_FAILED') return new DomainError('SERVICE_UNAVAILABLE', 'The seats could not be held right now; retry with the same Idempotency-Key');
    if (result.code === 'TICKET_LIMIT') {
      const refusal = ticketLimitRefusal(result);
      return new DomainError(refusal.code, refusal.detail, refusal.details);
    }
    this.schedules.forget(schedule.id); // the cache said otherwise: read the change next time
    return saleRefusal(result.code === 'SALE_PAUSED' ? 'PAUSED' : 'CANCELLED', schedule.saleOpensAt);
  }

  /**
   * The hold result carries everything the answer needs: no read-back from MySQL on the hot path.
   * A result recorded before heldAt (or the seat tier) was carried is read back instead.
   */
  private async heldView(userId: number, schedule: Schedule, reservationId: string, result: Extract<HoldResult, { ok: true }>): Promise<ReservationView> {
    if (!result.heldAt || result.seats.some((s) => s.tier === undefined)) return this.own(userId, reservationId);
    return {
      id: reservationId,
      userId,
      scheduleId: schedule.id,
      concertId: schedule.concertId,
      status: 'HELD',
      amount: result.amount,
      seats: result.seats.map((s) => ({ ...s, tier: s.tier! })),
      expiresAt: new Date(result.expiresAt),
      createdAt: new Date(result.heldAt),
      confirmedAt: null,
      closedAt: null,
      refundStartedAt: null,
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
    // *now* is not decided here: payment decides it in the debit, against the hold's expiresAt the
    // workflow sent, at the instant the payment is stamped with; an earlier check by this process's
    // clock could refuse what that decision would accept.
    refuseUnlessHeld(current);
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

  /**
   * Card: payment creates (or finds) the reservation's provider payment, the workflow is told its id
   * by one signal, and the buyer gets its client secret; the provider's webhook completes the
   * purchase (docs/payments.md). One provider round trip and one signal on the buyer's path, no
   * workflow task: the workflow still decides alone between paying and expiring (a payment started
   * while it was closing is cancelled or refunded by it). A provider that does not answer is 503
   * SERVICE_UNAVAILABLE with Retry-After: the hold stays, nothing was charged.
   */
  async payByCard(current: ReservationView, now = new Date()): Promise<Extract<CardPayResult, { ok: true }>> {
    refuseUnlessHeld(current);
    if (!this.cards || !this.workflows.cardStarted) throw new DomainError('SERVICE_UNAVAILABLE', 'Card payments are not available');
    if (current.expiresAt.getTime() <= now.getTime()) throw new DomainError('RESERVATION_EXPIRED', 'The hold has expired');
    const started = await this.cards.tryStart({ reservationId: current.id, userId: current.userId, amount: current.amount });
    if (!started.ok) throw new DomainError('SERVICE_UNAVAILABLE', 'The payment provider is not answering; the seats stay held, retry shortly');
    if ((await this.workflows.cardStarted(current.id, started.providerPaymentId)) === 'CLOSED') {
      // Closed since the check (expired, cancelled, paid): this request hands out no secret, and the
      // payment is cancelled at the provider; if a client paid it anyway (an earlier 202), its webhook
      // finds the workflow closed and the late-payment workflow refunds it.
      await this.cards.cancelPending(current.id).catch(() => undefined);
      throw await this.refusalFromState(current.id, 'WORKFLOW_CLOSED', 'RESERVATION_NOT_PAYABLE');
    }
    return { ...started, status: 'PAYMENT_PENDING' };
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
      // The payer paid, the holder changed: refunding the buyer would void a ticket someone else now
      // holds (and sell-transfer-refund would be a free scam). Admins and a performance cancellation still refund the payer.
      if (!opts.asAdmin && (await this.transfers?.ticketsHeldByOthers(reservationId, current.userId))) {
        throw new DomainError('TICKET_TRANSFERRED', 'A ticket of this purchase was transferred to another account: the purchase can no longer be cancelled by its buyer');
      }
      const outcome = await this.workflows.refund({ reservationId, ...current }, opts.asAdmin ? 'cancelled by an administrator' : 'cancelled by the user');
      if (outcome === 'TICKET_ADMITTED') throw new DomainError('TICKET_ADMITTED', 'A ticket of this purchase was admitted at the door: it cannot be refunded');
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
    // The workflow's own verdict wins when it saw the expiry first (the row may not say so yet).
    return refusalOf(reason === 'RESERVATION_EXPIRED' ? 'EXPIRED' : r.status, fallback) ?? new DomainError(fallback, `Reservation is ${r.status}`);
  }
}

/** A settled reservation is answered from its status, each with its own code, without a round trip. */
function refuseUnlessHeld(current: ReservationView): void {
  const refusal = refusalOf(current.status, 'RESERVATION_NOT_PAYABLE');
  if (refusal) throw refusal;
}

/**
 * The refusal for a reservation in `status`, by the rule the workflow's update validators apply
 * (updateRefusal, in its contract); undefined while it is HELD. A paid reservation is ALREADY_PAID
 * whatever was asked: cancelling one goes through the refund, never through this refusal.
 */
function refusalOf(status: ReservationStatus, otherwise: ErrorCode): DomainError | undefined {
  const code = updateRefusal(status, 'pay');
  if (code === undefined) return undefined;
  if (code === 'RESERVATION_EXPIRED') return new DomainError(code, 'The hold expired');
  if (code === 'ALREADY_PAID') return new DomainError(code, 'This reservation is already paid');
  return new DomainError(otherwise, `Reservation is ${status}`);
}

/** Why a hold is refused by the sale's state (each with its own code, so clients can tell them apart). */
/** The schedule's own hold TTL, or the default (the Redis claim is sized from it; MySQL applies it). */
function holdTtlOf(schedule: { holdTtlSeconds: number | null }, settings: BookingSettings): number {
  return schedule.holdTtlSeconds !== null ? schedule.holdTtlSeconds * 1000 : settings.holdTtlMs;
}

function saleRefusal(window: Exclude<SaleWindowState, 'OPEN'>, opensAt: Date): DomainError {
  if (window === 'PAUSED') return new DomainError('SALE_PAUSED', 'The organiser paused the sale of this performance; try again later');
  if (window === 'CANCELLED') return new DomainError('PERFORMANCE_CANCELLED', 'This performance is cancelled');
  return new DomainError('SALE_NOT_OPEN', window === 'NOT_OPEN' ? `Sale opens at ${opensAt.toISOString()}` : 'Sale is closed');
}
