import type { EventEnvelope } from '../events/index.js';
import type { RebuildableReadModel, Row } from '../events/index.js';
import { CoPurchaseCounts, holdingChangeOf } from './co-purchase.js';
import type { ConcertOfSchedule, RecommendationRepository } from './repository.js';

/** The recommendations read model as `npm run events -- rebuild recommendations` folds it. */
export function recommendationsReadModel(repo: RecommendationRepository, concertOf: ConcertOfSchedule): RebuildableReadModel {
  return {
    name: 'recommendations',
    tables: ['recommendation_holdings', 'recommendation_pairs', 'recommendation_applied'],
    ledger: 'recommendation_applied',
    aggregateTypes: ['reservation'],
    applyLive: (event) => repo.apply(event),
    fold: () => {
      const counts = new CoPurchaseCounts();
      const touched = new Map<number, Set<number>>();
      return {
        async apply(event: EventEnvelope) {
          const change = holdingChangeOf(event);
          const concertId = change ? await concertOf(change.scheduleId) : undefined;
          if (!change || concertId === undefined) return;
          counts.change(change.userId, concertId, change.delta);
          touched.set(change.userId, (touched.get(change.userId) ?? new Set()).add(concertId));
        },
        rows() {
          // Rows the live model would have: a holding that went back to 0 stays as a 0 row there.
          const holdings: Row[] = [...touched].flatMap(([userId, concerts]) =>
            [...concerts].map((concertId) => ({ user_id: userId, concert_id: concertId, reservations: counts.holdings.get(userId)?.get(concertId) ?? 0 })),
          );
          const pairs: Row[] = counts.pairRows(counts.pairs.keys()).map((p) => ({ concert_id: p.concertId, other_concert_id: p.otherConcertId, buyers: p.buyers }));
          return { recommendation_holdings: holdings, recommendation_pairs: pairs };
        },
      };
    },
  };
}
