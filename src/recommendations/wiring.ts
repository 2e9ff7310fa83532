import type { CatalogRepository } from '../catalog/index.js';
import type { Db } from '../platform/db/client.js';
import { RecommendationRepository, type ConcertOfSchedule } from './repository.js';
import { RecommendationService, type RecommendationCatalog } from './service.js';

/** The catalog's answers recommendations need, over its repository (a schedule never changes concert, so that answer is cached). */
export function catalogPorts(catalog: Pick<CatalogRepository, 'findSchedule' | 'findConcert' | 'listConcerts'>): { concertOf: ConcertOfSchedule; catalog: RecommendationCatalog } {
  const concertOfCache = new Map<number, number>();
  const concertOf: ConcertOfSchedule = async (scheduleId) => {
    const cached = concertOfCache.get(scheduleId);
    if (cached !== undefined) return cached;
    const concertId = (await catalog.findSchedule(scheduleId))?.concertId;
    if (concertId !== undefined && concertOfCache.size < 100_000) concertOfCache.set(scheduleId, concertId);
    return concertId;
  };
  return {
    concertOf,
    catalog: {
      cards: async (ids) => {
        const found = await Promise.all(ids.map((id) => catalog.findConcert(id)));
        return new Map(found.flatMap((c) => (c ? [[c.id, { concertId: c.id, title: c.title, artist: c.artist, venue: c.venue }] as const] : [])));
      },
      exists: async (id) => (await catalog.findConcert(id)) !== undefined,
      newest: async (limit) => (await catalog.listConcerts({ page: 1, pageSize: limit })).items.map((c) => c.id),
    },
  };
}

/**
 * `recommendationsDb` is recommendations' own database (its own user, domainDatabaseUrl(config,
 * 'recommendations')); the catalog is asked through its repository, never joined.
 */
export function buildRecommendations(recommendationsDb: Db, catalog: Pick<CatalogRepository, 'findSchedule' | 'findConcert' | 'listConcerts'>) {
  const ports = catalogPorts(catalog);
  const repo = new RecommendationRepository(recommendationsDb, ports.concertOf);
  return { repo, service: new RecommendationService(repo, ports.catalog), concertOf: ports.concertOf };
}
