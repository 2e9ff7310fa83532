import type { CloseInput, MoveInput, OfferResult, TransferInput, TransferOutcome } from '../../workflows/ticketing/transfer-contract.js';
import { exceedsTicketLimit, liveReservationStatuses, type ReservationRepository } from '../../src/booking/index.js';
import { movedTickets, type MovedTickets, type RecipientTicketLimit, type TransferRepository } from '../../src/ticketing/index.js';

export interface TransferActivityDeps {
  transfers: Pick<TransferRepository, 'open' | 'move' | 'close'>;
}

/**
 * The transfer workflow's activities (workflows/ticketing/transfer.ts): thin, each one ticketing
 * transaction, each idempotent by transfer id so a retry after a worker crash changes nothing.
 */
export function transferActivities(deps: TransferActivityDeps) {
  return {
    async openTransfer(input: TransferInput): Promise<OfferResult> {
      return deps.transfers.open(input);
    },
    async moveTransferredTicket(input: MoveInput): Promise<TransferOutcome> {
      return deps.transfers.move(input);
    },
    async closeTransfer(input: CloseInput): Promise<TransferOutcome> {
      return deps.transfers.close(input);
    },
  };
}

export type TransferActivities = ReturnType<typeof transferActivities>;

/**
 * The ticket limit counted on a transfer's recipient, with booking's one rule (exceedsTicketLimit):
 * the seats of their own live reservations (booking's count, under their ticket-limit lock, which a
 * hold of theirs takes too), plus the tickets of live purchases they received, minus those of their
 * own purchases they gave away.
 */
export function recipientTicketLimit(reservations: Pick<ReservationRepository, 'ticketRoom' | 'find'>): RecipientTicketLimit {
  return {
    async exceeded(tx, userId, scheduleId, moved) {
      const { limit, held } = await reservations.ticketRoom(tx, userId, scheduleId);
      return exceedsTicketLimit({ limit, held: held + (await netOfLive(reservations, moved)) }, 1);
    },
  };
}

/** Received minus given, counting only tickets of live (CONFIRMED) purchases: a refunded one holds no seat. */
async function netOfLive(reservations: Pick<ReservationRepository, 'find'>, moved: MovedTickets): Promise<number> {
  const live = async (reservationIds: string[]) => {
    const found = await Promise.all(reservationIds.map((id) => reservations.find(id)));
    return found.filter((r) => r && (liveReservationStatuses as readonly string[]).includes(r.status)).length;
  };
  return (await live(moved.received)) - (await live(moved.given));
}

/**
 * The same count for booking's hold: a buyer who received tickets by transfer holds fewer new seats
 * (one indexed read of the transfers when the user has none).
 */
export function transferredTicketCount(reservations: () => Pick<ReservationRepository, 'find'>) {
  return {
    async netReceived(tx: Parameters<RecipientTicketLimit['exceeded']>[0], userId: number, scheduleId: number): Promise<number> {
      const moved = await movedTickets(tx, userId, scheduleId);
      return moved.received.length + moved.given.length === 0 ? 0 : netOfLive(reservations(), moved);
    },
  };
}
