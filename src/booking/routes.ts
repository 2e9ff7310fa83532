import type { MiddlewareHandler } from 'hono';
import { createRouter, type AppEnv } from '../platform/http/app.js';
import type { IdempotencyStore } from '../platform/http/idempotency.js';
import { BookingAdmission, type AdmissionGate } from './admission.js';
import { bookingHandlers, type BookingHandlerDeps } from './route-handlers.js';
import { cancelRoute, declineRoute, getRoute, holdRoute, listRoute, payRoute } from './route-specs.js';
import type { BookingService } from './service.js';

export type { AdmissionGate };

/**
 * The reservation routes' wiring: auth, rate limit and idempotency around each definition
 * (route-specs.ts) and its handler (route-handlers.ts).
 */
export function bookingRoutes(
  deps: Omit<BookingHandlerDeps, 'admission'> & {
    booking: BookingService;
    idempotency: IdempotencyStore;
    auth: MiddlewareHandler<AppEnv>;
    admission?: AdmissionGate | undefined;
    /** Whether a reservation is a waiting-list offer: it is paid without a waiting-room token (src/waitlist). */
    isWaitlistOffer?: (reservationId: string) => Promise<boolean>;
    /** The configured cap per reservation, for the document (the service enforces it). */
    maxSeatsPerReservation?: number;
    /** The 'booking' abuse limit (per IP and per user, shared with /wallet); absent when RATE_LIMIT_ENABLED is off. */
    rateLimit?: MiddlewareHandler | undefined;
  },
) {
  const app = createRouter();
  // '/reservations/*' also matches '/reservations' in Hono: one registration, or each request counts twice.
  if (deps.rateLimit) app.use('/reservations/*', deps.rateLimit);
  app.use('/reservations', deps.auth);
  app.use('/reservations/*', deps.auth);
  const admission = new BookingAdmission({ booking: deps.booking, gate: deps.admission, isWaitlistOffer: deps.isWaitlistOffer });
  const handle = bookingHandlers({ ...deps, admission });
  const idempotent = (name: string) => ({ middleware: [deps.idempotency.route(name)] });

  app.openapi({ ...holdRoute(deps.maxSeatsPerReservation ?? 20), ...idempotent('hold') }, handle.hold);
  app.openapi({ ...declineRoute, ...idempotent('decline') }, handle.decline);
  app.openapi(listRoute, handle.list);
  app.openapi(getRoute, handle.get);
  app.openapi({ ...payRoute, ...idempotent('pay') }, handle.pay);
  app.openapi({ ...cancelRoute, ...idempotent('cancel') }, handle.cancel);
  return app;
}
