import type { EventEnvelope } from '../../events/index.js';
import type { Locale } from '../../identity/index.js';
import { aboutPerformance, formatWhen, greeting, renderBody } from './layout.js';
import { template, type RenderContext, type RenderedEmail } from './template.js';

/**
 * A ticket transfer's emails (docs/tickets.md "Transfer"): the offer to the recipient, the ticket
 * received (recipient) and given (holder) on acceptance, and a declined or lapsed offer (holder).
 * An offer to an address with no account yet is not emailed here (notifications knows accounts, not
 * addresses); the recipient finds it under incoming transfers once signed up with that address.
 */
type TransferEvent = EventEnvelope<'TicketTransferOffered' | 'TicketTransferAccepted' | 'TicketTransferDeclined' | 'TicketTransferLapsed'>;

async function transferEmail(e: TransferEvent, { contact, ports }: RenderContext, words: (ko: boolean, title: string) => { subject: string; lines: string[] }, extra: (locale: Locale) => Array<[string, string]> = () => []): Promise<RenderedEmail> {
  const { locale } = contact;
  const ko = locale === 'ko';
  const { title, facts } = await aboutPerformance(ports, e.payload.scheduleId, locale);
  const { subject, lines } = words(ko, title);
  return {
    subject,
    ...renderBody(locale, { greeting: greeting(locale, contact.name), paragraphs: lines, facts: [...facts, ...extra(locale), [ko ? '양도 번호' : 'Transfer', e.payload.transferId]] }),
  };
}

export const transferOffered = template({
  name: 'transfer-offered',
  eventType: 'TicketTransferOffered',
  applies: (e) => e.payload.toUserId !== null,
  recipient: (e) => e.payload.toUserId!,
  render: (e, ctx) =>
    transferEmail(
      e,
      ctx,
      (ko, title) => ({
        subject: ko ? `[티켓 양도] ${title} 티켓을 받으시겠어요?` : `A ticket for you: ${title}`,
        lines: [ko ? '티켓 1장을 양도하겠다는 제안이 도착했습니다. 마감 전에 웹사이트의 받은 양도에서 수락하거나 거절하세요.' : 'Someone offers you a ticket. Accept or decline it under incoming transfers on the website before the deadline.'],
      }),
      (locale) => [[locale === 'ko' ? '수락 마감' : 'Accept by', formatWhen(locale, new Date(e.payload.expiresAt))]],
    ),
});

export const transferReceived = template({
  name: 'transfer-received',
  eventType: 'TicketTransferAccepted',
  recipient: (e) => e.payload.toUserId,
  render: (e, ctx) =>
    transferEmail(e, ctx, (ko, title) => ({
      subject: ko ? `[티켓 양도 완료] ${title} 티켓이 도착했습니다` : `Your ticket for ${title} is here`,
      lines: [ko ? '양도받은 티켓이 내 티켓에 추가되었습니다. 입장 코드는 내 티켓 화면에서 확인하세요.' : 'The ticket is now yours: its entry code is on your tickets page.'],
    })),
});

export const transferGiven = template({
  name: 'transfer-given',
  eventType: 'TicketTransferAccepted',
  recipient: (e) => e.payload.userId,
  render: (e, ctx) =>
    transferEmail(e, ctx, (ko, title) => ({
      subject: ko ? `[티켓 양도 완료] ${title} 티켓을 양도했습니다` : `You gave away your ticket for ${title}`,
      lines: [ko ? '상대방이 양도를 수락했습니다. 이전 입장 코드는 더 이상 사용할 수 없습니다.' : 'The recipient accepted. Your old entry code no longer admits.'],
    })),
});

const notTaken = (ko: boolean, title: string) => ({
  subject: ko ? `[티켓 양도] ${title} 양도가 성사되지 않았습니다` : `Your ticket transfer for ${title} did not go through`,
  lines: [ko ? '상대방이 거절했거나 수락 기한이 지났습니다. 티켓은 그대로 회원님의 것입니다.' : 'The offer was declined or ran out. The ticket is still yours.'],
});

export const transferDeclined = template({ name: 'transfer-declined', eventType: 'TicketTransferDeclined', recipient: (e) => e.payload.userId, render: (e, ctx) => transferEmail(e, ctx, notTaken) });
export const transferLapsed = template({ name: 'transfer-lapsed', eventType: 'TicketTransferLapsed', recipient: (e) => e.payload.userId, render: (e, ctx) => transferEmail(e, ctx, notTaken) });
