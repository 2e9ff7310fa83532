import { and, desc, eq, gt, inArray, sql } from 'drizzle-orm';
import { affectedRows, withTransaction, type Db } from '../platform/db/client.js';
import type { EventEnvelope } from '../events/index.js';
import { holdingChangeOf, pairChanges, type PairRow } from './co-purchase.js';
import { recommendationApplied, recommendationHoldings, recommendationPairs } from './schema.js';

/** Which concert a schedule belongs to: the catalog's answer, through this port. */
export type ConcertOfSchedule = (scheduleId: number) => Promise<number | undefined>;

/** MySQL side of the recommendations read model: holdings, pair counts, and the dedup ledger. */
export class RecommendationRepository {
  constructor(
    private readonly db: Db,
    private readonly concertOf: ConcertOfSchedule,
  ) {}

  /**
   * Applies one reservation event exactly once (ledger row and counts in one transaction). The
   * buyer's holdings rows are locked first, so two events of one buyer take turns and the pair
   * counts follow the holdings exactly. Returns false for a duplicate.
   */
  async apply(event: EventEnvelope): Promise<boolean> {
    const change = holdingChangeOf(event);
    const concertId = change ? await this.concertOf(change.scheduleId) : undefined;
    return withTransaction(this.db, async (tx) => {
      const mark = await tx.insert(recommendationApplied).ignore().values({ eventId: event.id });
      if (affectedRows(mark) === 0) return false;
      if (!change || concertId === undefined) return true;
      const mine = await tx
        .select({ concertId: recommendationHoldings.concertId, reservations: recommendationHoldings.reservations })
        .from(recommendationHoldings)
        .where(eq(recommendationHoldings.userId, change.userId))
        .for('update');
      const before = mine.find((h) => h.concertId === concertId)?.reservations ?? 0;
      const after = Math.max(0, before + change.delta);
      await tx
        .insert(recommendationHoldings)
        .values({ userId: change.userId, concertId, reservations: after })
        .onDuplicateKeyUpdate({ set: { reservations: after } });
      const others = mine.filter((h) => h.reservations > 0).map((h) => h.concertId);
      // A fixed order over the pair rows keeps two buyers' transactions from deadlocking on them.
      const changes = pairChanges(concertId, before, after, others).sort((a, b) => a.concertId - b.concertId || a.otherConcertId - b.otherConcertId);
      for (const p of changes) {
        await tx
          .insert(recommendationPairs)
          .values({ concertId: p.concertId, otherConcertId: p.otherConcertId, buyers: Math.max(0, p.delta) })
          .onDuplicateKeyUpdate({ set: { buyers: sql`GREATEST(0, ${recommendationPairs.buyers} + ${p.delta})` } });
      }
      return true;
    });
  }

  /** Pair counts from these concerts to others, strongest first. */
  async pairsFrom(concertIds: readonly number[], limit = 200): Promise<PairRow[]> {
    if (concertIds.length === 0) return [];
    return this.db
      .select({ concertId: recommendationPairs.concertId, otherConcertId: recommendationPairs.otherConcertId, buyers: recommendationPairs.buyers })
      .from(recommendationPairs)
      .where(and(inArray(recommendationPairs.concertId, [...concertIds]), gt(recommendationPairs.buyers, 0)))
      .orderBy(desc(recommendationPairs.buyers))
      .limit(limit);
  }

  /** Concerts by how many buyers hold them now (the cold-start fallback). */
  async popularity(limit = 50): Promise<Array<{ concertId: number; buyers: number }>> {
    const rows = await this.db
      .select({ concertId: recommendationHoldings.concertId, buyers: sql<number>`COUNT(*)` })
      .from(recommendationHoldings)
      .where(gt(recommendationHoldings.reservations, 0))
      .groupBy(recommendationHoldings.concertId)
      .orderBy(desc(sql`COUNT(*)`), recommendationHoldings.concertId)
      .limit(limit);
    return rows.map((r) => ({ concertId: r.concertId, buyers: Number(r.buyers) }));
  }

  /** The concerts a buyer holds now. */
  async heldBy(userId: number): Promise<number[]> {
    const rows = await this.db
      .select({ concertId: recommendationHoldings.concertId })
      .from(recommendationHoldings)
      .where(and(eq(recommendationHoldings.userId, userId), gt(recommendationHoldings.reservations, 0)));
    return rows.map((r) => r.concertId);
  }
}
