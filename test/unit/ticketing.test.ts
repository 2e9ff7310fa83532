import { describe, expect, it } from 'vitest';
import { decideEntry, ticketStatus, voidReason } from '../../src/ticketing/domain.js';

describe('entry decision', () => {
  const at = new Date('2026-12-01T18:00:00Z');
  it('admits an unused ticket of a confirmed purchase, once', () => {
    expect(decideEntry({ reservationStatus: 'CONFIRMED', scheduleStatus: 'SCHEDULED', admittedAt: null })).toEqual({ result: 'ADMITTED' });
    expect(decideEntry({ reservationStatus: 'CONFIRMED', scheduleStatus: 'SCHEDULED', admittedAt: at })).toEqual({ result: 'ALREADY_USED', firstScanAt: at });
  });
  it('refuses void tickets first, whatever their use', () => {
    expect(decideEntry({ reservationStatus: 'REFUNDED', scheduleStatus: 'SCHEDULED', admittedAt: at })).toEqual({ result: 'TICKET_REFUNDED' });
    expect(decideEntry({ reservationStatus: 'CONFIRMED', scheduleStatus: 'CANCELLED', admittedAt: null })).toEqual({ result: 'TICKET_CANCELLED' });
    expect(decideEntry({ reservationStatus: 'REFUNDED', scheduleStatus: 'CANCELLED', admittedAt: null })).toEqual({ result: 'TICKET_CANCELLED' });
    expect(voidReason({ reservationStatus: 'FAILED', scheduleStatus: 'SCHEDULED' })).toBe('TICKET_CANCELLED');
  });
  it('shows VALID, USED or VOID', () => {
    expect(ticketStatus({ reservationStatus: 'CONFIRMED', scheduleStatus: 'SCHEDULED', admittedAt: null })).toBe('VALID');
    expect(ticketStatus({ reservationStatus: 'CONFIRMED', scheduleStatus: 'SCHEDULED', admittedAt: at })).toBe('USED');
    expect(ticketStatus({ reservationStatus: 'REFUNDED', scheduleStatus: 'SCHEDULED', admittedAt: null })).toBe('VOID');
  });
});
