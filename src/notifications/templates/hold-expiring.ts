import { aboutPerformance, formatWhen, greeting, renderBody } from './layout.js';
import { template } from './template.js';

/**
 * "Your hold expires in 2 minutes" (HOLD_REMINDER_BEFORE_SECONDS): scheduled when the hold is made,
 * sent by the reminder sweeper when due, and only if the reservation is still HELD then.
 */
export const holdExpiring = template({
  name: 'hold-expiring',
  eventType: 'ReservationHeld',
  recipient: (e) => e.payload.userId,
  dueAt: (e, leadSeconds) => new Date(Date.parse(e.payload.expiresAt) - leadSeconds * 1000),
  stillRelevant: async (e, ports) => (await ports.reservations.statusOf(e.payload.reservationId)) === 'HELD',
  async render(e, { contact, ports, reminderLeadSeconds }) {
    const { locale } = contact;
    const ko = locale === 'ko';
    const { title } = await aboutPerformance(ports, e.payload.scheduleId, locale);
    const minutes = Math.max(1, Math.round(reminderLeadSeconds / 60));
    return {
      subject: ko ? `[결제 대기] ${title} 좌석 선점이 ${minutes}분 후 만료됩니다` : `Your hold on ${title} expires in ${minutes} minute(s)`,
      ...renderBody(locale, {
        greeting: greeting(locale, contact.name),
        paragraphs: [
          ko ? `선점하신 좌석 ${e.payload.seats.length}석의 결제 시간이 ${minutes}분 남았습니다. 시간이 지나면 좌석이 해제됩니다.` : `You have ${minutes} minute(s) left to pay for the ${e.payload.seats.length} seat(s) you are holding; after that they are released.`,
        ],
        facts: [
          [ko ? '공연' : 'Performance', title],
          [ko ? '만료 시각' : 'Expires at', formatWhen(locale, new Date(e.payload.expiresAt))],
          [ko ? '예매 번호' : 'Booking', e.payload.reservationId],
        ],
      }),
    };
  },
});
