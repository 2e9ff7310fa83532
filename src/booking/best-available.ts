/** Best-available rules, pure: which sections a request may use, and what "together" means. */
import type { HeldSeat } from '../events/index.js';

export interface BestAvailableRequest {
  scheduleId: number;
  quantity: number;
  /** Only seats of this price tier. */
  tier?: string | undefined;
  /** Only these sections, in this order of preference (else every section of the tier, in layout order). */
  sections?: string[] | undefined;
  /** Contiguous in one row (default true); false allows split seats when no run fits. */
  together?: boolean | undefined;
}

/** The candidate sections in preference order, or why the request names seats the schedule does not have. */
export function pickSections(layout: ReadonlyArray<{ section: string; tier: string }>, req: Pick<BestAvailableRequest, 'tier' | 'sections'>): { sections: string[] } | string {
  const ofTier = req.tier === undefined ? layout : layout.filter((s) => s.tier === req.tier);
  if (req.tier !== undefined && ofTier.length === 0) return `tier ${req.tier} has no seats on this schedule (tiers: ${[...new Set(layout.map((s) => s.tier))].join(', ')})`;
  if (!req.sections) return { sections: ofTier.map((s) => s.section) };
  const unknown = req.sections.filter((name) => !ofTier.some((s) => s.section === name));
  if (unknown.length > 0) return `section${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} ${req.tier ? `not in tier ${req.tier}` : 'not on this schedule'}`;
  return { sections: [...new Set(req.sections)] };
}

/** Seats are together when they are one contiguous run of one row of one section. */
export function isTogether(seats: ReadonlyArray<Pick<HeldSeat, 'section' | 'row' | 'number'>>): boolean {
  if (seats.length <= 1) return true;
  const [first] = seats;
  if (!seats.every((s) => s.section === first!.section && s.row === first!.row)) return false;
  const numbers = seats.map((s) => s.number).sort((a, b) => a - b);
  return numbers.every((n, i) => i === 0 || n === numbers[i - 1]! + 1);
}
