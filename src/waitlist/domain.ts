/**
 * Waiting-list rules, pure (no I/O, no clock): who may join, which released seats an entry wants,
 * how many it gets, and what an entry becomes when its offer ends.
 */
import type { ReleasedSeat } from '../booking/index.js';

export const entryStatuses = ['WAITING', 'OFFERED', 'SERVED', 'LEFT', 'EXPIRED', 'DECLINED', 'CLOSED'] as const;
export type EntryStatus = (typeof entryStatuses)[number];
/** On the list: waiting for seats, or holding an offer. Everything else has left it. */
export const liveStatuses = ['WAITING', 'OFFERED'] as const satisfies readonly EntryStatus[];
export const isLive = (s: EntryStatus) => (liveStatuses as readonly string[]).includes(s);

export interface SeatFilter {
  tier: string | null;
  section: string | null;
}

/** A seat a release gave back, as booking's port describes it. */
export type { ReleasedSeat };

export const wants = (entry: SeatFilter, seat: Pick<ReleasedSeat, 'tier' | 'section'>) =>
  (entry.tier === null || entry.tier === seat.tier) && (entry.section === null || entry.section === seat.section);

/**
 * The seats an entry takes from those still unclaimed: up to its quantity and the room left under
 * the buyer's ticket limit, the ones it wants, in seat order (neighbours stay together where the
 * release had neighbours). Empty when it wants none of them or has no room.
 */
export function pickSeats(entry: SeatFilter & { quantity: number }, unclaimed: readonly ReleasedSeat[], ticketRoom: number): ReleasedSeat[] {
  const take = Math.min(entry.quantity, ticketRoom);
  if (take <= 0) return [];
  return unclaimed
    .filter((s) => wants(entry, s))
    .sort((a, b) => a.seatId - b.seatId)
    .slice(0, take);
}

/**
 * What an OFFERED entry becomes when its offer's reservation closes without a purchase: an offer let
 * expire or declined (cancelled) ends the entry, so the seats pass on and the list never cycles
 * through one buyer; a payment that failed on our side (FAILED) puts it back to wait, in its place.
 */
export function afterOfferClosed(closedAs: 'EXPIRED' | 'CANCELLED' | 'FAILED' | 'REFUNDED'): { status: 'EXPIRED' | 'DECLINED' | 'WAITING'; reason: string } | undefined {
  if (closedAs === 'EXPIRED') return { status: 'EXPIRED', reason: 'the offer expired unpaid' };
  if (closedAs === 'CANCELLED') return { status: 'DECLINED', reason: 'the offer was declined' };
  if (closedAs === 'FAILED') return { status: 'WAITING', reason: 'the offer could not be confirmed; waiting again' };
  return undefined; // REFUNDED: the offer had been paid, the entry already moved on
}

/** What a paid offer of `bought` seats leaves of an entry that wanted `quantity`. */
export function afterOfferPaid(quantity: number, bought: number): { status: EntryStatus; quantity: number } {
  const left = Math.max(quantity - bought, 0);
  return left === 0 ? { status: 'SERVED', quantity: 0 } : { status: 'WAITING', quantity: left };
}
