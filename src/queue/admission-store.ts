import type { Redis } from '../platform/redis.js';
import { bucketOf, LATENCY_BUCKETS_MS, quantileMs, type AdmissionValues, type LatencyWindow } from './admission-control.js';
import { controlKeyOf } from './redis-store.js';

export type BookingCall = 'hold' | 'pay';

/** What the controller last decided and measured; admins read it, the queue script reads the values. */
export interface ControllerState extends Partial<AdmissionValues> {
  reason?: string;
  changedAt?: number;
  decidedAt?: number;
  /** Latency samples before this second are from before the last cut (they would cut twice). */
  measureFrom?: number;
  holdP95Ms?: number | null;
  holdP99Ms?: number | null;
  payP99Ms?: number | null;
  meanMs?: number | null;
  inFlight?: number;
  samples?: number;
  overloads?: number;
  cpuBusy?: number | null;
  seatsAvailable?: number;
  /** What the law aims at and carries between rounds (admission-control.ts). */
  limit?: number;
  steeredRate?: number;
  unloadedMs?: number;
  /** 1 once the rush's fast start is over. */
  queueingSeen?: number;
  calmRounds?: number;
  leader?: string;
}

/** Port of the controller onto shared state: every API process records, one leader decides. */
export interface AdmissionStore {
  record(scheduleId: number, call: BookingCall, ms: number, overload: boolean): void;
  window(scheduleId: number, fromSec: number, toSec: number): Promise<LatencyWindow>;
  /** Takes or renews the schedule's controller lease; true while this owner holds it. */
  lease(scheduleId: number, owner: string, ttlMs: number): Promise<boolean>;
  state(scheduleId: number): Promise<ControllerState>;
  save(scheduleId: number, state: ControllerState): Promise<void>;
  /** Drops the decided values (back to manual, or a fresh start). */
  reset(scheduleId: number): Promise<void>;
}

const OVERLOAD_FIELD = 'o';
/** Summed answer time (ms) of the second's answers: the mean and, by Little's law, the requests under way. */
const SUM_FIELD = 's';
const LEASE_LUA = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
return 0
`;
const NUMERIC = [
  'admitRatePerSec',
  'maxActive',
  'changedAt',
  'decidedAt',
  'measureFrom',
  'holdP95Ms',
  'holdP99Ms',
  'payP99Ms',
  'meanMs',
  'inFlight',
  'samples',
  'overloads',
  'cpuBusy',
  'seatsAvailable',
  'limit',
  'steeredRate',
  'unloadedMs',
  'queueingSeen',
  'calmRounds',
] as const;

/**
 * Latencies go into per-second, per-schedule histograms in Redis (fixed buckets, so any number of
 * API processes add up exactly). Each process batches its samples and flushes every `flushMs`: one
 * pipelined write per schedule and second, not one per request.
 */
export class RedisAdmissionStore implements AdmissionStore {
  private readonly redis: Redis & { admissionLease(key: string, owner: string, ttlMs: number): Promise<number> };
  private pending = new Map<string, number[]>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    redis: Redis,
    private readonly opts: { flushMs?: number; keepSeconds?: number } = {},
  ) {
    if (!('admissionLease' in redis)) redis.defineCommand('admissionLease', { numberOfKeys: 1, lua: LEASE_LUA });
    this.redis = redis as typeof this.redis;
    this.timer = setInterval(() => void this.flush().catch(() => undefined), opts.flushMs ?? 250);
    this.timer.unref();
  }

  record(scheduleId: number, call: BookingCall, ms: number, overload: boolean): void {
    const key = latencyKey(scheduleId, call, Math.floor(Date.now() / 1000));
    let counts = this.pending.get(key);
    if (!counts) this.pending.set(key, (counts = new Array(LATENCY_BUCKETS_MS.length + 3).fill(0)));
    counts[bucketOf(ms)]! += 1;
    if (overload) counts[LATENCY_BUCKETS_MS.length + 1]! += 1;
    counts[LATENCY_BUCKETS_MS.length + 2]! += Math.round(ms);
  }

  async flush(): Promise<void> {
    if (this.pending.size === 0 || this.redis.status !== 'ready') return;
    const batch = this.pending;
    this.pending = new Map();
    // One pipeline per hash: a Redis Cluster runs a pipeline on one node, and the batch holds
    // several schedules' hashes (each its own slot).
    await Promise.all(
      [...batch].map(([key, counts]) => {
        const p = this.redis.pipeline();
        counts.forEach((n, i) => {
          if (n > 0) p.hincrby(key, i === LATENCY_BUCKETS_MS.length + 1 ? OVERLOAD_FIELD : i === LATENCY_BUCKETS_MS.length + 2 ? SUM_FIELD : String(i), n);
        });
        return p.expire(key, this.opts.keepSeconds ?? 120).exec();
      }),
    );
  }

  async window(scheduleId: number, fromSec: number, toSec: number): Promise<LatencyWindow> {
    const p = this.redis.pipeline();
    for (let sec = fromSec; sec <= toSec; sec++) for (const call of ['hold', 'pay'] as const) p.hgetall(latencyKey(scheduleId, call, sec));
    const rows = ((await p.exec()) ?? []).map(([, v]) => (v ?? {}) as Record<string, string>);
    const hold = new Array<number>(LATENCY_BUCKETS_MS.length + 1).fill(0);
    const pay = new Array<number>(LATENCY_BUCKETS_MS.length + 1).fill(0);
    let overloads = 0;
    let totalMs = 0;
    rows.forEach((row, i) => {
      const into = i % 2 === 0 ? hold : pay;
      for (const [field, n] of Object.entries(row)) {
        if (field === OVERLOAD_FIELD) overloads += Number(n);
        else if (field === SUM_FIELD) totalMs += Number(n);
        else into[Number(field)]! += Number(n);
      }
    });
    const sum = (a: number[]) => a.reduce((x, y) => x + y, 0);
    const samples = sum(hold) + sum(pay);
    return {
      holdP95Ms: quantileMs(hold, 0.95),
      holdP99Ms: quantileMs(hold, 0.99),
      payP99Ms: quantileMs(pay, 0.99),
      meanMs: samples > 0 ? totalMs / samples : null,
      inFlight: toSec >= fromSec ? totalMs / ((toSec - fromSec + 1) * 1000) : 0,
      samples,
      overloads,
    };
  }

  async lease(scheduleId: number, owner: string, ttlMs: number): Promise<boolean> {
    return (await this.redis.admissionLease(`q:{${scheduleId}}:ctl-lease`, owner, ttlMs)) === 1;
  }

  async state(scheduleId: number): Promise<ControllerState> {
    const raw = await this.redis.hgetall(controlKeyOf(scheduleId));
    const out: ControllerState = {};
    if (raw.rate) out.admitRatePerSec = Number(raw.rate);
    for (const k of NUMERIC) if (k !== 'admitRatePerSec' && raw[k] !== undefined) (out as Record<string, number | null>)[k] = raw[k] === '' ? null : Number(raw[k]);
    if (raw.reason) out.reason = raw.reason;
    if (raw.leader) out.leader = raw.leader;
    return out;
  }

  async save(scheduleId: number, state: ControllerState): Promise<void> {
    const fields: Record<string, string> = {};
    for (const [k, v] of Object.entries(state)) {
      if (v === undefined) continue;
      // The queue script reads `rate` and `maxActive` by these names.
      fields[k === 'admitRatePerSec' ? 'rate' : k] = v === null ? '' : String(v);
    }
    const key = controlKeyOf(scheduleId);
    await this.redis.multi().hset(key, fields).pexpire(key, 7 * 86_400_000).exec();
  }

  async reset(scheduleId: number): Promise<void> {
    await this.redis.del(controlKeyOf(scheduleId));
  }

  close(): void {
    clearInterval(this.timer);
  }
}

const latencyKey = (scheduleId: number, call: BookingCall, sec: number) => `q:{${scheduleId}}:lat:${call}:${sec}`;
