import { describe, expect, it } from 'vitest';
import { newSerial } from '../../src/ticketing/codes.js';
import { ScheduleKeys } from '../../src/ticketing/codes-keys.js';
import { CODE_STEP_SECONDS, gatesOpenAt, stepAt, TicketCodeSigner } from '../../src/ticketing/codes-signed.js';

/** Rotating and static ticket codes (docs/tickets.md "Rotating codes"): pure, on a fixed clock. */
describe('ticket codes', () => {
  const signer = new TicketCodeSigner(new ScheduleKeys('s'.repeat(40)));
  const ticket = { id: 9001, scheduleId: 12, serial: newSerial() };
  const t0 = new Date('2026-12-24T18:00:07Z');
  const later = (steps: number) => new Date(t0.getTime() + steps * CODE_STEP_SECONDS * 1000);

  it('a rotating code has the documented form, changes every 15 s step and reads back to its parts', () => {
    const { code, step, expiresAt } = signer.rotating(ticket, t0);
    expect(code).toMatch(/^CR1\.12\.9001\.[A-Za-z0-9_-]{22}\.\d+\.[A-Za-z0-9_-]{86}$/);
    expect(code.length).toBeLessThanOrEqual(150); // a version 8 QR at error correction M holds 152 bytes
    expect(step).toBe(Math.floor(t0.getTime() / 15_000));
    expect(expiresAt.getTime()).toBe((step + 1) * 15_000);
    expect(signer.rotating(ticket, later(1)).code).not.toBe(code);
    expect(signer.verify(code, { at: t0 })).toEqual({ ok: true, parts: { kind: 'ROTATING', scheduleId: 12, ticketId: 9001, serial: ticket.serial, step } });
  });

  it('admits in its step and one step of skew either way; two steps old is CODE_EXPIRED, two ahead CODE_NOT_YET_VALID', () => {
    const { code } = signer.rotating(ticket, t0);
    expect(signer.verify(code, { at: later(1) }).ok).toBe(true);
    expect(signer.verify(code, { at: later(-1) }).ok).toBe(true);
    expect(signer.verify(code, { at: new Date((stepAt(t0) + 2) * 15_000 - 1) }).ok).toBe(true); // last ms of the next step
    expect(signer.verify(code, { at: new Date((stepAt(t0) + 2) * 15_000) })).toMatchObject({ ok: false, reason: 'CODE_EXPIRED' });
    expect(signer.verify(code, { at: later(2) })).toMatchObject({ ok: false, reason: 'CODE_EXPIRED', parts: { ticketId: 9001 } });
    expect(signer.verify(code, { at: later(-2) })).toMatchObject({ ok: false, reason: 'CODE_NOT_YET_VALID' });
  });

  it('refuses a forged signature, any altered part, another performance\'s or seed\'s key, and malformed input', () => {
    const { code } = signer.rotating(ticket, t0);
    const [v, schedule, id, serial, step, sig] = code.split('.') as [string, string, string, string, string, string];
    const flip = (s: string) => (s[0] === 'A' ? 'B' : 'A') + s.slice(1);
    for (const forged of [
      [v, '13', id, serial, step, sig],
      [v, schedule, '9002', serial, step, sig],
      [v, schedule, id, flip(serial), step, sig],
      [v, schedule, id, serial, String(Number(step) + 1), sig],
      [v, schedule, id, serial, step, flip(sig)],
      ['CS1', schedule, id, serial, sig],
    ]) {
      expect(signer.verify(forged.join('.'), { at: t0 })).toEqual({ ok: false, reason: 'CODE_FORGED' });
    }
    expect(new TicketCodeSigner(new ScheduleKeys('x'.repeat(40))).verify(code, { at: t0 })).toEqual({ ok: false, reason: 'CODE_FORGED' });
    for (const bad of ['', 'CR1', `${code}.`, ` ${code}`, code.toUpperCase(), 'CT1.12.3456.9f1c0e5a7b2d4c3e8a6f0b1d2c3e4f5a.Q2xK8m1v3XQnN0b2T6y9Rw']) {
      expect(signer.verify(bad, { at: t0 })).toEqual({ ok: false, reason: 'CODE_FORGED' });
    }
  });

  it('a reissued serial makes different codes (the server refuses the old serial: CODE_REISSUED)', () => {
    const reissued = { ...ticket, serial: newSerial() };
    const old = signer.verify(signer.rotating(ticket, t0).code, { at: t0 });
    const now = signer.verify(signer.rotating(reissued, t0).code, { at: t0 });
    expect(old.ok && now.ok && old.parts.serial !== now.parts.serial).toBe(true);
    expect(now.ok && now.parts.serial).toBe(reissued.serial);
  });

  it('the PDF\'s static code does not rotate and admits only from the gates-open time', () => {
    const code = signer.static(ticket);
    expect(code).toMatch(/^CS1\.12\.9001\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{86}$/);
    expect(signer.static(ticket)).toBe(code);
    const startsAt = new Date('2026-12-24T19:00:00Z');
    const opens = gatesOpenAt(startsAt, 120);
    expect(opens.toISOString()).toBe('2026-12-24T17:00:00.000Z');
    expect(signer.verify(code, { at: new Date(opens.getTime() - 1), gatesOpenAt: opens })).toMatchObject({ ok: false, reason: 'GATES_NOT_OPEN' });
    expect(signer.verify(code, { at: opens, gatesOpenAt: opens })).toEqual({ ok: true, parts: { kind: 'STATIC', scheduleId: 12, ticketId: 9001, serial: ticket.serial } });
    expect(signer.verify(code, { at: later(10_000), gatesOpenAt: opens }).ok).toBe(true); // no expiry: a transfer or refund revokes it
  });

  it('keys are per performance, deterministic from the seed, and the previous seed still verifies after a rotation', () => {
    const keys = new ScheduleKeys('s'.repeat(40));
    expect(keys.current(12).publicKeyRaw).toBe(new ScheduleKeys('s'.repeat(40)).current(12).publicKeyRaw);
    expect(keys.current(12).publicKeyRaw).not.toBe(keys.current(13).publicKeyRaw);
    expect(Buffer.from(keys.current(12).publicKeyRaw, 'base64url')).toHaveLength(32);
    const old = signer.static(ticket);
    const rotated = new TicketCodeSigner(new ScheduleKeys('n'.repeat(40), 's'.repeat(40)));
    expect(rotated.verify(old, { at: t0 }).ok).toBe(true);
    expect(rotated.static(ticket)).not.toBe(old);
    expect(rotated.publicKeys(12)).toEqual([new ScheduleKeys('n'.repeat(40)).current(12).publicKeyRaw, keys.current(12).publicKeyRaw]);
    expect(new TicketCodeSigner(new ScheduleKeys('n'.repeat(40))).verify(old, { at: t0 })).toEqual({ ok: false, reason: 'CODE_FORGED' });
  });
});
