import { z } from '@hono/zod-openapi';
import { reservationStatuses } from './domain.js';
import { heldSeatSchema } from '../events/index.js';
import type { ReservationView } from './service.js';

/** A reservation as the API shows it (booking's routes and the back office's force-cancel alike). */
export const Reservation = z
  .object({
    id: z.string(),
    status: z.enum(reservationStatuses),
    scheduleId: z.number().int(),
    concertId: z.number().int(),
    amount: z.number().int(),
    seats: z.array(heldSeatSchema),
    expiresAt: z.string(),
    createdAt: z.string(),
    confirmedAt: z.string().nullable(),
    closedAt: z.string().nullable(),
    reason: z.string().nullable(),
    payment: z
      .object({
        method: z.enum(['CARD', 'WALLET']),
        status: z.enum(['PENDING', 'SUCCEEDED', 'FAILED', 'CANCELED', 'REFUNDED', 'LATE_REFUNDED']),
        failedAttempts: z.number().int(),
        lastError: z.string().nullable(),
      })
      .nullable()
      .optional()
      .openapi({ description: "How it is paid (GET /reservations/{id} only): a card payment's paymentStatus while the provider decides, a late payment's refund (LATE_REFUNDED)" }),
  })
  .openapi('Reservation');
/** A hold's answer: best-available holds also say whether the seats are one contiguous run of one row. */
export const HeldReservation = Reservation.extend({
  together: z.boolean().optional().openapi({ description: 'Best available only: the seats are one contiguous run of one row' }),
}).openapi('HeldReservation');
export const ReservationSummary = Reservation.omit({ seats: true }).openapi('ReservationSummary');

const iso = (d: Date | null) => (d ? d.toISOString() : null);
type Row = Omit<ReservationView, 'seats'>;
export const summary = (r: Row) => ({
  id: r.id,
  status: r.status,
  scheduleId: r.scheduleId,
  concertId: r.concertId,
  amount: r.amount,
  expiresAt: r.expiresAt.toISOString(),
  createdAt: r.createdAt.toISOString(),
  confirmedAt: iso(r.confirmedAt),
  closedAt: iso(r.closedAt),
  reason: r.reason,
});
export const toReservation = (r: ReservationView) => ({ ...summary(r), seats: r.seats });
