/**
 * Waiting-room rules, pure: no Redis, no HTTP. The atomic state machine itself runs as a Lua script
 * (queue-script.ts) because it must be one step across every API process; this file holds what is
 * decided around it: settings, estimates, token claims and the answers given to clients.
 */

export type QueueStatus = 'WAITING' | 'ACTIVE' | 'EXPIRED';
/**
 * Why a token stopped: its active time ran out, its booking completed, it stopped polling, or the
 * sale ended for everyone still waiting (every seat SOLD, or the sale window closed).
 */
export type EndReason = 'EXPIRED' | 'USED' | 'DROPPED' | 'SOLD_OUT' | 'CLOSED' | 'UNKNOWN';
/** Reasons that end the whole waiting room of a schedule, not one token. */
export type SaleEndReason = 'SOLD_OUT' | 'CLOSED';

/** Sold out: every seat SOLD. Seats that are only HELD may still come back, so they keep the line. */
export const isSoldOut = (seats: { available: number; held: number; sold: number }) => seats.sold > 0 && seats.available + seats.held === 0;

/**
 * How admission is set: `auto` follows the booking path's measured latency within admin bounds
 * (admission-control.ts); `manual` pins the rate and the active cap.
 */
export type AdmissionMode = 'auto' | 'manual';

export interface AutoAdmissionBounds {
  minAdmitRate: number;
  maxAdmitRate: number;
  /** Latency goal of the controller: hold (and pay) p99 over the control window. */
  targetP99Ms: number;
}

export interface QueueSettings {
  scheduleId: number;
  mode: AdmissionMode;
  /** Manual: the pinned cap. Auto: the ceiling the controller never exceeds. */
  maxActive: number;
  /** Manual: the pinned rate. Auto: the rate until the controller has decided one. */
  admitRatePerSec: number;
  auto: AutoAdmissionBounds;
  /** Sale opening: joiners before it form the pre-queue, shuffled at this instant. */
  opensAtMs: number;
  closesAtMs: number;
  cancelled: boolean;
  /** The organiser paused the sale: nobody is admitted (waiters keep their places) until it resumes. */
  paused?: boolean;
}

export interface QueueDefaults {
  mode: AdmissionMode;
  maxActive: number;
  admitRatePerSec: number;
  auto: AutoAdmissionBounds & { startRate: number };
}

/** What an admin may override per schedule (null = the configured default). */
export interface QueueOverrides {
  mode: AdmissionMode | null;
  maxActive: number | null;
  admitRatePerSec: number | null;
  minAdmitRate: number | null;
  maxAdmitRate: number | null;
  targetP99Ms: number | null;
}

/** Per-schedule overrides (null = the configured default). */
export function resolveSettings(
  row: { id: number; saleOpensAt: Date; saleClosesAt: Date; status: string } & QueueOverrides,
  defaults: QueueDefaults,
): QueueSettings {
  const mode = row.mode ?? defaults.mode;
  const minAdmitRate = row.minAdmitRate ?? defaults.auto.minAdmitRate;
  const maxAdmitRate = Math.max(minAdmitRate, row.maxAdmitRate ?? defaults.auto.maxAdmitRate);
  const startRate = Math.min(maxAdmitRate, Math.max(minAdmitRate, defaults.auto.startRate));
  const maxActive = row.maxActive ?? defaults.maxActive;
  return {
    scheduleId: row.id,
    mode,
    maxActive,
    admitRatePerSec: mode === 'manual' ? (row.admitRatePerSec ?? defaults.admitRatePerSec) : startRate,
    auto: { minAdmitRate, maxAdmitRate, targetP99Ms: row.targetP99Ms ?? defaults.auto.targetP99Ms },
    opensAtMs: row.saleOpensAt.getTime(),
    closesAtMs: row.saleClosesAt.getTime(),
    cancelled: row.status === 'CANCELLED' || row.status === 'CANCELLING',
    paused: row.status === 'PAUSED',
  };
}

/**
 * The rate and cap admission runs on, as the queue script decides them: a paused sale admits nobody;
 * in auto mode the controller's values (`ctl`, once it has decided) win over the settings.
 */
export function effectiveAdmission(s: QueueSettings, ctl: { rate: number | null; maxActive: number | null }): { maxActive: number; admitRatePerSec: number } {
  const auto = s.mode === 'auto' && !s.paused;
  return {
    maxActive: (auto ? ctl.maxActive : null) ?? s.maxActive,
    admitRatePerSec: s.paused ? 0 : ((auto ? ctl.rate : null) ?? s.admitRatePerSec),
  };
}

/**
 * Joining a cancelled performance is refused. A closed or sold-out sale is not refused: the join
 * answers with a token that is already EXPIRED with reason CLOSED or SOLD_OUT, like everyone who
 * was waiting, so clients handle one final state.
 */
export function joinRefusal(s: QueueSettings): string | undefined {
  return s.cancelled ? 'This performance is cancelled' : undefined;
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

/**
 * What a queue token says (signed; the state itself lives in Redis under the token id). `seq` is the
 * waiter's place in the schedule's line (its join sequence) when it is known: with it, a poll is
 * answered from the process's snapshot of the line (queue-snapshot.ts) without asking Redis.
 * Absent (q1 tokens) or 0: in the pre-queue, or admitted.
 */
export interface QueueTokenClaims {
  scheduleId: number;
  userId: number;
  tokenId: string;
  seq?: number;
}

const TOKEN_ID = /^[A-Za-z0-9_-]{16,32}$/;
const TOKEN = /^q1\.(\d{1,15})\.(\d{1,15})\.([A-Za-z0-9_-]{16,32})\.([A-Za-z0-9_-]{43})$/;
const TOKEN_V2 = /^q2\.(\d{1,15})\.(\d{1,15})\.([A-Za-z0-9_-]{16,32})\.(\d{1,15})\.([A-Za-z0-9_-]{43})$/;

/** The signed part of a token: version, schedule, user, token id (and, in q2, the place in line). */
export const tokenPayload = (c: QueueTokenClaims) => {
  if (!TOKEN_ID.test(c.tokenId)) throw new Error('bad token id');
  return c.seq === undefined ? `q1.${c.scheduleId}.${c.userId}.${c.tokenId}` : `q2.${c.scheduleId}.${c.userId}.${c.tokenId}.${c.seq}`;
};

/** Splits a token into claims and signature, or undefined when it is not even shaped like one. */
export function parseToken(token: string): { claims: QueueTokenClaims; payload: string; signature: string } | undefined {
  const v2 = TOKEN_V2.exec(token);
  const m = v2 ?? TOKEN.exec(token);
  if (!m) return undefined;
  const claims: QueueTokenClaims = { scheduleId: Number(m[1]), userId: Number(m[2]), tokenId: m[3]! };
  if (v2) claims.seq = Number(v2[4]);
  if (!Number.isSafeInteger(claims.scheduleId) || !Number.isSafeInteger(claims.userId) || claims.scheduleId <= 0 || claims.userId <= 0) return undefined;
  if (claims.seq !== undefined && !Number.isSafeInteger(claims.seq)) return undefined;
  return { claims, payload: tokenPayload(claims), signature: m[v2 ? 5 : 4]! };
}

/** The raw state of one user in one schedule's queue, as the Lua script reports it. */
export interface QueueState {
  tokenId: string;
  /** Join sequence (place in the line) while WAITING after the opening; 0 otherwise. */
  seq: number;
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
  /** The values admission runs on right now (auto mode: the controller's). */
  maxActive: number;
  admitRatePerSec: number;
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
  /** When to ask again (ms): grows with the expected wait; null once there is nothing to wait for. */
  pollAfterMs: number | null;
}

export const POLL_MIN_MS = 1_000;
/** Well under QUEUE_WAITER_GRACE_SECONDS (30 s): a waiter who polls as told is never dropped. */
export const POLL_MAX_MS = 20_000;

/**
 * Server-chosen poll pacing from the place in line: a fifth of the time the admission rate needs
 * to reach this waiter, never more often than once a second and never rarer than every 20 s (so a
 * sell-out reaches even the last waiter within 20 s by poll; the SSE stream tells at once). The
 * front of the line asks every second, someone at position 15,000 every 20 s. Deliberately not the
 * (conservative) wait estimate: while admission pauses, that estimate grows long for everyone, and
 * the front of the line would stop looking just when seats come back. In the pre-queue (no
 * position yet) it paces by the time to opening.
 */
export function pollAfterMs(status: QueueStatus, position: number | null, admitRatePerSec: number, secondsUntilOpen = 0): number | null {
  if (status !== 'WAITING') return null;
  const seconds = position === null ? secondsUntilOpen : position / Math.max(1, admitRatePerSec);
  return Math.round(Math.min(POLL_MAX_MS, Math.max(POLL_MIN_MS, (seconds * 1000) / 5)));
}

export function viewOf(token: string, state: QueueState, s: QueueSettings, activeTtlSeconds: number): TokenView {
  const beforeOpening = state.nowMs < s.opensAtMs;
  let estimatedWaitSeconds: number | null = null;
  if (state.status === 'ACTIVE') estimatedWaitSeconds = 0;
  else if (state.status === 'WAITING') {
    // In the pre-queue nobody knows their place yet: estimate for the middle of the draw.
    const position = state.position ?? Math.ceil((state.preQueue + 1) / 2);
    estimatedWaitSeconds = estimateWaitSeconds(position, {
      maxActive: Math.max(1, state.maxActive),
      admitRatePerSec: Math.max(1, state.admitRatePerSec),
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
    pollAfterMs: pollAfterMs(state.status, state.position, state.admitRatePerSec, beforeOpening ? (s.opensAtMs - state.nowMs) / 1000 : 0),
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
