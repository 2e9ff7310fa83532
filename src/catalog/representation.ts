import { z } from '@hono/zod-openapi';
import { scheduleStatuses, type ScheduleStatus } from './schedule-rules.js';

/** A schedule's fields as the API shows them; the public and the admin view extend them. */
export const ScheduleFields = z.object({
  id: z.number().int(),
  concertId: z.number().int(),
  startsAt: z.string(),
  saleOpensAt: z.string(),
  saleClosesAt: z.string(),
  status: z.enum(scheduleStatuses),
  maxSeatsPerReservation: z.number().int(),
  maxTicketsPerUser: z.number().int(),
});

/** A schedule row as ScheduleFields shows it (the views add their own fields). */
export function scheduleView(s: {
  id: number;
  concertId: number;
  startsAt: Date;
  saleOpensAt: Date;
  saleClosesAt: Date;
  status: ScheduleStatus;
  maxSeatsPerReservation: number;
  maxTicketsPerUser: number;
}) {
  return {
    id: s.id,
    concertId: s.concertId,
    startsAt: s.startsAt.toISOString(),
    saleOpensAt: s.saleOpensAt.toISOString(),
    saleClosesAt: s.saleClosesAt.toISOString(),
    status: s.status,
    maxSeatsPerReservation: s.maxSeatsPerReservation,
    maxTicketsPerUser: s.maxTicketsPerUser,
  };
}
