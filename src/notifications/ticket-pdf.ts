import { existsSync } from 'node:fs';
import PDFDocument from 'pdfkit';
import QRCode from 'qrcode';
import type { Locale } from '../identity/index.js';
import { formatWhen, seatLabel } from './templates/layout.js';

/**
 * Noto Sans CJK KR from Debian's fonts-noto-cjk (scripts/stack.sh installs it): a TrueType/OpenType
 * collection, of which pdfkit embeds the Korean face, subset to the glyphs used (a ticket PDF is tens
 * of kB, not the font's 20 MB) and with a ToUnicode map, so its text can be searched and extracted.
 */
export const CJK_FONT = { path: process.env.PDF_CJK_FONT_PATH ?? '/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc', face: 'NotoSansCJKkr-Regular' };

export interface TicketPdfInput {
  locale: Locale;
  reservationId: string;
  performance: { title: string; artist: string; venue: string; startsAt: Date };
  tickets: Array<{ code: string; seat: { section: string; tier: string; row: string; number: number } }>;
}

const labels = {
  ko: { ticket: '입장권', when: '일시', venue: '장소', seat: '좌석', tier: '등급', booking: '예매 번호', page: (i: number, n: number) => `${n}매 중 ${i}번째`, show: '입장 시 이 QR 코드를 보여 주세요.' },
  en: { ticket: 'Ticket', when: 'Date', venue: 'Venue', seat: 'Seat', tier: 'Tier', booking: 'Booking', page: (i: number, n: number) => `ticket ${i} of ${n}`, show: 'Show this QR code at the door.' },
};

/** One PDF for a purchase: a page per ticket with the performance, the seat, its tier and its QR code. */
export async function ticketPdf(input: TicketPdfInput): Promise<Buffer> {
  if (!existsSync(CJK_FONT.path)) throw new Error(`the CJK font for ticket PDFs is missing: ${CJK_FONT.path} (apt-get install fonts-noto-cjk, or set PDF_CJK_FONT_PATH)`);
  const l = labels[input.locale];
  const doc = new PDFDocument({ size: 'A4', margin: 56, autoFirstPage: false, info: { Title: `${input.performance.title} — ${l.ticket}`, Producer: 'concert-booking' } });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const ended = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  doc.registerFont('cjk', CJK_FONT.path, CJK_FONT.face);
  for (const [i, t] of input.tickets.entries()) {
    doc.addPage().font('cjk');
    doc.fontSize(11).fillColor('#666').text(`${l.ticket} · ${l.page(i + 1, input.tickets.length)}`);
    doc.moveDown(0.5).fontSize(22).fillColor('#000').text(input.performance.title);
    doc.fontSize(13).text(input.performance.artist).moveDown();
    const facts: Array<[string, string]> = [
      [l.when, formatWhen(input.locale, input.performance.startsAt)],
      [l.venue, input.performance.venue],
      [l.seat, seatLabel(input.locale, t.seat)],
      [l.tier, t.seat.tier],
      [l.booking, input.reservationId],
    ];
    for (const [k, v] of facts) doc.fontSize(12).text(`${k}: ${v}`);
    // The QR as a PNG (error correction M, 4-module quiet zone, as on the web page), 4 px per module.
    const png = await QRCode.toBuffer(t.code, { type: 'png', errorCorrectionLevel: 'M', margin: 4, scale: 4 });
    const top = doc.y + 24;
    doc.image(png, doc.page.margins.left, top, { width: 200 });
    doc.fontSize(11).text(l.show, doc.page.margins.left, top + 212);
  }
  doc.end();
  return ended;
}
