import type { EventEnvelope } from '../../events/index.js';
import type { Locale } from '../../identity/index.js';
import { aboutPerformance, formatWhen, greeting, renderBody } from './layout.js';
import { template, type RenderContext, type RenderedEmail } from './template.js';

/**
 * A ticket transfer's emails (docs/tickets.md "Transfer"): the offer to the recipient, the ticket
 * received (recipient) and given (holder) on acceptance, and a declined or lapsed offer (holder).
 * An offer to an address with no account yet goes to that address (ticketing's port), in Korean, the
 * platform's default: there is no account to say otherwise.
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
  recipient: (e) => e.payload.toUserId,
  async contactOf(e, ports) {
    if (e.payload.toUserId !== null) return ports.contacts.contactOf(e.payload.toUserId);
    const offeredTo = await ports.transfers.recipientOf(e.payload.transferId);
    return offeredTo ? { email: offeredTo.email, name: offeredTo.email.split('@')[0]!, locale: 'ko' } : null;
  },
  render: (e, ctx) =>
    transferEmail(
      e,
      ctx,
      (ko, title) => ({
        subject: ko ? `[티켓 양도] ${title} 티켓을 받으시겠어요?` : `A ticket for you: ${title}`,
        lines: [
          ko ? '티켓 1장을 양도하겠다는 제안이 도착했습니다. 마감 전에 웹사이트의 받은 양도에서 수락하거나 거절하세요.' : 'Someone offers you a ticket. Accept or decline it under incoming transfers on the website before the deadline.',
          ko ? '계정이 없으면 이 메일 주소로 가입한 뒤 수락할 수 있습니다.' : 'No account yet? Sign up with this address, then accept.',
        ],
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
