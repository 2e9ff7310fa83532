import { describe, expect, it } from 'vitest';
import type { EventEnvelope } from '../../src/events/catalog.js';
import { NotificationHub, recipientOf } from '../../src/events/notification-hub.js';
import { RecentIds } from '../../src/events/recent-ids.js';
import { conversionRate, salesDeltaOf } from '../../src/events/sales-projection.js';

let seq = 0;
const ev = (type: EventEnvelope['type'], payload: Record<string, unknown>, aggregateType = 'reservation'): EventEnvelope =>
  ({ id: `e${++seq}`, type, schemaVersion: 1, aggregateType, aggregateId: 'r1', sequence: seq, occurredAt: new Date(0).toISOString(), payload }) as EventEnvelope;

describe('RecentIds', () => {
  it('reports repeats and forgets the oldest beyond its capacity', () => {
    const ids = new RecentIds(2);
    expect(ids.add('a')).toBe(true);
    expect(ids.add('a')).toBe(false);
    expect(ids.add('b')).toBe(true);
    expect(ids.add('c')).toBe(true); // evicts a
    expect(ids.size).toBe(2);
    expect(ids.add('a')).toBe(true);
    expect(ids.add('c')).toBe(false);
  });
});

describe('salesDeltaOf', () => {
  const ref = { reservationId: 'r1', userId: 1, scheduleId: 7 };
  it('folds a hold, a confirmation and a refund into held/sold/revenue', () => {
    const seats = [1, 2].map((seatId) => ({ seatId, section: 'A', row: '1', number: seatId, price: 5000 }));
    const steps = [
      ev('ReservationHeld', { ...ref, concertId: 1, seats, amount: 10_000, expiresAt: '' }),
      ev('ReservationConfirmed', { ...ref, amount: 10_000, seatIds: [1, 2] }),
      ev('ReservationRefunded', { ...ref, amount: 10_000, seatIds: [1, 2], reason: 'x' }),
    ].map((e) => salesDeltaOf(e)!);
    expect(steps.every((s) => s.scheduleId === 7)).toBe(true);
    const total = steps.reduce(
      (acc, { delta }) => Object.fromEntries(Object.entries(acc).map(([k, v]) => [k, v + delta[k as keyof typeof delta]])) as unknown as typeof delta,
      { reservationsStarted: 0, reservationsConfirmed: 0, seatsHeld: 0, seatsSold: 0, revenue: 0 },
    );
    expect(total).toEqual({ reservationsStarted: 1, reservationsConfirmed: 1, seatsHeld: 0, seatsSold: 0, revenue: 0 });
    expect(steps[1]!.delta).toMatchObject({ seatsHeld: -2, seatsSold: 2, revenue: 10_000 });
  });
  it('releases held seats on expiry, cancellation and failure; ignores other aggregates', () => {
    for (const type of ['ReservationExpired', 'ReservationCancelled', 'ReservationFailed'] as const) {
      expect(salesDeltaOf(ev(type, { ...ref, seatIds: [1, 2, 3], reason: 'x' }))!.delta).toMatchObject({ seatsHeld: -3, seatsSold: 0, revenue: 0 });
    }
    expect(salesDeltaOf(ev('PaymentCompleted', { reservationId: 'r1', userId: 1, amount: 1, paymentId: 1 }, 'payment'))).toBeUndefined();
    expect(conversionRate(0, 0)).toBe(0);
    expect(conversionRate(3, 1)).toBe(0.3333);
  });
});

describe('NotificationHub', () => {
  it("delivers an event to its own user's streams only and caps streams per user", () => {
    const hub = new NotificationHub(2);
    const got: string[] = [];
    const sub = (name: string) => ({ send: (e: EventEnvelope) => got.push(`${name}:${e.id}`), close: () => got.push(`${name}:closed`) });
    const off1 = hub.subscribe(1, sub('a1'))!;
    hub.subscribe(1, sub('a2'));
    expect(hub.subscribe(1, sub('a3'))).toBeUndefined();
    hub.subscribe(2, sub('b'));
    const e = ev('WalletCharged', { userId: 1, amount: 1, balance: 1, reference: 'x' }, 'wallet');
    expect(recipientOf(e)).toBe(1);
    expect(hub.publish(e)).toBe(2);
    expect(got).toEqual([`a1:${e.id}`, `a2:${e.id}`]);
    off1();
    expect(hub.streamCount()).toBe(2);
    hub.closeAll();
    expect(got.slice(-2).sort()).toEqual(['a2:closed', 'b:closed']);
  });
});
