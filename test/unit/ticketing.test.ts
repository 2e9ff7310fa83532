import { describe, expect, it } from 'vitest';
import { newSerial, TicketCodes } from '../../src/ticketing/codes.js';
import { decideEntry, ticketStatus, voidReason } from '../../src/ticketing/domain.js';

describe('ticket codes', () => {
  const codes = new TicketCodes('s'.repeat(40));
  const parts = { scheduleId: 12, seatId: 3456, serial: newSerial() };

  it('signs a code that verifies to its parts, in the documented format', () => {
    const code = codes.sign(parts);
    expect(code).toMatch(/^CT1\.12\.3456\.[0-9a-f]{32}\.[A-Za-z0-9_-]{22}$/);
    expect(codes.verify(code)).toEqual(parts);
    expect(newSerial()).not.toBe(newSerial());
  });

  it('refuses any change to any part, another key, and malformed input', () => {
    const code = codes.sign(parts);
    const [v, schedule, seat, serial, sig] = code.split('.') as [string, string, string, string, string];
    const other = (s: string) => (s[0] === '0' ? '1' : '0') + s.slice(1);
    for (const forged of [
      [v, '13', seat, serial, sig],
      [v, schedule, '3457', serial, sig],
      [v, schedule, seat, other(serial), sig],
      [v, schedule, seat, serial, (sig[0] === 'A' ? 'B' : 'A') + sig.slice(1)],
      ['CT2', schedule, seat, serial, sig],
    ]) {
      expect(codes.verify(forged.join('.'))).toBeUndefined();
    }
    expect(new TicketCodes('x'.repeat(40)).verify(code)).toBeUndefined();
    for (const bad of ['', 'CT1', `${code}.`, ` ${code}`, code.toUpperCase(), 'CT1.0.1.00000000000000000000000000000000.AAAAAAAAAAAAAAAAAAAAAA', 'CT1.01.1.x.y']) {
      expect(codes.verify(bad)).toBeUndefined();
    }
  });

  it('keeps verifying codes of the previous secret after a rotation', () => {
    const old = new TicketCodes('o'.repeat(40)).sign(parts);
    const rotated = new TicketCodes('n'.repeat(40), 'o'.repeat(40));
    expect(rotated.verify(old)).toEqual(parts);
    expect(rotated.sign(parts)).not.toBe(old);
    expect(new TicketCodes('n'.repeat(40)).verify(old)).toBeUndefined();
  });
});

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
