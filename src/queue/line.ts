/**
 * Answering a waiter from a snapshot of the line, pure: no Redis, no clock. The signed token carries
 * the waiter's join sequence; the snapshot says where the head of the line is, which sequences
 * left from the middle, and whether the sale ended. That is enough to tell almost every waiter
 * their exact place by arithmetic. Whatever the snapshot cannot settle (admitted, dropped, joined
 * after it was taken, the pre-queue after the draw) is asked of Redis: once per waiter and change,
 * not once per poll.
 */
import type { SaleEndReason } from './domain.js';

/** The part of a schedule's line snapshot (redis-store.ts LineSnapshot) the answer depends on. */
export interface LineView {
  headSeq: number | null;
  lastSeq: number;
  admittedSeq: number;
  /** Ascending. */
  gone: number[];
  opened: boolean;
  saleEnded: SaleEndReason | null;
}

export type LineAnswer =
  | { kind: 'WAITING'; position: number | null }
  | { kind: 'ENDED'; reason: SaleEndReason }
  /** The snapshot cannot tell: read this waiter's state in Redis. */
  | { kind: 'ASK' };

const ASK: LineAnswer = { kind: 'ASK' };

/**
 * `seq`: the token's join sequence (undefined: an old token without one; 0: pre-queue or admitted).
 * `knownGone`: this process learned that the token no longer waits (a batched last-seen write said so).
 */
export function answerFromLine(line: LineView, seq: number | undefined, knownGone: boolean): LineAnswer {
  if (knownGone || seq === undefined) return ASK;
  if (seq === 0) {
    // Before the opening draw nobody has a place yet; after it, the first poll learns its place.
    if (line.opened) return ASK;
    return line.saleEnded ? { kind: 'ENDED', reason: line.saleEnded } : { kind: 'WAITING', position: null };
  }
  if (seq > line.lastSeq || seq <= line.admittedSeq) return ASK;
  // Everyone still waiting when the sale ended was told so by the script (ACTIVE buyers keep their place).
  if (line.saleEnded) return { kind: 'ENDED', reason: line.saleEnded };
  if (line.headSeq === null || seq < line.headSeq) return ASK;
  const leftBefore = countBetween(line.gone, line.headSeq, seq);
  if (leftBefore < 0) return ASK;
  return { kind: 'WAITING', position: seq - line.headSeq + 1 - leftBefore };
}

/** How many sequences in sorted `xs` lie strictly between `lo` and `hi`; -1 when `hi` itself is among them. */
function countBetween(xs: number[], lo: number, hi: number): number {
  const first = lowerBound(xs, lo + 1);
  const end = lowerBound(xs, hi);
  if (end < xs.length && xs[end] === hi) return -1;
  return end - first;
}

function lowerBound(xs: number[], x: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (xs[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
