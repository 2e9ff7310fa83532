/**
 * A seat's status on a schedule, pure: booking owns it (the seat_status table, the hold, confirm and
 * release transactions). Catalog owns only the layout and reads statuses through its SeatStatusPort,
 * which booking's SeatStatusRepository implements. This list is the one spelling: the table's enum,
 * the seat map's schema, the Redis inventory's layout and the counts derive from it.
 * AVAILABLE -> HELD (a hold) -> SOLD (paid) or back to AVAILABLE (expiry, cancellation); SOLD ->
 * AVAILABLE (refund).
 */
export const seatStatuses = ['AVAILABLE', 'HELD', 'SOLD'] as const;
export type SeatStatus = (typeof seatStatuses)[number];

/**
 * How the Redis inventory claims a seat of each status when it rebuilds from MySQL: not at all
 * (free), for its holder until the hold's expiry, or for good. A new status must say (the Record
 * makes the compiler ask), so adding one is this file and the generated migration.
 */
export const seatStatusClaim = { AVAILABLE: 'NONE', HELD: 'UNTIL_EXPIRY', SOLD: 'FOR_GOOD' } as const satisfies Record<SeatStatus, 'NONE' | 'UNTIL_EXPIRY' | 'FOR_GOOD'>;

export type SeatClaim = (typeof seatStatusClaim)[SeatStatus];

/** The status the seat map shows for a seat the Redis inventory has claimed this way (the first status claiming so). */
export function statusOfClaim(claim: Exclude<SeatClaim, 'NONE'>): SeatStatus {
  return seatStatuses.find((s) => seatStatusClaim[s] === claim)!;
}

/**
 * Statuses that claim a seat for good without a reservation (none today; an organiser's BLOCKED
 * would be one): the inventory's claim is 'sold:' .. status, so the seat map can tell them from a sale.
 */
export const OWNERLESS_STATUSES: readonly SeatStatus[] = seatStatuses.filter((s) => seatStatusClaim[s] === 'FOR_GOOD' && s !== statusOfClaim('FOR_GOOD'));

/** The status of a seat nobody holds (a new schedule's seats, a released seat). */
export const FREE_SEAT_STATUS = 'AVAILABLE' satisfies SeatStatus;

export type SeatCounts = { total: number } & Record<Lowercase<SeatStatus>, number>;

/** Grouped (status, count) rows as counts per status (absent = 0) and their total: the one way seats are counted. */
export function seatCountsOf(rows: Array<{ status: SeatStatus; n: number | string }>): SeatCounts {
  const counts = Object.fromEntries(seatStatuses.map((s) => [s.toLowerCase(), Number(rows.find((r) => r.status === s)?.n ?? 0)])) as Record<Lowercase<SeatStatus>, number>;
  return { total: Object.values(counts).reduce((a, b) => a + b, 0), ...counts };
}
