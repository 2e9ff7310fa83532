import { moveLegacyRows } from '../platform/db/legacy-move.js';

/**
 * Before the main set's 0015 drops the recommendations read model from booking's database, copies its
 * holdings, pair counts and ledger into recommendations' own database (moveLegacyRows), together so no
 * event counts twice after the move. No events move: the read model writes none. The alternative is a
 * rebuild from the log afterwards (`npm run events -- rebuild recommendations`, docs/recommendations.md).
 */
export const moveLegacyRecommendationRows = (adminUrl: string, bookingDb: string, recommendationsDb: string) =>
  moveLegacyRows(adminUrl, bookingDb, recommendationsDb, { tables: ['recommendation_holdings', 'recommendation_pairs', 'recommendation_applied'], aggregateTypes: [] });
