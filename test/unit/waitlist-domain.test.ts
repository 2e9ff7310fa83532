import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { afterOfferClosed, afterOfferPaid, pickSeats, wants, type ReleasedSeat } from '../../src/waitlist/domain.js';

const seat = (seatId: number, section = 'A', tier = 'R'): ReleasedSeat => ({ seatId, section, tier, row: '1', number: seatId, price: 10_000 });

describe('waiting-list rules', () => {
  it('an entry wants seats of its tier and section; no filter wants any seat', () => {
    expect(wants({ tier: null, section: null }, seat(1))).toBe(true);
    expect(wants({ tier: 'R', section: null }, seat(1, 'B', 'R'))).toBe(true);
    expect(wants({ tier: 'S', section: null }, seat(1))).toBe(false);
    expect(wants({ tier: 'R', section: 'B' }, seat(1, 'A', 'R'))).toBe(false);
  });

  it('takes up to the quantity and the ticket room, wanted seats in seat order', () => {
    const released = [seat(3), seat(1, 'B', 'S'), seat(2)];
    expect(pickSeats({ tier: null, section: null, quantity: 2 }, released, 4).map((s) => s.seatId)).toEqual([1, 2]);
    expect(pickSeats({ tier: 'R', section: null, quantity: 4 }, released, 4).map((s) => s.seatId)).toEqual([2, 3]);
    expect(pickSeats({ tier: 'R', section: null, quantity: 4 }, released, 1).map((s) => s.seatId)).toEqual([2]);
    expect(pickSeats({ tier: null, section: null, quantity: 2 }, released, 0)).toEqual([]);
    expect(pickSeats({ tier: 'VIP', section: null, quantity: 2 }, released, 4)).toEqual([]);
  });

  it('an offer that lapses or is declined ends the entry; a failed one waits again; a paid one serves it or lowers the wish', () => {
    expect(afterOfferClosed('EXPIRED')?.status).toBe('EXPIRED');
    expect(afterOfferClosed('CANCELLED')?.status).toBe('DECLINED');
    expect(afterOfferClosed('FAILED')?.status).toBe('WAITING');
    expect(afterOfferClosed('REFUNDED')).toBeUndefined();
    expect(afterOfferPaid(2, 2)).toEqual({ status: 'SERVED', quantity: 0 });
    expect(afterOfferPaid(3, 1)).toEqual({ status: 'WAITING', quantity: 2 });
  });

  it('an offer waits 10 minutes for payment unless WAITLIST_OFFER_TTL_SECONDS says otherwise', () => {
    expect(loadConfig({}).WAITLIST_OFFER_TTL_SECONDS).toBe(600);
    expect(loadConfig({ WAITLIST_OFFER_TTL_SECONDS: '90' }).WAITLIST_OFFER_TTL_SECONDS).toBe(90);
    expect(() => loadConfig({ WAITLIST_OFFER_TTL_SECONDS: '0' })).toThrow(/WAITLIST_OFFER_TTL_SECONDS/);
  });
});
