import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context, MiddlewareHandler } from 'hono';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { perKeyScript, type Redis } from '../redis.js';
import { withinDependencyDeadline } from '../dependency-errors.js';
import { DomainError } from '../../shared/errors.js';

/**
 * Sliding-window rate limits in Redis. Each subject (an IP or a user, per route group) has one
 * hash holding a counter per fixed window; the estimate is the current window's count plus the
 * previous window's count weighted by how much of it still overlaps the sliding window (the
 * "sliding window counter": two integers per subject instead of a timestamp per request, within a
 * few percent of an exact sliding log). The script is atomic and takes the time from Redis, so
 * many API processes with skewed clocks share one budget. Rejected requests are not counted.
 * One call checks all the subjects of a request (IP and user), each on its own budget: one script
 * run and one command per request instead of one per subject (on a Redis Cluster, one per subject:
 * the subjects live in different slots).
 */
const SLIDING_WINDOW = `
local window = tonumber(ARGV[1])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local cur = math.floor(now / window)
local elapsed = now - cur * window
local out = {}
for i, key in ipairs(KEYS) do
  local limit = tonumber(ARGV[i + 1])
  local curCount = tonumber(redis.call('HGET', key, cur) or '0')
  local prevCount = tonumber(redis.call('HGET', key, cur - 1) or '0')
  local estimate = prevCount * (window - elapsed) / window + curCount
  if estimate + 1 > limit then
    local retry
    if curCount + 1 > limit then
      -- next window: this window's count becomes the weighted one
      retry = (window - elapsed) + math.ceil(window * (1 - (limit - 1) / curCount))
    else
      retry = math.ceil(window - (limit - curCount - 1) * window / prevCount) - elapsed
    end
    out[#out + 1] = 0
    out[#out + 1] = math.floor(estimate)
    out[#out + 1] = math.max(retry, 1)
  else
    redis.call('HINCRBY', key, cur, 1)
    redis.call('HDEL', key, cur - 2)
    redis.call('PEXPIRE', key, window * 2)
    out[#out + 1] = 1
    out[#out + 1] = math.floor(estimate + 1)
    out[#out + 1] = 0
  end
end
return out
`;

export interface LimitDecision {
  allowed: boolean;
  count: number;
  retryAfterMs: number;
}

type RedisWithLimiter = Redis & { slidingWindowHits(numKeys: number, ...args: Array<string | number>): Promise<number[]> };

export class RateLimiter {
  private readonly redis: RedisWithLimiter;

  constructor(redis: Redis) {
    if (!('slidingWindowHits' in redis)) redis.defineCommand('slidingWindowHits', { lua: SLIDING_WINDOW });
    this.redis = redis as RedisWithLimiter;
  }

  async hit(key: string, limit: number, windowMs: number): Promise<LimitDecision> {
    return (await this.hitAll([{ key, limit }], windowMs))[0]!;
  }

  /** One decision per subject, in order; each subject is counted only when its own budget allows. */
  async hitAll(subjects: Array<{ key: string; limit: number }>, windowMs: number): Promise<LimitDecision[]> {
    // Each subject is its own hash tag (its own slot on a Redis Cluster, where it is checked apart).
    const reply = await perKeyScript(this.redis, subjects.length, (at) =>
      this.redis.slidingWindowHits(at.length, ...at.map((i) => `rl:{${subjects[i]!.key}}`), windowMs, ...at.map((i) => subjects[i]!.limit)),
    );
    return subjects.map((_, i) => ({ allowed: reply[3 * i] === 1, count: reply[3 * i + 1]!, retryAfterMs: reply[3 * i + 2]! }));
  }
}

export interface RateLimitRule {
  /** Route group name, part of the Redis key (auth, queue, booking). */
  name: string;
  perIp: number;
  /** Per authenticated user; omitted for groups used before login. */
  perUser?: number;
}

export interface RateLimitOptions {
  limiter: RateLimiter;
  rule: RateLimitRule;
  windowMs: number;
  clientIp: (c: Context) => string | null;
  /** The caller's user id from a valid bearer token, or null (then only the IP limit applies). */
  identify: (c: Context) => Promise<number | null>;
  log?: Logger;
  /** Counts every decision as rate_limit_decisions_total{rule, outcome}. */
  metrics?: Metrics;
  /** Longest the Redis step may take before the request is let through (fail open); 0 = unbounded. */
  stepDeadlineMs?: number;
}

/** 429 + Retry-After (problem+json, code RATE_LIMITED) when the IP or the user is over its budget. */
export function rateLimit(opts: RateLimitOptions): MiddlewareHandler {
  const { rule, windowMs } = opts;
  const decided = opts.metrics?.counter(
    'rate_limit_decisions_total',
    'Rate-limit decisions by rule (auth, queue, booking) and outcome: allowed, refused (429), or unavailable (Redis failed; allowed)',
    ['rule', 'outcome'],
  );
  return async (c, next) => {
    if (c.req.method === 'OPTIONS') return next();
    const ip = opts.clientIp(c) ?? 'unknown';
    let decisions: LimitDecision[];
    try {
      const userId = rule.perUser ? await opts.identify(c) : null;
      const subjects = [{ key: `${rule.name}:ip:${ip}`, limit: rule.perIp }];
      if (userId !== null && rule.perUser) subjects.push({ key: `${rule.name}:u:${userId}`, limit: rule.perUser });
      decisions = await withinDependencyDeadline(opts.limiter.hitAll(subjects, windowMs), opts.stepDeadlineMs ?? 0, 'the rate limiter (Redis)');
    } catch (err) {
      // Fail open: without Redis the waiting room and seat locks refuse anyway; the limiter must not
      // be the thing that turns a Redis blip into a full outage of logins and reads.
      opts.log?.warn({ err: String(err), rule: rule.name }, 'rate limiter unavailable; request allowed');
      decided?.inc({ rule: rule.name, outcome: 'unavailable' });
      return next();
    }
    const refused = decisions.filter((d) => !d.allowed);
    decided?.inc({ rule: rule.name, outcome: refused.length > 0 ? 'refused' : 'allowed' });
    if (refused.length > 0) {
      const retryAfterSeconds = Math.max(1, Math.ceil(Math.max(...refused.map((d) => d.retryAfterMs)) / 1000));
      opts.log?.warn({ audit: true, rule: rule.name, ip, retryAfterSeconds }, 'rate limited');
      throw new DomainError('RATE_LIMITED', `Too many requests; retry in ${retryAfterSeconds} s`, { retryAfterSeconds });
    }
    await next();
  };
}

/**
 * The client's address. Behind N trusted proxies the client is the N-th address from the right of
 * X-Forwarded-For (entries further left are whatever the client sent, so never trusted); with no
 * trusted proxy it is the socket's peer. In-process requests (tests) have neither: null.
 */
export function clientIpResolver(trustedProxyHops: number) {
  return (c: Context): string | null => {
    if (trustedProxyHops > 0) {
      const parts = (c.req.header('x-forwarded-for') ?? '').split(',').map((s) => s.trim()).filter(Boolean);
      const ip = parts[Math.max(0, parts.length - trustedProxyHops)];
      if (ip && ip.length <= 64) return ip;
    }
    try {
      return getConnInfo(c).remote.address ?? null;
    } catch {
      return null;
    }
  };
}
