import { PerformanceCancellation, type AdmittedReservations, type HoldWorkflows, type Refunds } from '../src/booking/performance-cancellation.js';
import { bookingActivities, type BookingActivityDeps } from './booking/reservation.js';
import { cardPaymentActivities, type CardActivityDeps } from './payment/card-payment.js';
import { scheduleCancellationActivities, type CancellationActivityDeps } from './catalog/schedule-cancellation.js';
import { sweeperActivities, type SweeperDeps } from './booking/sweeper.js';

export type ActivityDeps = BookingActivityDeps &
  Omit<SweeperDeps, 'release'> & {
    /** Card steps of workflows started before CARD_QUEUE_PATCH (local activities here); see legacyPayment. */
    legacyCards?: CardActivityDeps | undefined;
    cancellation: Omit<CancellationActivityDeps, 'cancellation'> & { holds: HoldWorkflows; refunds: Refunds; admitted?: AdmittedReservations };
  };

/** Every activity of the booking task queue, built from its dependencies (the worker's composition root). */
export function createActivities(deps: ActivityDeps) {
  const booking = bookingActivities(deps);
  // A performance cancellation releases through booking's own release step (Redis upkeep, settle hook).
  const cancellation = new PerformanceCancellation({ reservations: deps.reservations, release: booking.releaseReservation, refunds: deps.cancellation.refunds, holds: deps.cancellation.holds, ...(deps.cancellation.admitted ? { admitted: deps.cancellation.admitted } : {}) });
  return {
    ...booking,
    // Payment's card steps run on payment's queue (activities/payment.ts); these names stay for the
    // local activities of histories from before CARD_QUEUE_PATCH.
    ...cardPaymentActivities(deps.legacyCards ?? {}),
    ...sweeperActivities({ ...deps, release: booking.releaseReservation }),
    ...scheduleCancellationActivities({ ...deps.cancellation, cancellation }),
  };
}

export type BookingActivities = ReturnType<typeof createActivities>;

/** Ticketing's transfer steps, served by the same worker (ticketing's tables are in booking's database). */
export { recipientTicketLimit, transferActivities, transferredTicketCount, type TransferActivities, type TransferActivityDeps } from './ticketing/transfer.js';
