/**
 * Waiting-room rules, pure: no Redis, no HTTP. The atomic state machine itself runs as a Lua script
 * (queue-script.ts) because it must be one step across every API process; this file holds what is
 * decided around it: settings, estimates, token claims and the answers given to clients.
 */

export type QueueStatus = 'WAITING' | 'ACTIVE' | 'EXPIRED';
/** Why a token stopped: its active time ran out, its booking completed, or it stopped polling. */
export type EndReason = 'EXPIRED' | 'USED' | 'DROPPED' | 'UNKNOWN';

export interface QueueSettings {
  scheduleId: number;
  maxActive: number;
  admitRatePerSec: number;
  /** Sale opening: joiners before it form the pre-queue, shuffled at this instant. */
  opensAtMs: number;
  closesAtMs: number;
  cancelled: boolean;
}

export interface QueueDefaults {
  maxActive: number;
  admitRatePerSec: number;
}

/** Per-schedule overrides (null = the configured default). */
export function resolveSettings(
  row: { id: number; queueMaxActive: number | null; queueAdmitRate: number | null; saleOpensAt: Date; saleClosesAt: Date; status: string },
  defaults: QueueDefaults,
): QueueSettings {
  return {
    scheduleId: row.id,
    maxActive: row.queueMaxActive ?? defaults.maxActive,
    admitRatePerSec: row.queueAdmitRate ?? defaults.admitRatePerSec,
    opensAtMs: row.saleOpensAt.getTime(),
    closesAtMs: row.saleClosesAt.getTime(),
    cancelled: row.status === 'CANCELLED',
  };
}

/** Joining is refused once the sale has closed or the performance is cancelled. */
export function joinRefusal(s: QueueSettings, nowMs: number): string | undefined {
  if (s.cancelled) return 'This performance is cancelled';
  if (nowMs >= s.closesAtMs) return 'The sale for this performance has closed';
  return undefined;
}

/**
 * Seconds until a waiter at `position` (1 = next) is admitted. Admission is bounded by the rate and,
 * once every place is taken, by turnover: at worst each active user keeps a place for the full
 * active time. Free places now are filled at the rate; the rest wait for turnover as well.
 * Conservative on purpose: a queue that moves faster than promised is a pleasant surprise.
 */
export function estimateWaitSeconds(
  position: number,
  s: { maxActive: number; admitRatePerSec: number; activeTtlSeconds: number; activeNow: number; secondsUntilOpen?: number },
): number {
  const untilOpen = Math.max(0, s.secondsUntilOpen ?? 0);
  if (position <= 0) return Math.ceil(untilOpen);
  const free = Math.max(0, s.maxActive - s.activeNow);
  const turnover = Math.min(s.admitRatePerSec, s.maxActive / s.activeTtlSeconds);
  const now = Math.min(position, free);
  const later = position - now;
  return Math.ceil(untilOpen + now / s.admitRatePerSec + later / turnover);
}

/** What a queue token says (signed; the state itself lives in Redis under the token id). */
export interface QueueTokenClaims {
  scheduleId: number;
  userId: number;
  tokenId: string;
}

const TOKEN_ID = /^[A-Za-z0-9_-]{16,32}$/;
const TOKEN = /^q1\.(\d{1,15})\.(\d{1,15})\.([A-Za-z0-9_-]{16,32})\.([A-Za-z0-9_-]{43})$/;

/** The signed part of a token: version, schedule, user, token id. */
export const tokenPayload = (c: QueueTokenClaims) => {
  if (!TOKEN_ID.test(c.tokenId)) throw new Error('bad token id');
  return `q1.${c.scheduleId}.${c.userId}.${c.tokenId}`;
};

/** Splits a token into claims and signature, or undefined when it is not even shaped like one. */
export function parseToken(token: string): { claims: QueueTokenClaims; payload: string; signature: string } | undefined {
  const m = TOKEN.exec(token);
  if (!m) return undefined;
  const claims = { scheduleId: Number(m[1]), userId: Number(m[2]), tokenId: m[3]! };
  if (!Number.isSafeInteger(claims.scheduleId) || !Number.isSafeInteger(claims.userId) || claims.scheduleId <= 0 || claims.userId <= 0) return undefined;
  return { claims, payload: tokenPayload(claims), signature: m[4]! };
}

/** The raw state of one user in one schedule's queue, as the Lua script reports it. */
export interface QueueState {
  tokenId: string;
  joinedAtMs: number;
  status: QueueStatus;
  /** 1-based place among waiters; null in the pre-queue (the order is drawn at opening). */
  position: number | null;
  activeUntilMs: number | null;
  reason: EndReason | null;
  waiting: number;
  preQueue: number;
  active: number;
  nowMs: number;
}

/** The answer clients see for a token. */
export interface TokenView {
  token: string;
  scheduleId: number;
  status: QueueStatus;
  position: number | null;
  estimatedWaitSeconds: number | null;
  activeUntil: string | null;
  opensAt: string | null;
  reason: EndReason | null;
}

export function viewOf(token: string, state: QueueState, s: QueueSettings, activeTtlSeconds: number): TokenView {
  const beforeOpening = state.nowMs < s.opensAtMs;
  let estimatedWaitSeconds: number | null = null;
  if (state.status === 'ACTIVE') estimatedWaitSeconds = 0;
  else if (state.status === 'WAITING') {
    // In the pre-queue nobody knows their place yet: estimate for the middle of the draw.
    const position = state.position ?? Math.ceil((state.preQueue + 1) / 2);
    estimatedWaitSeconds = estimateWaitSeconds(position, {
      maxActive: s.maxActive,
      admitRatePerSec: s.admitRatePerSec,
      activeTtlSeconds,
      activeNow: state.active,
      secondsUntilOpen: beforeOpening ? (s.opensAtMs - state.nowMs) / 1000 : 0,
    });
  }
  return {
    token,
    scheduleId: s.scheduleId,
    status: state.status,
    position: state.status === 'WAITING' ? state.position : null,
    estimatedWaitSeconds,
    activeUntil: state.activeUntilMs ? new Date(state.activeUntilMs).toISOString() : null,
    opensAt: beforeOpening ? new Date(s.opensAtMs).toISOString() : null,
    reason: state.status === 'EXPIRED' ? (state.reason ?? 'UNKNOWN') : null,
  };
}

/** Something the script changed for someone other than the caller: turned into events and metrics. */
export interface QueueChange {
  kind: 'ADMITTED' | 'ENDED';
  userId: number;
  tokenId: string;
  joinedAtMs: number;
  atMs: number;
  reason?: EndReason;
}
