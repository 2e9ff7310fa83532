import { exceedsTicketLimit, saleWindow, ticketLimitRefusal } from '../booking/index.js';
import type { ReservationRepository } from '../booking/index.js';
import type { CatalogRepository } from '../catalog/index.js';
import { DomainError, notFound } from '../shared/errors.js';
import type { EntryRow, WaitlistRepository } from './repository.js';

export interface JoinInput {
  scheduleId: number;
  quantity: number;
  tier?: string | undefined;
  section?: string | undefined;
}

export type OfferView = NonNullable<Awaited<ReturnType<ReservationRepository['find']>>>;
export type EntryView = EntryRow & { position: number | null; offer: OfferView | null };

/** The waiting list as buyers use it: join, leave, see entries with their position and offer. */
export class WaitlistService {
  constructor(
    private readonly catalog: Pick<CatalogRepository, 'findSchedule'>,
    private readonly waitlist: WaitlistRepository,
    private readonly reservations: Pick<ReservationRepository, 'currentTicketRoom' | 'find'>,
  ) {}

  async join(userId: number, req: JoinInput, now = new Date()): Promise<EntryView> {
    const schedule = await this.catalog.findSchedule(req.scheduleId);
    if (!schedule) throw notFound('Schedule');
    const window = saleWindow(schedule, now);
    if (window !== 'OPEN') throw new DomainError('SALE_NOT_OPEN', window === 'NOT_OPEN' ? `Sale opens at ${schedule.saleOpensAt.toISOString()}` : 'Sale is closed');
    // Asked first without the buyer's own tickets (no lock needed), then again under their lock.
    const bare = { limit: schedule.maxTicketsPerUser, held: 0 };
    if (exceedsTicketLimit(bare, req.quantity)) {
      const refusal = ticketLimitRefusal(bare);
      throw new DomainError(refusal.code, refusal.detail, { limit: bare.limit });
    }
    const entry = await this.waitlist.join(
      { userId, scheduleId: req.scheduleId, quantity: req.quantity, tier: req.tier ?? null, section: req.section ?? null },
      (u, s) => this.reservations.currentTicketRoom(u, s),
      now,
    );
    return this.view(entry, await this.positionIn(userId, entry.id));
  }

  async leave(userId: number, entryId: number): Promise<EntryView> {
    return this.view(await this.waitlist.leave(userId, entryId), null);
  }

  async list(userId: number): Promise<EntryView[]> {
    const entries = await this.waitlist.listOf(userId);
    return Promise.all(entries.map((e) => this.view(e, e.position)));
  }

  private async positionIn(userId: number, entryId: number): Promise<number | null> {
    return (await this.waitlist.listOf(userId, 5)).find((e) => e.id === entryId)?.position ?? null;
  }

  private async view(entry: EntryRow, position: number | null): Promise<EntryView> {
    const offer = entry.offerReservationId ? ((await this.reservations.find(entry.offerReservationId)) ?? null) : null;
    return { ...entry, position, offer };
  }
}
