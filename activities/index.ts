import { PerformanceCancellation, type AdmittedReservations, type HoldWorkflows } from '../src/booking/performance-cancellation.js';
import { bookingActivities, type BookingActivityDeps } from './booking/reservation.js';
import { cardPaymentActivities, type CardActivityDeps } from './payment/card-payment.js';
import { scheduleCancellationActivities, type CancellationActivityDeps } from './catalog/schedule-cancellation.js';
import { sweeperActivities, type SweeperDeps } from './booking/sweeper.js';

export type ActivityDeps = BookingActivityDeps &
  CardActivityDeps &
  Omit<SweeperDeps, 'release'> & { cancellation: Omit<CancellationActivityDeps, 'cancellation'> & { holds: HoldWorkflows; admitted?: AdmittedReservations } };

/** Every activity of the booking task queue, built from its dependencies (the worker's composition root). */
export function createActivities(deps: ActivityDeps) {
  const booking = bookingActivities(deps);
  // A performance cancellation releases through booking's own release step (Redis upkeep, settle hook).
  const cancellation = new PerformanceCancellation({ reservations: deps.reservations, release: booking.releaseReservation, refunds: deps.refunds ?? deps.wallets, holds: deps.cancellation.holds, ...(deps.cancellation.admitted ? { admitted: deps.cancellation.admitted } : {}) });
  return {
    ...booking,
    ...cardPaymentActivities(deps),
    ...sweeperActivities({ ...deps, release: booking.releaseReservation }),
    ...scheduleCancellationActivities({ ...deps.cancellation, cancellation }),
  };
}

export type BookingActivities = ReturnType<typeof createActivities>;
