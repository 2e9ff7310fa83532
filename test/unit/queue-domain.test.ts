import { describe, expect, it } from 'vitest';
import {
  estimateWaitSeconds,
  joinRefusal,
  parseToken,
  pollAfterMs,
  POLL_MAX_MS,
  POLL_MIN_MS,
  resolveSettings,
  tokenPayload,
  viewOf,
  type QueueDefaults,
  type QueueSettings,
  type QueueState,
} from '../../src/queue/domain.js';
import { QueueTokenSigner } from '../../src/queue/tokens.js';

const auto = { minAdmitRate: 2, maxAdmitRate: 500, targetP99Ms: 500 };
const settings: QueueSettings = { scheduleId: 7, mode: 'manual', maxActive: 100, admitRatePerSec: 10, auto, opensAtMs: 1_000_000, closesAtMs: 9_000_000, cancelled: false };
const defaults: QueueDefaults = { mode: 'auto', maxActive: 500, admitRatePerSec: 50, auto: { ...auto, startRate: 10 } };
const noOverrides = { mode: null, maxActive: null, admitRatePerSec: null, minAdmitRate: null, maxAdmitRate: null, targetP99Ms: null };
const waiter = (position: number | null, over: Partial<QueueState> = {}): QueueState => ({
  tokenId: 't',
  seq: 0,
  joinedAtMs: 0,
  status: 'WAITING',
  position,
  activeUntilMs: null,
  reason: null,
  waiting: 20_000,
  preQueue: 0,
  active: 100,
  nowMs: 2_000_000,
  maxActive: 100,
  admitRatePerSec: 10,
  ...over,
});

describe('queue domain', () => {
  it('uses per-schedule overrides, else the defaults', () => {
    const row = { id: 7, ...noOverrides, mode: 'manual' as const, admitRatePerSec: 25, saleOpensAt: new Date(1000), saleClosesAt: new Date(2000), status: 'SCHEDULED' };
    expect(resolveSettings(row, defaults)).toMatchObject({ mode: 'manual', maxActive: 500, admitRatePerSec: 25, opensAtMs: 1000, cancelled: false });
  });

  it('defaults to auto admission, starting at the start rate within the bounds', () => {
    const row = { id: 7, ...noOverrides, saleOpensAt: new Date(1000), saleClosesAt: new Date(2000), status: 'SCHEDULED' };
    expect(resolveSettings(row, defaults)).toMatchObject({ mode: 'auto', admitRatePerSec: 10, maxActive: 500, auto });
    // A minimum above the start rate wins; the maximum never falls below the minimum.
    expect(resolveSettings({ ...row, minAdmitRate: 40, maxAdmitRate: 20 }, defaults)).toMatchObject({ admitRatePerSec: 40, auto: { minAdmitRate: 40, maxAdmitRate: 40 } });
  });

  it('paces polls by place and rate: 1 s near the front, growing with position, 20 s at most', () => {
    const at = (position: number) => viewOf('tok', waiter(position, { active: 0, maxActive: 100_000 }), settings, 60).pollAfterMs!;
    expect(at(1)).toBe(POLL_MIN_MS);
    expect(at(200)).toBeGreaterThan(at(20));
    expect(at(1_000)).toBeGreaterThan(at(200));
    expect(at(15_000)).toBe(POLL_MAX_MS);
    for (let p = 1; p < 20_000; p += 97) expect(at(p + 97)).toBeGreaterThanOrEqual(at(p));
    // While admission pauses (every place taken) the front of the line still looks every second.
    expect(viewOf('tok', waiter(1, { active: 100, maxActive: 100 }), settings, 600).pollAfterMs).toBe(POLL_MIN_MS);
    // A faster admission rate shortens the interval for the same place.
    expect(viewOf('tok', waiter(500, { admitRatePerSec: 100 }), settings, 60).pollAfterMs).toBeLessThan(viewOf('tok', waiter(500, { admitRatePerSec: 10 }), settings, 60).pollAfterMs!);
    expect(pollAfterMs('ACTIVE', null, 10)).toBeNull();
    expect(pollAfterMs('EXPIRED', null, 10)).toBeNull();
  });

  it('estimates with the values admission runs on now, not the configured start', () => {
    const slow = viewOf('tok', waiter(100, { admitRatePerSec: 5, active: 0 }), settings, 60);
    const fast = viewOf('tok', waiter(100, { admitRatePerSec: 50, active: 0 }), settings, 60);
    expect(slow.estimatedWaitSeconds).toBe(20);
    expect(fast.estimatedWaitSeconds).toBe(2);
  });

  it('refuses joins for a cancelled performance (a closed sale answers with a final token instead)', () => {
    expect(joinRefusal(settings)).toBeUndefined();
    expect(joinRefusal({ ...settings, cancelled: true })).toMatch(/cancelled/);
  });

  it('estimates waits from free places at the rate and the rest at turnover', () => {
    const s = { maxActive: 100, admitRatePerSec: 10, activeTtlSeconds: 100, activeNow: 100 };
    // Full: turnover = min(10, 100/100) = 1 per second.
    expect(estimateWaitSeconds(30, s)).toBe(30);
    // 20 free places: 20 at 10/s (2 s), then 10 at 1/s.
    expect(estimateWaitSeconds(30, { ...s, activeNow: 80 })).toBe(12);
    expect(estimateWaitSeconds(5, { ...s, activeNow: 0, secondsUntilOpen: 60 })).toBe(61);
  });

  it('parses only well-formed tokens', () => {
    const payload = tokenPayload({ scheduleId: 7, userId: 42, tokenId: 'abcdefghijklmnopqrstuv' });
    const sig = 'a'.repeat(43);
    expect(parseToken(`${payload}.${sig}`)?.claims).toEqual({ scheduleId: 7, userId: 42, tokenId: 'abcdefghijklmnopqrstuv' });
    expect(parseToken(`${payload}.${sig}x`)).toBeUndefined();
    expect(parseToken(`q1.0.42.abcdefghijklmnopqrstuv.${sig}`)).toBeUndefined();
    expect(parseToken('garbage')).toBeUndefined();
  });

  it('signs tokens bound to user and schedule; tampering is detected', () => {
    const signer = new QueueTokenSigner('x'.repeat(40), true);
    const token = signer.sign({ scheduleId: 7, userId: 42, tokenId: QueueTokenSigner.newTokenId() });
    expect(signer.verify(token, { userId: 42, scheduleId: 7 }).userId).toBe(42);
    expect(() => signer.verify(token, { userId: 43 })).toThrow(/another user/);
    expect(() => signer.verify(token, { userId: 42, scheduleId: 8 })).toThrow(/schedule 7/);
    expect(() => signer.verify(token.replace('q1.7.42', 'q1.8.42'), { userId: 42 })).toThrow(/signature/);
    expect(() => new QueueTokenSigner('y'.repeat(40), true).verify(token, { userId: 42 })).toThrow(/signature/);
    expect(() => signer.verify(undefined, { userId: 42 })).toThrow(/X-Queue-Token/);
  });

  it('renders a pre-queue waiter with no position yet and the opening time', () => {
    const state = waiter(null, { waiting: 0, preQueue: 9, active: 0, nowMs: 940_000 });
    const v = viewOf('tok', state, settings, 60);
    expect(v).toMatchObject({ status: 'WAITING', position: null, opensAt: new Date(1_000_000).toISOString(), reason: null });
    expect(v.estimatedWaitSeconds).toBe(61); // 60 s to opening + middle of the draw (5) at 10/s
  });
});
