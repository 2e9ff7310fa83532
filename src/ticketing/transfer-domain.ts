/**
 * Transfer rules, pure (docs/tickets.md "Transfer"): callers read the facts under the locks and pass
 * `now`. The same rule decides at the offer and again at the move, because anything may have
 * happened in between (a refund, a scan, the show drawing near, another purchase by the recipient).
 */
import type { TransferRefusal } from '../../workflows/ticketing/transfer-contract.js';
import { voidReason } from './domain.js';

export interface TransferFacts {
  /** The ticket's holder now, and who is trying to give it away (offer) or whose offer it was (move). */
  holderId: number;
  fromUserId: number;
  /** The recipient's account, when known (always at the move). */
  toUserId: number | null;
  reservationStatus: string;
  /** Booking marked the purchase's refund started: the ticket is void from then on. */
  refundStarted: boolean;
  scheduleStatus: string | undefined;
  startsAt: Date;
  admittedAt: Date | null;
}

export interface TransferSettings {
  offerTtlMs: number;
  closeBeforeShowMs: number;
}

/** Transfers of a performance close this long before it starts. */
export const transfersCloseAt = (startsAt: Date, s: Pick<TransferSettings, 'closeBeforeShowMs'>) => new Date(startsAt.getTime() - s.closeBeforeShowMs);

/** An offer's deadline: its time to live, but never past the performance's transfer close. */
export const offerExpiresAt = (now: Date, startsAt: Date, s: TransferSettings) => new Date(Math.min(now.getTime() + s.offerTtlMs, transfersCloseAt(startsAt, s).getTime()));

/**
 * Whether the ticket may move now, else why not. A scanned ticket never moves (its holder went in);
 * a void one (refunded, its performance cancelled) has nothing to give; nothing moves once transfers
 * closed before the show. The ticket limit is the caller's second check (it needs the recipient's count).
 */
export function transferRefusal(f: TransferFacts, now: Date, s: Pick<TransferSettings, 'closeBeforeShowMs'>): TransferRefusal | undefined {
  if (f.holderId !== f.fromUserId) return 'NOT_FOUND';
  if (f.toUserId === f.holderId) return 'TRANSFER_TO_SELF';
  if (f.admittedAt) return 'TICKET_ADMITTED';
  const voided = voidReason({ reservationStatus: f.reservationStatus, scheduleStatus: f.scheduleStatus, paymentRefunded: f.refundStarted });
  if (voided) return voided;
  if (f.scheduleStatus === 'CANCELLING') return 'TICKET_CANCELLED';
  if (now.getTime() >= transfersCloseAt(f.startsAt, s).getTime()) return 'TRANSFER_WINDOW_CLOSED';
  return undefined;
}

/** The settings from the configuration (TRANSFER_OFFER_TTL_SECONDS, TRANSFER_CLOSE_MINUTES_BEFORE_SHOW). */
export const transferSettingsOf = (c: { TRANSFER_OFFER_TTL_SECONDS: number; TRANSFER_CLOSE_MINUTES_BEFORE_SHOW: number }): TransferSettings => ({
  offerTtlMs: c.TRANSFER_OFFER_TTL_SECONDS * 1000,
  closeBeforeShowMs: c.TRANSFER_CLOSE_MINUTES_BEFORE_SHOW * 60_000,
});
