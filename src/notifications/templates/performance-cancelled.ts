import { aboutPerformance, formatWon, greeting, renderBody } from './layout.js';
import { template } from './template.js';

/**
 * The schedule-cancellation workflow refunds each purchase with the reason `performance cancelled: ...`
 * (workflows/catalog/schedule-cancellation.ts): the buyer gets this email instead of a plain refund's.
 * Chosen from the event alone, so a redelivered event picks the same template (and is found in the log).
 */
export const isPerformanceCancellation = (reason: string) => reason.startsWith('performance cancelled');

export const performanceCancelled = template({
  name: 'performance-cancelled',
  eventType: 'ReservationRefunded',
  applies: (e) => isPerformanceCancellation(e.payload.reason),
  recipient: (e) => e.payload.userId,
  async render(e, { contact, ports }) {
    const { locale } = contact;
    const ko = locale === 'ko';
    const { performance, title, facts } = await aboutPerformance(ports, e.payload.scheduleId, locale);
    return {
      subject: ko ? `[공연 취소] ${title} 공연이 취소되었습니다` : `Performance cancelled: ${title}`,
      ...renderBody(locale, {
        greeting: greeting(locale, contact.name),
        paragraphs: [
          ko ? '죄송합니다. 예매하신 공연이 취소되었습니다.' : 'We are sorry: the performance you booked has been cancelled.',
          ko ? `결제하신 ${formatWon(locale, e.payload.amount)}은 전액 환불되었습니다.` : `Your payment of ${formatWon(locale, e.payload.amount)} has been refunded in full.`,
        ],
        facts: [
          ...facts,
          ...(performance ? [[ko ? '장소' : 'Venue', performance.venue] as [string, string]] : []),
          [ko ? '예매 번호' : 'Booking', e.payload.reservationId],
        ],
      }),
    };
  },
});
