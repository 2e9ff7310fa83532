/** Pure seat-map generation: sections x rows x seats, each section priced by its tier. */
export interface SectionSpec {
  name: string;
  tier: string;
  price: number;
  rows: number;
  seatsPerRow: number;
}

export interface SeatSpec {
  section: string;
  row: string;
  number: number;
  tier: string;
  price: number;
}

const rowLabel = (i: number): string => (i < 26 ? String.fromCharCode(65 + i) : rowLabel(Math.floor(i / 26) - 1) + String.fromCharCode(65 + (i % 26)));

export function generateSeatMap(sections: SectionSpec[]): SeatSpec[] {
  const names = new Set<string>();
  const seats: SeatSpec[] = [];
  for (const s of sections) {
    if (names.has(s.name)) throw new Error(`duplicate section ${s.name}`);
    names.add(s.name);
    for (let r = 0; r < s.rows; r++) {
      for (let n = 1; n <= s.seatsPerRow; n++) seats.push({ section: s.name, row: rowLabel(r), number: n, tier: s.tier, price: s.price });
    }
  }
  return seats;
}
