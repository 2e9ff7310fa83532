import { aboutPerformance, formatWhen, greeting, renderBody } from './layout.js';
import { template } from './template.js';

/** Seats held for a waiting-list entry: buy them before the deadline or they go to the next in line. */
export const waitlistOffer = template({
  name: 'waitlist-offer',
  eventType: 'WaitlistOfferMade',
  recipient: (e) => e.payload.userId,
  async render(e, { contact, ports }) {
    const { locale } = contact;
    const ko = locale === 'ko';
    const { title, facts } = await aboutPerformance(ports, e.payload.scheduleId, locale);
    const deadline = formatWhen(locale, new Date(e.payload.expiresAt));
    return {
      subject: ko ? `[대기 순번 도착] ${title} 좌석을 ${deadline}까지 결제하세요` : `Seats for you: ${title}, pay by ${deadline}`,
      ...renderBody(locale, {
        greeting: greeting(locale, contact.name),
        paragraphs: [
          ko ? `대기하신 공연의 좌석 ${e.payload.seatIds.length}석을 잡아 두었습니다. 마감 시각까지 결제하지 않으면 다음 대기자에게 넘어갑니다.` : `We are holding ${e.payload.seatIds.length} seat(s) you waited for. Pay before the deadline or they go to the next person in line.`,
        ],
        facts: [
          ...facts,
          [ko ? '결제 마감' : 'Pay by', deadline],
          [ko ? '예매 번호' : 'Booking', e.payload.reservationId],
        ],
      }),
    };
  },
});
