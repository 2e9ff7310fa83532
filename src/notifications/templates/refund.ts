import { isPerformanceCancellation } from './performance-cancelled.js';
import { aboutPerformance, formatWon, greeting, renderBody } from './layout.js';
import { template } from './template.js';

/** A purchase refunded: by the buyer's cancel or an admin's (a performance cancellation has its own email). */
export const refund = template({
  name: 'refund',
  eventType: 'ReservationRefunded',
  applies: (e) => !isPerformanceCancellation(e.payload.reason),
  recipient: (e) => e.payload.userId,
  async render(e, { contact, ports }) {
    const { locale } = contact;
    const ko = locale === 'ko';
    const { title, facts } = await aboutPerformance(ports, e.payload.scheduleId, locale);
    return {
      subject: ko ? `[예매 취소] ${title} 환불 완료` : `Booking cancelled and refunded: ${title}`,
      ...renderBody(locale, {
        greeting: greeting(locale, contact.name),
        paragraphs: [
          ko ? `예매가 취소되어 ${formatWon(locale, e.payload.amount)}이 환불되었습니다. 이 예매의 입장권은 더 이상 사용할 수 없습니다.` : `Your booking was cancelled and ${formatWon(locale, e.payload.amount)} refunded. Its tickets no longer admit.`,
        ],
        facts: [
          ...facts,
          [ko ? '좌석 수' : 'Seats', String(e.payload.seatIds.length)],
          [ko ? '예매 번호' : 'Booking', e.payload.reservationId],
        ],
      }),
    };
  },
});
