import { rank, type Recommendation } from './co-purchase.js';
import type { RecommendationRepository } from './repository.js';

export interface ConcertCard {
  concertId: number;
  title: string;
  artist: string;
  venue: string;
}

/** The catalog as recommendations need it (wired to catalog's repository in the composition root). */
export interface RecommendationCatalog {
  /** The concerts that exist, by id (unknown ids left out). */
  cards(concertIds: readonly number[]): Promise<Map<number, ConcertCard>>;
  exists(concertId: number): Promise<boolean>;
  /** The newest concerts: the last fallback when nobody has bought anything yet. */
  newest(limit: number): Promise<number[]>;
}

export type RecommendedConcert = ConcertCard & Pick<Recommendation, 'score' | 'basis'>;

export class RecommendationService {
  constructor(
    private readonly repo: RecommendationRepository,
    private readonly catalog: RecommendationCatalog,
  ) {}

  /** "People who booked this also booked": undefined when the concert does not exist. */
  async forConcert(concertId: number, limit: number): Promise<RecommendedConcert[] | undefined> {
    if (!(await this.catalog.exists(concertId))) return undefined;
    const [pairs, popularity] = await Promise.all([this.repo.pairsFrom([concertId]), this.popularity()]);
    return this.withCards(rank({ pairs, popularity, exclude: new Set([concertId]), limit }));
  }

  /** From the buyer's own purchases, never a concert they already hold. */
  async forBuyer(userId: number, limit: number): Promise<RecommendedConcert[]> {
    const held = await this.repo.heldBy(userId);
    const [pairs, popularity] = await Promise.all([this.repo.pairsFrom(held), this.popularity()]);
    return this.withCards(rank({ pairs, popularity, exclude: new Set(held), limit }));
  }

  /** Buyers per concert; before the first purchase, the newest concerts with a score of 0. */
  private async popularity() {
    const popular = await this.repo.popularity();
    if (popular.length > 0) return popular;
    return (await this.catalog.newest(20)).map((concertId) => ({ concertId, buyers: 0 }));
  }

  private async withCards(recs: Recommendation[]): Promise<RecommendedConcert[]> {
    const cards = await this.catalog.cards(recs.map((r) => r.concertId));
    return recs.flatMap((r) => {
      const card = cards.get(r.concertId);
      return card ? [{ ...card, score: r.score, basis: r.basis }] : [];
    });
  }
}
