import { z } from '@hono/zod-openapi';
import { reservationStatuses } from '../booking/index.js';
import { heldSeatSchema } from '../events/index.js';
import { entryStatuses } from './domain.js';
import type { EntryView } from './service.js';

export const WaitlistOffer = z
  .object({
    reservationId: z.string(),
    status: z.enum(reservationStatuses).openapi({ description: 'HELD: pay it (POST /reservations/{id}/payment) or decline it (DELETE /reservations/{id}) before expiresAt' }),
    seats: z.array(heldSeatSchema),
    amount: z.number().int(),
    expiresAt: z.string(),
  })
  .openapi('WaitlistOffer');

export const WaitlistEntry = z
  .object({
    id: z.number().int(),
    scheduleId: z.number().int(),
    quantity: z.number().int().openapi({ description: 'Seats still wanted' }),
    tier: z.string().nullable(),
    section: z.string().nullable(),
    status: z.enum(entryStatuses).openapi({
      description: 'OFFERED: seats are held for this entry (see offer). The list commits the offer just before booking writes its hold, so for a moment an OFFERED entry can show offer: null: ask again.',
    }),
    position: z.number().int().nullable().openapi({ description: 'Place in line while WAITING or OFFERED (1 = first); null once off the list' }),
    offer: WaitlistOffer.nullable(),
    reason: z.string().nullable(),
    createdAt: z.string(),
    closedAt: z.string().nullable(),
  })
  .openapi('WaitlistEntry');

export const toWaitlistEntry = (e: EntryView) => ({
  id: e.id,
  scheduleId: e.scheduleId,
  quantity: e.quantity,
  tier: e.tier,
  section: e.section,
  status: e.status,
  position: e.position,
  offer: e.offer
    ? { reservationId: e.offer.id, status: e.offer.status, seats: e.offer.seats, amount: e.offer.amount, expiresAt: e.offer.expiresAt.toISOString() }
    : null,
  reason: e.reason,
  createdAt: e.createdAt.toISOString(),
  closedAt: e.closedAt ? e.closedAt.toISOString() : null,
});
