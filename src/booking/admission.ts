import { DomainError } from '../shared/errors.js';
import type { BookingService, ReservationView } from './service.js';

/** Waiting-room check for booking calls (src/queue); absent means no waiting room is enforced. */
export interface AdmissionGate {
  check(queueToken: string | undefined, userId: number, scheduleId: number): Promise<void>;
  /** Feedback for admission control: how long an admitted hold or payment took, and whether it was an overload answer. */
  observe?(scheduleId: number, call: 'hold' | 'pay', ms: number, overload: boolean): void;
}

/** Answers that say the booking path is past its capacity: 503s and anything unexpected (Temporal timeouts). */
const isOverload = (err: unknown) => !(err instanceof DomainError) || err.code === 'SERVICE_UNAVAILABLE';

/**
 * The waiting room's rules on the booking path: who needs an ACTIVE queue token for a hold or a
 * payment, and the timing feedback admission control reads. The routes pass the request's token.
 */
export class BookingAdmission {
  constructor(
    private readonly deps: {
      booking: Pick<BookingService, 'own'>;
      gate?: AdmissionGate | undefined;
      /** Whether a reservation is a waiting-list offer: it is paid without a waiting-room token (src/waitlist). */
      isWaitlistOffer?: ((reservationId: string) => Promise<boolean>) | undefined;
    },
  ) {}

  /** A hold (or a decline, which holds again) needs the ACTIVE token of its schedule. */
  async admit(queueToken: string | undefined, userId: number, scheduleId: number): Promise<void> {
    await this.deps.gate?.check(queueToken, userId, scheduleId);
  }

  /**
   * Only a payable (HELD) reservation needs the waiting-room token. Paying one that is already
   * settled answers from its state (409 ALREADY_PAID, ...) whatever the token's state: confirming
   * a payment ends the token, so a retry or a parallel duplicate must not be told "token expired".
   */
  async admittedToPay(queueToken: string | undefined, userId: number, reservationId: string): Promise<ReservationView> {
    const owned = await this.deps.booking.own(userId, reservationId);
    if (owned.status !== 'HELD') return owned;
    // A waiting-list offer was handed to this buyer, who never queued for it: no token is needed.
    if (await this.deps.isWaitlistOffer?.(reservationId)) return owned;
    try {
      await this.admit(queueToken, userId, owned.scheduleId);
      return owned;
    } catch (err) {
      // Redis lost the waiting room's state: the hold was made with an ACTIVE token, so it still proves
      // admission (the signed token still names this user and schedule). Active holders keep their right to pay.
      if (err instanceof DomainError && err.details?.queueStateLost) return owned;
      const now = await this.deps.booking.own(userId, reservationId);
      if (now.status !== 'HELD') return now; // settled meanwhile (a parallel payment used the token)
      throw err;
    }
  }

  /** Times an admitted booking call from the start of its request; refused tokens are not booking work. */
  async observed<T>(scheduleId: number, call: 'hold' | 'pay', startedAt: number, fn: () => Promise<T>): Promise<T> {
    let overload = false;
    try {
      return await fn();
    } catch (err) {
      overload = isOverload(err);
      throw err;
    } finally {
      this.deps.gate?.observe?.(scheduleId, call, performance.now() - startedAt, overload);
    }
  }
}
