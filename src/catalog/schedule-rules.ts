import type { ValidationReason } from '../shared/validation-reasons.js';

/**
 * A schedule's lifecycle rules, pure: no I/O, no clock of its own (callers pass `now`), so the admin
 * routes, the repository and unit tests share them.
 */
export const scheduleStatuses = ['SCHEDULED', 'PAUSED', 'CANCELLING', 'CANCELLED'] as const;

/** Seats per reservation unless the organiser sets another cap (the column default, new schedules, MAX_SEATS_PER_RESERVATION). */
export const DEFAULT_SEATS_PER_RESERVATION = 4;
/** Seats one buyer may hold or own per schedule unless the organiser sets another limit. */
export const DEFAULT_TICKETS_PER_USER = 4;
export type ScheduleStatus = (typeof scheduleStatuses)[number];

/** Holds are taken only on a SCHEDULED schedule; PAUSED stops them for a while, CANCELLING/CANCELLED for good. */
export const isCancelled = (status: string) => status === 'CANCELLING' || status === 'CANCELLED';

export interface ScheduleDates {
  startsAt: Date;
  saleOpensAt: Date;
  saleClosesAt: Date;
}

/** One rule of a schedule's dates: the field it blames, a stable reason (for clients) and the words for developers. */
interface DatesRule {
  field: keyof ScheduleDates;
  reason: ValidationReason;
  detail: string;
  broken: (d: ScheduleDates, now: number) => boolean;
}

/**
 * The performance and the end of its sale must lie ahead (a show dated 2020 is refused); the sale
 * may already be open (a saleOpensAt in the past means "on sale at once"), and it must open before
 * it closes and close no later than the show. Checked in this order.
 */
const DATES_RULES: DatesRule[] = [
  { field: 'startsAt', reason: 'STARTS_IN_PAST', detail: 'startsAt must be in the future', broken: (d, now) => d.startsAt.getTime() <= now },
  { field: 'saleClosesAt', reason: 'SALE_CLOSES_IN_PAST', detail: 'saleClosesAt must be in the future', broken: (d, now) => d.saleClosesAt.getTime() <= now },
  { field: 'saleOpensAt', reason: 'SALE_OPENS_AFTER_CLOSE', detail: 'saleOpensAt must be before saleClosesAt', broken: (d) => d.saleOpensAt.getTime() >= d.saleClosesAt.getTime() },
  { field: 'saleClosesAt', reason: 'SALE_CLOSES_AFTER_START', detail: 'saleClosesAt must not be after startsAt', broken: (d) => d.saleClosesAt.getTime() > d.startsAt.getTime() },
];

/** The first rule a schedule's dates break, or undefined. */
export const brokenDatesRule = (d: ScheduleDates, now: Date): Omit<DatesRule, 'broken'> | undefined => DATES_RULES.find((r) => r.broken(d, now.getTime()));

/** What is wrong with a schedule's dates (in words for developers), or undefined. */
export function datesProblem(d: ScheduleDates, now: Date): string | undefined {
  return brokenDatesRule(d, now)?.detail;
}

/** The schedule fields an organiser may change once tickets may have been sold (none moves a sold seat). */
export interface ScheduleChange {
  saleOpensAt?: Date;
  saleClosesAt?: Date;
  maxSeatsPerReservation?: number;
  maxTicketsPerUser?: number;
  /** null: back to the configured HOLD_TTL_SECONDS. */
  holdTtlSeconds?: number | null;
}

/**
 * Whether a change may be applied to a schedule as it is now: the dates after the change must pass
 * `datesProblem` (the performance itself never moves: sold tickets name it), and a cancelled
 * performance cannot be edited.
 */
export function changeProblem(current: ScheduleDates & { status: string }, change: ScheduleChange, now: Date): { code: 'PERFORMANCE_CANCELLED' | 'VALIDATION_FAILED'; detail: string } | undefined {
  if (isCancelled(current.status)) return { code: 'PERFORMANCE_CANCELLED', detail: 'This performance is cancelled' };
  if (change.saleOpensAt === undefined && change.saleClosesAt === undefined) return undefined;
  const merged = { startsAt: current.startsAt, saleOpensAt: change.saleOpensAt ?? current.saleOpensAt, saleClosesAt: change.saleClosesAt ?? current.saleClosesAt };
  const problem = datesProblem(merged, now);
  return problem ? { code: 'VALIDATION_FAILED', detail: problem } : undefined;
}

export type SaleSwitch = 'pause' | 'resume';

/** The status a pause or resume leads to, or why it cannot happen. Repeating one is a no-op (idempotent). */
export function switchSale(status: string, action: SaleSwitch): { ok: true; status: ScheduleStatus; changed: boolean } | { ok: false; detail: string } {
  if (isCancelled(status)) return { ok: false, detail: 'This performance is cancelled' };
  const target: ScheduleStatus = action === 'pause' ? 'PAUSED' : 'SCHEDULED';
  return { ok: true, status: target, changed: status !== target };
}
