import { bookingActivities, type BookingActivityDeps } from './booking.js';
import { sweeperActivities, type SweeperDeps } from './sweeper.js';
import { waitlistActivities, type WaitlistActivityDeps } from './waitlist.js';

export type ActivityDeps = BookingActivityDeps & Omit<SweeperDeps, 'release'> & WaitlistActivityDeps;

/** Every activity of the booking task queue, built from its dependencies (the worker's composition root). */
export function createActivities(deps: ActivityDeps) {
  const booking = bookingActivities(deps);
  return { ...booking, ...sweeperActivities({ ...deps, release: booking.releaseReservation }), ...waitlistActivities(deps) };
}

export type BookingActivities = ReturnType<typeof createActivities>;
