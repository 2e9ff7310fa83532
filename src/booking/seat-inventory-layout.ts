import { seatStatusClaim, type SeatStatus } from './seat-status.js';

/**
 * Pure: how a schedule's seats become the allocator's per-section rows. No I/O, so it is unit-tested
 * on its own (test/unit/seat-inventory-layout.test.ts); the Lua script only reads what this builds.
 */
export interface InventorySeat {
  id: number;
  section: string;
  row: string;
  number: number;
  tier: string;
  status: SeatStatus;
  reservationId: string | null;
  heldUntil: Date | null;
}

export interface SectionLayout {
  section: string;
  tier: string;
  /** Rows front to back; each row's seats in seat-number order with their scores. */
  rows: Array<{ label: string; ids: number[]; scores: number[] }>;
}

/** Row labels sort A..Z, AA, AB..: shorter first, then alphabetically (the seat-map generator's order). */
const byRowLabel = (a: string, b: string) => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);

/**
 * A seat's score, lower is better: front rows first (each row back costs ROW_WEIGHT per seat), then
 * closeness to the row's centre (1 per half seat off centre). A run's score is its seats' sum, so
 * moving a pair one row back costs as much as moving it ten seats sideways.
 */
export const ROW_WEIGHT = 20;
export function seatScore(rowIndex: number, position: number, seatsInRow: number): number {
  return rowIndex * ROW_WEIGHT + Math.abs(2 * position - (seatsInRow + 1));
}

/** Sections in layout order (the order of their first seat id: the order the organiser listed them). */
export function sectionLayouts(seats: readonly InventorySeat[]): SectionLayout[] {
  const bySection = new Map<string, InventorySeat[]>();
  for (const s of [...seats].sort((a, b) => a.id - b.id)) {
    const list = bySection.get(s.section) ?? [];
    list.push(s);
    bySection.set(s.section, list);
  }
  return [...bySection.entries()].map(([section, list]) => {
    const rows = new Map<string, InventorySeat[]>();
    for (const s of list) rows.set(s.row, [...(rows.get(s.row) ?? []), s]);
    const labels = [...rows.keys()].sort(byRowLabel);
    return {
      section,
      tier: list[0]!.tier,
      rows: labels.map((label, r) => {
        const inRow = rows.get(label)!.sort((a, b) => a.number - b.number);
        return { label, ids: inRow.map((s) => s.id), scores: inRow.map((_, p) => seatScore(r, p + 1, inRow.length)) };
      }),
    };
  });
}

/** The claim MySQL shows for a seat, as the build script takes it: owner and expiry (0 = sold, no expiry). */
export function mysqlClaim(seat: InventorySeat, graceMs: number): { owner: string; expiresAtMs: number } | undefined {
  const claim = seatStatusClaim[seat.status];
  if (claim === 'NONE') return undefined;
  // A for-good status without a reservation (OWNERLESS_STATUSES) is its own owner: the map tells it from a sale.
  const owner = seat.reservationId ?? (claim === 'FOR_GOOD' ? seat.status : 'unknown');
  if (claim === 'FOR_GOOD') return { owner: `sold:${owner}`, expiresAtMs: 0 };
  return { owner, expiresAtMs: (seat.heldUntil?.getTime() ?? Date.now()) + graceMs };
}
