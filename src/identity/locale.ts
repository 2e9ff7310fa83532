/** The languages the platform writes to its users in (emails; docs/tickets.md "Email"). */
export const LOCALES = ['ko', 'en'] as const;
export type Locale = (typeof LOCALES)[number];
export const DEFAULT_LOCALE: Locale = 'ko';

/**
 * The best supported language of an Accept-Language header (RFC 9110 12.5.4: by q-value, then order);
 * Korean when none is supported or the header is absent.
 */
export function localeFromAcceptLanguage(header: string | undefined | null): Locale {
  if (!header) return DEFAULT_LOCALE;
  const ranked = header
    .split(',')
    .map((part, order) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
      return { lang: tag.trim().toLowerCase().split('-')[0] ?? '', q: q ? Number(q.slice(2)) : 1, order };
    })
    .filter((r) => r.lang && Number.isFinite(r.q) && r.q > 0)
    .sort((a, b) => b.q - a.q || a.order - b.order);
  return (ranked.map((r) => r.lang).find((l): l is Locale => (LOCALES as readonly string[]).includes(l)) ?? DEFAULT_LOCALE);
}
