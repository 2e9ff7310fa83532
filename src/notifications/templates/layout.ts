import type { Locale } from '../../identity/index.js';
import type { NotificationPorts } from '../ports.js';

/** The shared frame of every email: a greeting, paragraphs, and the same footer, as text and HTML. */
export interface EmailBody {
  greeting: string;
  paragraphs: string[];
  /** Label/value lines (performance, seats, deadline), shown as a table in HTML. */
  facts?: Array<[string, string]>;
}

const footer: Record<Locale, string> = {
  ko: '이 메일은 발신 전용입니다. 예매 내역은 웹사이트의 내 예매에서 확인하세요.',
  en: 'This is an automated message. See your bookings on the website.',
};

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export function renderBody(locale: Locale, body: EmailBody): { text: string; html: string } {
  const facts = body.facts ?? [];
  const text = [body.greeting, '', ...body.paragraphs.flatMap((p) => [p, '']), ...facts.map(([k, v]) => `${k}: ${v}`), ...(facts.length ? [''] : []), '--', footer[locale]].join('\n');
  const rows = facts.map(([k, v]) => `<tr><th align="left" style="padding:2px 12px 2px 0">${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join('');
  const html =
    `<!doctype html><html lang="${locale}"><head><meta charset="utf-8"></head><body style="font-family:sans-serif">` +
    `<p>${escapeHtml(body.greeting)}</p>${body.paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`).join('')}` +
    (rows ? `<table>${rows}</table>` : '') +
    `<hr><p style="color:#666;font-size:12px">${escapeHtml(footer[locale])}</p></body></html>`;
  return { text, html };
}

/** A date and time as the buyer reads it: Korean time (the venues are in Korea), in their language. */
export function formatWhen(locale: Locale, when: Date): string {
  const fmt = new Intl.DateTimeFormat(locale === 'ko' ? 'ko-KR' : 'en-GB', { dateStyle: 'full', timeStyle: 'short', timeZone: 'Asia/Seoul' });
  return `${fmt.format(when)} (KST)`;
}

export function formatWon(locale: Locale, amount: number): string {
  return locale === 'ko' ? `${amount.toLocaleString('ko-KR')}원` : `KRW ${amount.toLocaleString('en-GB')}`;
}

export const greeting = (locale: Locale, name: string) => (locale === 'ko' ? `${name}님, 안녕하세요.` : `Hello ${name},`);

export const seatLabel = (locale: Locale, s: { section: string; tier: string; row: string; number: number }) =>
  locale === 'ko' ? `${s.tier}석 ${s.section}구역 ${s.row}열 ${s.number}번` : `${s.tier} tier, section ${s.section}, row ${s.row}, seat ${s.number}`;

/** The performance an email is about: its title (its id if it is gone) and the facts lines naming it and its date. */
export async function aboutPerformance(ports: NotificationPorts, scheduleId: number, locale: Locale) {
  const performance = await ports.performances.performanceOf(scheduleId);
  const title = performance?.title ?? `#${scheduleId}`;
  const ko = locale === 'ko';
  const facts: Array<[string, string]> = [[ko ? '공연' : 'Performance', title]];
  if (performance) facts.push([ko ? '일시' : 'Date', formatWhen(locale, performance.startsAt)]);
  return { performance, title, facts };
}
