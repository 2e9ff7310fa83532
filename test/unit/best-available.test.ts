import { describe, expect, it } from 'vitest';
import { isTogether, pickSections } from '../../src/booking/best-available.js';
import { mysqlClaim, seatScore, sectionLayouts, type InventorySeat } from '../../src/booking/seat-inventory-layout.js';

const seat = (id: number, section: string, row: string, number: number, tier = 'R'): InventorySeat => ({ id, section, row, number, tier, status: 'AVAILABLE', reservationId: null, heldUntil: null });

describe('seat scores and section layouts (what the allocator script reads)', () => {
  it('scores the front row centre best, then off-centre, then rows further back', () => {
    expect(seatScore(0, 5, 10)).toBe(1);
    expect(seatScore(0, 6, 10)).toBe(1);
    expect(seatScore(0, 1, 10)).toBe(9);
    expect(seatScore(1, 5, 10)).toBe(21);
    // A pair one row back costs more than a pair four seats off centre in front.
    expect(seatScore(1, 5, 10) + seatScore(1, 6, 10)).toBeGreaterThan(seatScore(0, 1, 10) + seatScore(0, 2, 10));
  });

  it('orders sections by first seat id, rows A..Z then AA, seats by number', () => {
    const seats = [seat(5, 'B', 'A', 1, 'S'), seat(1, 'A', 'AA', 2), seat(2, 'A', 'B', 1), seat(3, 'A', 'AA', 1), seat(4, 'A', 'Z', 1)];
    const layouts = sectionLayouts(seats);
    expect(layouts.map((l) => [l.section, l.tier])).toEqual([
      ['A', 'R'],
      ['B', 'S'],
    ]);
    expect(layouts[0]!.rows.map((r) => [r.label, r.ids])).toEqual([
      ['B', [2]],
      ['Z', [4]],
      ['AA', [3, 1]],
    ]);
  });

  it('turns MySQL seats into claims: held (with its expiry plus grace), sold (no expiry), free (none)', () => {
    const heldUntil = new Date(1_000_000);
    expect(mysqlClaim({ ...seat(1, 'A', 'A', 1), status: 'HELD', reservationId: 'r1', heldUntil }, 30_000)).toEqual({ owner: 'r1', expiresAtMs: 1_030_000 });
    expect(mysqlClaim({ ...seat(1, 'A', 'A', 1), status: 'SOLD', reservationId: 'r1' }, 30_000)).toEqual({ owner: 'sold:r1', expiresAtMs: 0 });
    expect(mysqlClaim(seat(1, 'A', 'A', 1), 30_000)).toBeUndefined();
  });
});

describe('best-available request rules', () => {
  const layout = [
    { section: 'A', tier: 'R' },
    { section: 'B', tier: 'R' },
    { section: 'C', tier: 'S' },
  ];
  it('candidate sections: the tier’s in layout order, or the buyer’s own order; unknown names are explained', () => {
    expect(pickSections(layout, {})).toEqual({ sections: ['A', 'B', 'C'] });
    expect(pickSections(layout, { tier: 'R' })).toEqual({ sections: ['A', 'B'] });
    expect(pickSections(layout, { sections: ['C', 'A'] })).toEqual({ sections: ['C', 'A'] });
    expect(pickSections(layout, { tier: 'VIP' })).toMatch(/tier VIP has no seats.*R, S/);
    expect(pickSections(layout, { tier: 'S', sections: ['A'] })).toBe('section A not in tier S');
  });
  it('together means one contiguous run of one row of one section', () => {
    const s = (section: string, row: string, number: number) => ({ section, row, number });
    expect(isTogether([s('A', 'A', 3), s('A', 'A', 2), s('A', 'A', 4)])).toBe(true);
    expect(isTogether([s('A', 'A', 1), s('A', 'A', 3)])).toBe(false);
    expect(isTogether([s('A', 'A', 1), s('A', 'B', 2)])).toBe(false);
    expect(isTogether([s('A', 'A', 1)])).toBe(true);
  });
});
