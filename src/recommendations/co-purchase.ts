import type { EventEnvelope } from '../events/index.js';

/**
 * Item-to-item co-purchase collaborative filtering over concerts, pure. A buyer "holds" a concert
 * while they have a confirmed, unrefunded reservation for one of its performances; two concerts are
 * co-purchased by every buyer who holds both. "People who booked this also booked" ranks the other
 * concerts by that count; a buyer's own list sums the counts over the concerts they hold. Nothing
 * more clever than counting: see docs/recommendations.md for what it can and cannot do.
 */
export interface Recommendation {
  concertId: number;
  /** Co-purchasing buyers (CO_PURCHASE) or buyers holding it (POPULAR). */
  score: number;
  basis: 'CO_PURCHASE' | 'POPULAR';
}

export interface HoldingChange {
  userId: number;
  scheduleId: number;
  delta: 1 | -1;
}

/** A confirmation adds a holding, a refund takes it back; other events change nothing. */
export function holdingChangeOf(event: EventEnvelope): HoldingChange | undefined {
  const p = event.payload as { userId?: number; scheduleId?: number };
  if (typeof p.userId !== 'number' || typeof p.scheduleId !== 'number') return undefined;
  if (event.type === 'ReservationConfirmed') return { userId: p.userId, scheduleId: p.scheduleId, delta: 1 };
  if (event.type === 'ReservationRefunded') return { userId: p.userId, scheduleId: p.scheduleId, delta: -1 };
  return undefined;
}

/** The pair counts to add when a buyer's holding of `concertId` goes from `before` to `after` reservations. */
export function pairChanges(concertId: number, before: number, after: number, otherHeld: readonly number[]): Array<{ concertId: number; otherConcertId: number; delta: number }> {
  const delta = before <= 0 && after > 0 ? 1 : before > 0 && after <= 0 ? -1 : 0;
  if (delta === 0) return [];
  return otherHeld.filter((d) => d !== concertId).flatMap((d) => [
    { concertId, otherConcertId: d, delta },
    { concertId: d, otherConcertId: concertId, delta },
  ]);
}

/** The whole model in memory: the rebuild's fold and the offline evaluation use it. */
export class CoPurchaseCounts {
  readonly holdings = new Map<number, Map<number, number>>();
  readonly pairs = new Map<number, Map<number, number>>();

  change(userId: number, concertId: number, delta: number): void {
    const mine = this.holdings.get(userId) ?? new Map<number, number>();
    this.holdings.set(userId, mine);
    const before = mine.get(concertId) ?? 0;
    const after = Math.max(0, before + delta);
    const others = [...mine].filter(([, n]) => n > 0).map(([c]) => c);
    if (after > 0) mine.set(concertId, after);
    else mine.delete(concertId);
    for (const p of pairChanges(concertId, before, after, others)) {
      const row = this.pairs.get(p.concertId) ?? new Map<number, number>();
      this.pairs.set(p.concertId, row);
      const n = (row.get(p.otherConcertId) ?? 0) + p.delta;
      if (n > 0) row.set(p.otherConcertId, n);
      else row.delete(p.otherConcertId);
    }
  }

  held(userId: number): Set<number> {
    return new Set(this.holdings.get(userId)?.keys() ?? []);
  }

  popularity(): Array<{ concertId: number; buyers: number }> {
    const counts = new Map<number, number>();
    for (const mine of this.holdings.values()) for (const c of mine.keys()) counts.set(c, (counts.get(c) ?? 0) + 1);
    return [...counts].map(([concertId, buyers]) => ({ concertId, buyers }));
  }

  pairRows(concertIds: Iterable<number>): PairRow[] {
    return [...concertIds].flatMap((concertId) => [...(this.pairs.get(concertId) ?? [])].map(([otherConcertId, buyers]) => ({ concertId, otherConcertId, buyers })));
  }
}

export interface PairRow {
  concertId: number;
  otherConcertId: number;
  buyers: number;
}

/**
 * Ranks candidates: co-purchase score first (summed over the seed concerts), then the popularity
 * fallback for the places left (a cold start has no pairs at all), never a seed or an excluded
 * concert. Ties go to the more popular concert, then the lower id, so the order is stable.
 */
export function rank(opts: {
  pairs: readonly PairRow[];
  popularity: ReadonlyArray<{ concertId: number; buyers: number }>;
  exclude: ReadonlySet<number>;
  limit: number;
}): Recommendation[] {
  const popular = new Map(opts.popularity.map((p) => [p.concertId, p.buyers]));
  const scores = new Map<number, number>();
  for (const p of opts.pairs) if (!opts.exclude.has(p.otherConcertId) && p.buyers > 0) scores.set(p.otherConcertId, (scores.get(p.otherConcertId) ?? 0) + p.buyers);
  const byScore = (a: [number, number], b: [number, number]) => b[1] - a[1] || (popular.get(b[0]) ?? 0) - (popular.get(a[0]) ?? 0) || a[0] - b[0];
  const picked: Recommendation[] = [...scores].sort(byScore).slice(0, opts.limit).map(([concertId, score]) => ({ concertId, score, basis: 'CO_PURCHASE' }));
  const taken = new Set(picked.map((r) => r.concertId));
  for (const [concertId, buyers] of [...popular].sort(byScore)) {
    if (picked.length >= opts.limit) break;
    if (opts.exclude.has(concertId) || taken.has(concertId)) continue;
    picked.push({ concertId, score: buyers, basis: 'POPULAR' });
  }
  return picked;
}
