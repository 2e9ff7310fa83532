import { describe, expect, it } from 'vitest';
import { eventCatalog } from '../../src/events/catalog.js';
import { localeFromAcceptLanguage } from '../../src/identity/locale.js';
import { EMAIL_TEMPLATES } from '../../src/notifications/index.js';
import { isPerformanceCancellation } from '../../src/notifications/templates/performance-cancelled.js';

describe('the language of a new account', () => {
  it.each([
    [undefined, 'ko'],
    ['', 'ko'],
    ['en', 'en'],
    ['en-US,en;q=0.9', 'en'],
    ['fr-FR,fr;q=0.9', 'ko'],
    ['fr-FR, en;q=0.5', 'en'],
    ['en;q=0.4, ko;q=0.8', 'ko'],
    ['ko-KR,ko;q=0.9,en-US;q=0.8', 'ko'],
    ['en;q=0, ko;q=0.1', 'ko'],
    ['*', 'ko'],
    ['EN-gb', 'en'],
    ['en;q=abc', 'ko'],
  ])('Accept-Language %j -> %s', (header, locale) => {
    expect(localeFromAcceptLanguage(header)).toBe(locale);
  });
});

describe('email templates', () => {
  it('each has a unique name (the send log keys by it) and an event type of the catalog', () => {
    const names = EMAIL_TEMPLATES.map((t) => t.name);
    expect(new Set(names).size).toBe(names.length);
    for (const t of EMAIL_TEMPLATES) expect(Object.keys(eventCatalog)).toContain(t.eventType);
  });

  it('a refund gets exactly one of the refund and performance-cancellation emails, chosen from the event alone', () => {
    const refunds = EMAIL_TEMPLATES.filter((t) => t.eventType === 'ReservationRefunded');
    for (const reason of ['performance cancelled: artist ill', 'buyer cancelled', 'admin force-cancel']) {
      const event = { payload: { reason } } as never;
      expect(refunds.filter((t) => t.applies?.(event) ?? true)).toHaveLength(1);
    }
    expect(isPerformanceCancellation('performance cancelled: venue flooded')).toBe(true);
    expect(isPerformanceCancellation('confirmation failed')).toBe(false);
  });
});
