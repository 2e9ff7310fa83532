import { ticketPdf } from '../ticket-pdf.js';
import { formatWhen, greeting, renderBody, seatLabel } from './layout.js';
import { template } from './template.js';

/**
 * Sent once the tickets exist (TicketsIssued commits with the confirmation): the purchase, and one
 * PDF holding every ticket of it. The email itself carries no code; the PDF carries the tickets.
 */
export const purchaseConfirmation = template({
  name: 'purchase-confirmation',
  eventType: 'TicketsIssued',
  recipient: (e) => e.payload.userId,
  async render(e, { contact, ports }) {
    const { locale } = contact;
    const [performance, tickets] = await Promise.all([
      ports.performances.performanceOf(e.payload.scheduleId),
      ports.tickets.ticketsOf({ reservationId: e.payload.reservationId, scheduleId: e.payload.scheduleId }),
    ]);
    if (!performance) throw new Error(`schedule ${e.payload.scheduleId} not found`);
    const pdf = await ticketPdf({ locale, reservationId: e.payload.reservationId, performance, tickets });
    const seats = tickets.map((t) => seatLabel(locale, t.seat)).join(', ');
    const ko = locale === 'ko';
    const body = renderBody(locale, {
      greeting: greeting(locale, contact.name),
      paragraphs: [
        ko ? `예매가 완료되었습니다. 입장권 ${tickets.length}매를 첨부한 PDF로 보내 드립니다.` : `Your booking is confirmed. Your ${tickets.length} ticket(s) are in the attached PDF.`,
        ko ? '입장 시 PDF의 QR 코드나 웹사이트의 입장권을 보여 주세요.' : 'Show the QR code in the PDF, or your ticket on the website, at the door.',
      ],
      facts: [
        [ko ? '공연' : 'Performance', `${performance.title} (${performance.artist})`],
        [ko ? '일시' : 'Date', formatWhen(locale, performance.startsAt)],
        [ko ? '장소' : 'Venue', performance.venue],
        [ko ? '좌석' : 'Seats', seats],
        [ko ? '예매 번호' : 'Booking', e.payload.reservationId],
      ],
    });
    return {
      subject: ko ? `[예매 완료] ${performance.title} 입장권 ${tickets.length}매` : `Booking confirmed: ${performance.title}, ${tickets.length} ticket(s)`,
      ...body,
      attachments: [{ filename: `tickets-${e.payload.reservationId}.pdf`, content: pdf, contentType: 'application/pdf' }],
    };
  },
});

