import { describe, expect, it } from 'vitest';
import { canTransition, checkSeatSelection, decideCancellation, payable, saleWindow } from '../../src/booking/domain.js';
import { foldReservation } from '../../src/booking/reservation-fold.js';
import { reservationIdFor } from '../../src/booking/ids.js';
import { generateSeatMap } from '../../src/catalog/seat-map.js';

describe('reservation rules', () => {
  it('allows only the lifecycle transitions of SPEC.md', () => {
    expect(canTransition('HELD', 'CONFIRMED')).toBe(true);
    expect(canTransition('HELD', 'EXPIRED')).toBe(true);
    expect(canTransition('CONFIRMED', 'REFUNDED')).toBe(true);
    expect(canTransition('CONFIRMED', 'EXPIRED')).toBe(false);
    expect(canTransition('EXPIRED', 'CONFIRMED')).toBe(false);
    expect(canTransition('REFUNDED', 'CONFIRMED')).toBe(false);
  });

  it('decides cancellation by status and the cutoff', () => {
    const startsAt = new Date('2030-01-10T10:00:00Z');
    expect(decideCancellation('HELD', startsAt, new Date('2030-01-10T09:00:00Z'), 24)).toEqual({ action: 'RELEASE' });
    expect(decideCancellation('CONFIRMED', startsAt, new Date('2030-01-09T09:59:59Z'), 24)).toEqual({ action: 'REFUND' });
    expect(decideCancellation('CONFIRMED', startsAt, new Date('2030-01-09T10:00:00Z'), 24)).toEqual({ action: 'REFUSE', code: 'CANCELLATION_CLOSED' });
    expect(decideCancellation('CONFIRMED', startsAt, new Date('2030-01-10T09:00:00Z'), 24, true)).toEqual({ action: 'REFUND' });
    expect(decideCancellation('EXPIRED', startsAt, new Date('2030-01-01T00:00:00Z'), 24)).toEqual({ action: 'REFUSE', code: 'NOT_CANCELLABLE' });
  });

  it('checks seat selections', () => {
    expect(checkSeatSelection([], 4)).toMatch(/at least one/);
    expect(checkSeatSelection([1, 2, 3, 4, 5], 4)).toMatch(/at most 4/);
    expect(checkSeatSelection([1, 1], 4)).toMatch(/twice/);
    expect(checkSeatSelection([1, 2], 4)).toBeUndefined();
  });

  it('knows the sale window', () => {
    const s = { saleOpensAt: new Date(1000), saleClosesAt: new Date(2000), status: 'SCHEDULED' };
    expect(saleWindow(s, new Date(999))).toBe('NOT_OPEN');
    expect(saleWindow(s, new Date(1000))).toBe('OPEN');
    expect(saleWindow(s, new Date(2000))).toBe('CLOSED');
    expect(saleWindow({ ...s, status: 'CANCELLED' }, new Date(1500))).toBe('CANCELLED');
    expect(saleWindow({ ...s, status: 'CANCELLING' }, new Date(1500))).toBe('CANCELLED');
    expect(saleWindow({ ...s, status: 'PAUSED' }, new Date(1500))).toBe('PAUSED');
  });

  it('folds events into the reservation state, in sequence order', () => {
    const held = { type: 'ReservationHeld', sequence: 1, payload: { reservationId: 'r1', userId: 7, scheduleId: 3, amount: 20, seats: [{ seatId: 5 }], expiresAt: 'x' } };
    const events = [
      { type: 'ReservationRefunded', sequence: 4, payload: {} },
      { type: 'PaymentCompleted', sequence: 2, payload: {} },
      held,
      { type: 'ReservationConfirmed', sequence: 3, payload: {} },
    ];
    expect(foldReservation(events)).toMatchObject({ reservationId: 'r1', status: 'REFUNDED', userId: 7, amount: 20, seatIds: [5] });
    expect(() => foldReservation([held, { type: 'ReservationExpired', sequence: 2, payload: {} }, { type: 'ReservationConfirmed', sequence: 3, payload: {} }])).toThrow(
      /cannot follow EXPIRED/,
    );
  });

  it('derives the reservation id from the Idempotency-Key, per user', () => {
    expect(reservationIdFor(1, 'key-0001')).toBe(reservationIdFor(1, 'key-0001'));
    expect(reservationIdFor(1, 'key-0001')).not.toBe(reservationIdFor(2, 'key-0001'));
    expect(reservationIdFor(1, undefined)).not.toBe(reservationIdFor(1, undefined));
    expect(reservationIdFor(1, 'k')).toMatch(/^[a-f0-9]{24}$/);
  });
});

describe('seat-map generation', () => {
  it('builds sections x rows x seats with tier prices', () => {
    const seats = generateSeatMap([
      { name: 'VIP', tier: 'VIP', price: 200, rows: 2, seatsPerRow: 3 },
      { name: 'R', tier: 'R', price: 100, rows: 28, seatsPerRow: 1 },
    ]);
    expect(seats).toHaveLength(34);
    expect(seats[0]).toEqual({ section: 'VIP', row: 'A', number: 1, tier: 'VIP', price: 200 });
    expect(seats.at(-1)).toEqual({ section: 'R', row: 'AB', number: 1, tier: 'R', price: 100 });
    expect(() => generateSeatMap([{ name: 'A', tier: 'R', price: 1, rows: 1, seatsPerRow: 1 }, { name: 'A', tier: 'R', price: 1, rows: 1, seatsPerRow: 1 }])).toThrow(/duplicate/);
  });
});

describe('payable: the one rule for "may this reservation be paid now"', () => {
  const expiresAt = new Date('2030-01-01T00:10:00Z');
  it('a HELD reservation before its expiry is payable', () => {
    expect(payable('HELD', expiresAt, new Date('2030-01-01T00:09:59.999Z'))).toEqual({ ok: true });
  });
  it('at or after expiresAt the hold has expired, even if the workflow timer has not fired yet', () => {
    expect(payable('HELD', expiresAt, expiresAt)).toMatchObject({ ok: false, code: 'RESERVATION_EXPIRED' });
    expect(payable('HELD', expiresAt, new Date('2030-01-01T00:11:00Z'))).toMatchObject({ ok: false, code: 'RESERVATION_EXPIRED' });
  });
  it('any other status is not payable, whatever the clock says', () => {
    for (const status of ['CONFIRMED', 'EXPIRED', 'CANCELLED', 'FAILED', 'REFUNDED'] as const) {
      expect(payable(status, expiresAt, new Date('2030-01-01T00:00:00Z'))).toEqual({ ok: false, code: 'RESERVATION_NOT_PAYABLE', detail: `reservation is ${status}` });
    }
  });
});
