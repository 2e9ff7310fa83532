import { describe, expect, it } from 'vitest';
import { changeProblem, datesProblem, switchSale } from '../../src/catalog/schedule-rules.js';

describe('schedule rules', () => {
  const now = new Date('2030-01-10T00:00:00Z');
  const d = (iso: string) => new Date(iso);
  const ok = { startsAt: d('2030-02-01T19:00:00Z'), saleOpensAt: d('2030-01-01T00:00:00Z'), saleClosesAt: d('2030-02-01T17:00:00Z') };

  it('refuses past or inconsistent dates; a sale already open is fine', () => {
    expect(datesProblem(ok, now)).toBeUndefined();
    expect(datesProblem({ ...ok, startsAt: d('2020-05-01T19:00:00Z'), saleClosesAt: d('2020-05-01T18:00:00Z') }, now)).toBe('startsAt must be in the future');
    expect(datesProblem({ ...ok, saleClosesAt: d('2030-01-05T00:00:00Z') }, now)).toBe('saleClosesAt must be in the future');
    expect(datesProblem({ ...ok, saleOpensAt: d('2030-02-01T18:00:00Z') }, now)).toBe('saleOpensAt must be before saleClosesAt');
    expect(datesProblem({ ...ok, saleClosesAt: d('2030-02-01T20:00:00Z') }, now)).toBe('saleClosesAt must not be after startsAt');
  });

  it('judges an edit by the dates it leaves, and refuses any edit of a cancelled performance', () => {
    const current = { ...ok, status: 'SCHEDULED' };
    expect(changeProblem(current, { maxTicketsPerUser: 6 }, now)).toBeUndefined();
    expect(changeProblem(current, { saleClosesAt: d('2030-01-20T00:00:00Z') }, now)).toBeUndefined();
    expect(changeProblem(current, { saleOpensAt: d('2030-02-01T18:00:00Z') }, now)?.code).toBe('VALIDATION_FAILED');
    expect(changeProblem({ ...current, status: 'CANCELLING' }, { maxTicketsPerUser: 6 }, now)?.code).toBe('PERFORMANCE_CANCELLED');
  });

  it('pauses and resumes, idempotently, but never a cancelled performance', () => {
    expect(switchSale('SCHEDULED', 'pause')).toEqual({ ok: true, status: 'PAUSED', changed: true });
    expect(switchSale('PAUSED', 'pause')).toEqual({ ok: true, status: 'PAUSED', changed: false });
    expect(switchSale('PAUSED', 'resume')).toEqual({ ok: true, status: 'SCHEDULED', changed: true });
    expect(switchSale('CANCELLED', 'resume').ok).toBe(false);
  });
});
