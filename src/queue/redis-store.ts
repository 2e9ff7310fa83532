import { randomInt } from 'node:crypto';
import type { Redis } from '../platform/redis.js';
import type { EndReason, QueueChange, QueueSettings, QueueState, QueueStatus, SaleEndReason } from './domain.js';
import { PEEK_LUA, QUEUE_LUA, SEEN_LUA, SNAPSHOT_LUA } from './queue-script.js';
import { withinDependencyDeadline } from '../platform/dependency-errors.js';

export type QueueOp = 'join' | 'status' | 'tick' | 'complete' | 'end' | 'reopen';

export interface QueueOpResult {
  changes: QueueChange[];
  /** The caller's state (join and status only). */
  state: QueueState | undefined;
  counts: { waiting: number; preQueue: number; active: number };
  nowMs: number;
  /** What admission ran on in this call (auto mode: the controller's values). */
  effective: { maxActive: number; admitRatePerSec: number };
  /** Set once the sale ended for waiters. */
  saleEnded: SaleEndReason | null;
  /** Waiters this call told that the sale ended. */
  endedBySale: number;
  /** The reason this very call ended the sale with (first caller only), for the one event. */
  endedNow: SaleEndReason | null;
  reopened: boolean;
}

/** Port of the queue service onto its atomic store. */
export interface QueueStore {
  run(op: QueueOp, s: QueueSettings, args?: { userId?: number; tokenId?: string; reason?: SaleEndReason }): Promise<QueueOpResult>;
  /** 0 = not the current token, 1 = current but not ACTIVE, 2 = ACTIVE. */
  peek(scheduleId: number, userId: number, tokenId: string): Promise<0 | 1 | 2 | 3>;
  /** Schedules with queue activity since `sinceMs` (what the periodic drivers tick). */
  recentSchedules(sinceMs: number): Promise<number[]>;
  /** The line at a glance, for answering polls by arithmetic (queue-snapshot.ts). */
  snapshot(scheduleId: number): Promise<LineSnapshot>;
  /** Marks these waiters as seen; returns the token ids that no longer wait (admitted, dropped, replaced). */
  touch(scheduleId: number, seen: Array<{ userId: number; tokenId: string }>): Promise<string[]>;
}

/** One schedule's line as Redis had it at `nowMs` (Redis's clock). */
export interface LineSnapshot {
  /** Join sequence of the first waiter; null when nobody waits. */
  headSeq: number | null;
  /** Highest join sequence issued so far: a token beyond it joined after this snapshot. */
  lastSeq: number;
  /** Highest join sequence admitted so far: a token at or below it was admitted (or left before). */
  admittedSeq: number;
  /** Sequences above the head that left the line other than by admission (ascending). */
  gone: number[];
  counts: { waiting: number; preQueue: number; active: number };
  opened: boolean;
  /** The admission controller's values when it has decided (auto mode). */
  ctl: { rate: number | null; maxActive: number | null };
  saleEnded: SaleEndReason | null;
  nowMs: number;
}

type RawResult = [string[], string[], number, number, number, string, number, number, string, number, string, number];
type RawSnapshot = [string, string, string[], number, number, number, number, string, string, string, string, string];
interface QueueCommands {
  queueOp(...args: Array<string | number>): Promise<RawResult>;
  queuePeek(...args: Array<string | number>): Promise<number>;
  queueSnapshot(...args: Array<string | number>): Promise<RawSnapshot>;
  queueSeen(...args: Array<string | number>): Promise<string[]>;
}

const SCHEDULES_KEY = 'q:schedules';
/** Most departures from the middle of a line a snapshot carries; beyond it positions are upper bounds. */
const MAX_GONE = 20_000;
/** One hash tag per schedule keeps all of its keys in one slot (Redis Cluster ready). */
const keysOf = (sid: number) => {
  const k = (name: string) => `q:{${sid}}:${name}`;
  return [k('wait'), k('pre'), k('active'), k('seen'), k('tok'), k('ended'), k('seq'), k('opened'), k('admits'), k('ctl'), k('final'), k('gone'), k('adm')];
};
/** The admission controller's hash (admission-store.ts writes it, the script reads it). */
export const controlKeyOf = (sid: number) => keysOf(sid)[9]!;

const splitTok = (v: string) => {
  const bar = v.indexOf('|');
  return { tokenId: v.slice(0, bar), joinedAtMs: Number(v.slice(bar + 1)) };
};

export interface RedisQueueStoreOptions {
  activeTtlMs: number;
  graceMs: number;
  /** Most users a single call admits, expires or drops: keeps each script run short. */
  maxBatch?: number;
  /** Idle queues disappear after this long without a join. */
  keepMs?: number;
  /**
   * Longest a join waits for Redis's reply (QUEUE_JOIN_DEADLINE_MS; 0 = unbounded). Long, since a
   * join is answered late rather than refused once its script may have run, but bounded: Redis cut
   * off by a partition never replies (the connection hangs until TCP gives up, about 15 minutes),
   * as chaos's redis-partition fault showed. Only Redis's reply is bounded: a process too busy to
   * go on after the reply still answers the join with its place.
   */
  joinReplyDeadlineMs?: number;
}

/** The Redis adapter: Lua scripts registered with defineCommand (EVALSHA with EVAL fallback). */
export class RedisQueueStore implements QueueStore {
  private readonly redis: Redis & QueueCommands;

  constructor(
    redis: Redis,
    private readonly opts: RedisQueueStoreOptions,
  ) {
    if (!('queueOp' in redis)) {
      redis.defineCommand('queueOp', { numberOfKeys: 13, lua: QUEUE_LUA });
      redis.defineCommand('queuePeek', { numberOfKeys: 2, lua: PEEK_LUA });
      redis.defineCommand('queueSnapshot', { numberOfKeys: 9, lua: SNAPSHOT_LUA });
      redis.defineCommand('queueSeen', { numberOfKeys: 2, lua: SEEN_LUA });
    }
    this.redis = redis as Redis & QueueCommands;
  }

  async run(op: QueueOp, s: QueueSettings, args: { userId?: number; tokenId?: string; reason?: SaleEndReason } = {}): Promise<QueueOpResult> {
    // The drivers' registry (global: not in the schedule's slot) is written beside the script.
    const registered = op === 'join' ? this.redis.zadd(SCHEDULES_KEY, Date.now(), s.scheduleId) : undefined;
    const step = Promise.all([this.queueOp(op, s, args), registered]);
    const [raw] = op === 'join' ? await withinDependencyDeadline(step, this.opts.joinReplyDeadlineMs ?? 0, 'the waiting room (Redis)') : await step;
    const [flat, self, waiting, preQueue, active, now, maxActive, admitRatePerSec, final, endedBySale, endedNow, reopened] = raw;
    const effective = { maxActive: Number(maxActive), admitRatePerSec: Number(admitRatePerSec) };
    const nowMs = Number(now);
    const changes: QueueChange[] = [];
    for (let i = 0; i + 4 < flat.length; i += 5) {
      if (!flat[i + 2]) continue; // admitted without a token record: cannot happen, never report it
      const { tokenId, joinedAtMs } = splitTok(flat[i + 2]!);
      const base = { userId: Number(flat[i + 1]), tokenId, joinedAtMs, atMs: Number(flat[i + 3]) };
      changes.push(flat[i] === 'A' ? { kind: 'ADMITTED', ...base } : { kind: 'ENDED', ...base, reason: flat[i + 4] as EndReason });
    }
    let state: QueueState | undefined;
    if ((op === 'join' || op === 'status') && self[1]) {
      const [status, tokenId, joined, fourth, until, seq] = self as [QueueStatus, string, string, string, string, string];
      state = {
        tokenId,
        seq: seq ? Number(seq) : 0,
        joinedAtMs: joined ? Number(joined) : 0,
        status,
        position: status === 'WAITING' && fourth ? Number(fourth) : null,
        activeUntilMs: status === 'ACTIVE' ? Number(until) : null,
        reason: status === 'EXPIRED' ? ((fourth || 'UNKNOWN') as EndReason) : null,
        waiting: Number(waiting),
        preQueue: Number(preQueue),
        active: Number(active),
        nowMs,
        ...effective,
      };
    }
    return {
      changes,
      state,
      counts: { waiting: Number(waiting), preQueue: Number(preQueue), active: Number(active) },
      nowMs,
      effective,
      saleEnded: (final || null) as SaleEndReason | null,
      endedBySale: Number(endedBySale),
      endedNow: (endedNow || null) as SaleEndReason | null,
      reopened: Number(reopened) === 1,
    };
  }

  private queueOp(op: QueueOp, s: QueueSettings, args: { userId?: number; tokenId?: string; reason?: SaleEndReason }): Promise<RawResult> {
    return this.redis.queueOp(
      ...keysOf(s.scheduleId),
      op,
      s.scheduleId,
      // Auto mode: what to run on until the controller has decided (the script prefers its values).
      s.maxActive,
      // A paused sale admits nobody: rate 0 (and not the controller's rate, see auto below).
      s.paused ? 0 : s.admitRatePerSec,
      this.opts.activeTtlMs,
      this.opts.graceMs,
      s.opensAtMs,
      this.opts.maxBatch ?? 1000,
      randomInt(1, 2 ** 31 - 1),
      this.opts.keepMs ?? 7 * 86_400_000,
      args.userId ?? '',
      args.tokenId ?? '',
      s.mode === 'auto' && !s.paused ? 1 : 0,
      // A cancelled performance has no sale window left.
      s.cancelled ? 0 : s.closesAtMs,
      args.reason ?? '',
    );
  }

  async peek(scheduleId: number, userId: number, tokenId: string): Promise<0 | 1 | 2 | 3> {
    const [, , active, , tok] = keysOf(scheduleId);
    return (await this.redis.queuePeek(tok!, active!, userId, tokenId)) as 0 | 1 | 2 | 3;
  }

  async snapshot(scheduleId: number): Promise<LineSnapshot> {
    const [wait, pre, active, , , , seq, opened, , ctl, final, gone, adm] = keysOf(scheduleId);
    const raw = await this.redis.queueSnapshot(wait!, pre!, active!, seq!, opened!, ctl!, final!, gone!, adm!, MAX_GONE);
    const [head, last, goneSeqs, waiting, preQueue, activeCount, isOpen, rate, maxActive, ended, now, admitted] = raw;
    return {
      headSeq: head ? Number(head) : null,
      lastSeq: Number(last),
      admittedSeq: Number(admitted),
      gone: goneSeqs.map(Number),
      counts: { waiting: Number(waiting), preQueue: Number(preQueue), active: Number(activeCount) },
      opened: Number(isOpen) === 1,
      ctl: { rate: rate ? Number(rate) : null, maxActive: maxActive ? Number(maxActive) : null },
      saleEnded: (ended || null) as SaleEndReason | null,
      nowMs: Number(now),
    };
  }

  async touch(scheduleId: number, seen: Array<{ userId: number; tokenId: string }>): Promise<string[]> {
    if (seen.length === 0) return [];
    const [, , , seenKey, tok] = keysOf(scheduleId);
    return this.redis.queueSeen(tok!, seenKey!, ...seen.flatMap((w) => [w.userId, w.tokenId]));
  }

  async recentSchedules(sinceMs: number): Promise<number[]> {
    await this.redis.zremrangebyscore(SCHEDULES_KEY, '-inf', `(${sinceMs}`);
    return (await this.redis.zrange(SCHEDULES_KEY, 0, -1)).map(Number);
  }
}
