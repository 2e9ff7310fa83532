import { describe, expect, it } from 'vitest';
import { estimateWaitSeconds, joinRefusal, parseToken, resolveSettings, tokenPayload, viewOf, type QueueSettings, type QueueState } from '../../src/queue/domain.js';
import { QueueTokenSigner } from '../../src/queue/tokens.js';

const settings: QueueSettings = { scheduleId: 7, maxActive: 100, admitRatePerSec: 10, opensAtMs: 1_000_000, closesAtMs: 9_000_000, cancelled: false };

describe('queue domain', () => {
  it('uses per-schedule overrides, else the defaults', () => {
    const row = { id: 7, queueMaxActive: null, queueAdmitRate: 25, saleOpensAt: new Date(1000), saleClosesAt: new Date(2000), status: 'SCHEDULED' };
    expect(resolveSettings(row, { maxActive: 500, admitRatePerSec: 50 })).toMatchObject({ maxActive: 500, admitRatePerSec: 25, opensAtMs: 1000, cancelled: false });
  });

  it('refuses joins after closing or for a cancelled performance', () => {
    expect(joinRefusal(settings, 5_000_000)).toBeUndefined();
    expect(joinRefusal(settings, 9_000_000)).toMatch(/closed/);
    expect(joinRefusal({ ...settings, cancelled: true }, 0)).toMatch(/cancelled/);
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
    const state: QueueState = { tokenId: 't', joinedAtMs: 0, status: 'WAITING', position: null, activeUntilMs: null, reason: null, waiting: 0, preQueue: 9, active: 0, nowMs: 940_000 };
    const v = viewOf('tok', state, settings, 60);
    expect(v).toMatchObject({ status: 'WAITING', position: null, opensAt: new Date(1_000_000).toISOString(), reason: null });
    expect(v.estimatedWaitSeconds).toBe(61); // 60 s to opening + middle of the draw (5) at 10/s
  });
});
