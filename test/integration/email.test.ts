import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { domainEvents } from '../../src/events/outbox-schema.js';
import { toEnvelope } from '../../src/events/catalog.js';
import { sentEmails, scheduledEmails } from '../../src/notifications/schema.js';
import { verify } from '../../src/ticketing/index.js';
import { startEmailPipeline } from '../support/email.js';
import { createTestContext, eventually, TEST_PASSWORD, type TestContext } from '../support/harness.js';
import { retrying } from '../support/client-retry.js';
import { checkInvariants } from '../support/invariants.js';
import { Mailpit, readPdf, type MailpitSummary } from '../support/mailpit.js';

type User = Awaited<ReturnType<TestContext['createUser']>>;
const mailpitUrl = inject('stack').mailpitUrl;
const KOREAN_TITLE = '아이유 콘서트 2026: 서울';

/**
 * Email through a real SMTP server (issue 23 item 1, docs/tickets.md "Email"): every email the
 * platform sends, read back from Mailpit's API: recipient, subject, language, once each; the ticket
 * PDF's text (Korean included) and its QR codes, checked with ticketing's own verification.
 */
describe.skipIf(!mailpitUrl)('email through Mailpit', () => {
  let ctx: TestContext;
  let pipeline: Awaited<ReturnType<typeof startEmailPipeline>>;
  let mailpit: Mailpit;

  beforeAll(async () => {
    // Holds last 90 s and their reminder is due 75 s before the end: 15 s after the hold.
    // The request deadline (503 after 4 s) is not under test here: a busy machine must not turn a hold into a retry race.
    ctx = await createTestContext({ env: { REQUEST_DEADLINE_MS: '120000', HOLD_TTL_SECONDS: '90', HOLD_REMINDER_BEFORE_SECONDS: '75', HOLD_REMINDER_POLL_MS: '500', WAITLIST_OFFER_TTL_SECONDS: '600' } });
    pipeline = await startEmailPipeline(ctx);
    mailpit = new Mailpit(mailpitUrl!);
  });
  afterAll(async () => {
    await pipeline?.stop();
    await ctx?.close();
  });

  // As a client does on a busy machine: a 503 at the request deadline is retried with the same Idempotency-Key.
  const once = (method: string, path: string, u: User, body?: unknown) => {
    const key = `${ctx.id}-${randomUUID()}`;
    return retrying(() => ctx.request(method, path, { token: u.token, body, headers: { 'idempotency-key': key } }));
  };
  const hold = (u: User, scheduleId: number, seatIds: number[]) => once('POST', '/api/v1/reservations', u, { scheduleId, seatIds });
  const pay = (u: User, reservationId: string) => once('POST', `/api/v1/reservations/${reservationId}/payment`, u);
  const cancel = (u: User, reservationId: string) => once('DELETE', `/api/v1/reservations/${reservationId}`, u);
  const buy = async (u: User, scheduleId: number, seatIds: number[]) => {
    const held = await hold(u, scheduleId, seatIds);
    expect(held.status).toBe(201);
    expect((await pay(u, held.body.id)).status).toBe(200);
    return held.body.id as string;
  };
  /** The messages to an address whose subject matches, once the expected number arrived. */
  const emailsTo = async (address: string, subject: RegExp, count = 1): Promise<MailpitSummary[]> =>
    eventually(async () => {
      const found = (await mailpit.to(address)).filter((m) => subject.test(m.Subject));
      return found.length >= count && found;
    }, 180_000, 500);
  const sentLog = (template: string) => ctx.notificationsDb.select().from(sentEmails).where(eq(sentEmails.template, template));

  /** Signs up through the API (the language from Accept-Language), then logs in and funds the wallet. */
  const signUp = async (acceptLanguage: string, body: Record<string, unknown> = {}): Promise<User> => {
    const email = `en-${randomUUID().slice(0, 8)}@test.example`;
    // Sign-up takes no Idempotency-Key: a retry after a 503 whose first attempt went through is told EMAIL_TAKEN.
    let attempts = 0;
    const created = await retrying(async () => {
      attempts += 1;
      const r = await ctx.request('POST', '/api/v1/auth/signup', { body: { email, password: TEST_PASSWORD, name: 'Jane Doe', ...body }, headers: { 'accept-language': acceptLanguage } });
      return attempts > 1 && r.body?.code === 'EMAIL_TAKEN' ? { ...r, status: 201 } : r;
    });
    expect(created.status).toBe(201);
    const login = await retrying(() => ctx.request('POST', '/api/v1/auth/login', { body: { email, password: TEST_PASSWORD } }));
    expect(login.status).toBe(200);
    const id = login.body.userId as number;
    await ctx.services.wallets.charge(id, 100_000, `charge:email-${id}`);
    return { id, email, token: login.body.accessToken };
  };

  it('a purchase sends one confirmation in Korean with one PDF holding every ticket: Korean text, seat, tier, venue, date, and QR codes that verify', async () => {
    const buyer = await ctx.createUser({ balance: 100_000 });
    const { concertId, scheduleId, seatIds } = await ctx.createSchedule({ price: 10_000 });
    await ctx.pool.query('UPDATE concerts SET title = ?, venue = ? WHERE id = ?', [KOREAN_TITLE, '올림픽홀', concertId]);
    const reservationId = await buy(buyer, scheduleId, seatIds.slice(0, 2));

    const [summary] = await emailsTo(buyer.email, /예매 완료/);
    const message = await mailpit.message(summary!.ID);
    expect(message.To).toEqual([{ Name: 'User 1', Address: buyer.email }]);
    expect(message.Subject).toBe(`[예매 완료] ${KOREAN_TITLE} 입장권 2매`);
    expect((await mailpit.headers(summary!.ID))['Content-Language']).toEqual(['ko']);
    expect(message.Text).toContain('예매가 완료되었습니다');
    expect(message.Text).toContain(reservationId);
    expect(message.HTML).toContain('<html lang="ko">');
    // No ticket code in the email body: the tickets travel in the PDF only.
    expect(message.Text).not.toMatch(/C[TRS]1\./);
    expect(message.Attachments).toHaveLength(1);
    const [attachment] = message.Attachments;
    expect(attachment).toMatchObject({ FileName: `tickets-${reservationId}.pdf`, ContentType: 'application/pdf' });
    // The CJK font is embedded as a subset: tens of kB, not the 20 MB collection.
    expect(attachment!.Size).toBeLessThan(200_000);

    const pages = await readPdf(await mailpit.attachment(summary!.ID, attachment!.PartID));
    expect(pages).toHaveLength(2);
    const tickets = (await ctx.request('GET', `/api/v1/reservations/${reservationId}/tickets`, { token: buyer.token })).body.items as Array<{ id: number; code: string; seat: { seatId: number; row: string; number: number } }>;
    for (const [i, page] of pages.entries()) {
      const text = page.text.replace(/\n/g, '');
      expect(text).toContain(KOREAN_TITLE);
      expect(text).toContain('장소: 올림픽홀');
      expect(text).toContain(`${2}매 중 ${i + 1}번째`);
      expect(text).toContain('등급: R');
      expect(text).toMatch(/일시: \d{4}년 \d{1,2}월 \d{1,2}일/);
      expect(text).toContain(`R석 A구역 ${tickets[i]!.seat.row}열 ${tickets[i]!.seat.number}번`);
      // The QR decodes to the PDF's static code, which ticketing itself accepts for this performance
      // and this page's ticket (from the gates-open time on: not asked here).
      expect(page.qrCodes).toHaveLength(1);
      expect(verify(ctx.config, page.qrCodes[0]!, { at: new Date() })).toMatchObject({ ok: true, parts: { kind: 'STATIC', scheduleId, ticketId: tickets[i]!.id } });
    }
    expect((await sentLog('purchase-confirmation')).filter((r) => r.userId === buyer.id)).toHaveLength(1);
    expect(await checkInvariants(ctx.pool, { atLeast: { confirmed: 1, tickets: 2 } })).toEqual([]);
  });

  it('the buyer language comes from the signup (Accept-Language or body): English confirmation, then an English refund on cancel, once each', async () => {
    const jane = await signUp('en-US,en;q=0.9,ko;q=0.5');
    const [row] = (await ctx.identityPool.query('SELECT locale FROM users WHERE id = ?', [jane.id]))[0] as Array<{ locale: string }>;
    expect(row!.locale).toBe('en');
    const { scheduleId, seatIds } = await ctx.createSchedule({ price: 12_000 });
    const reservationId = await buy(jane, scheduleId, [seatIds[0]!]);
    const [confirmation] = await emailsTo(jane.email, /^Booking confirmed/);
    expect(confirmation!.Subject).toMatch(/^Booking confirmed: Test concert .+, 1 ticket\(s\)$/);
    expect((await mailpit.headers(confirmation!.ID))['Content-Language']).toEqual(['en']);
    const [page] = await readPdf(await mailpit.attachment(confirmation!.ID, (await mailpit.message(confirmation!.ID)).Attachments[0]!.PartID));
    expect(page!.text.replace(/\n/g, '')).toContain('Venue: Test Hall');

    expect((await cancel(jane, reservationId)).status).toBe(200);
    const [refund] = await emailsTo(jane.email, /^Booking cancelled and refunded/);
    const body = await mailpit.message(refund!.ID);
    expect(body.Text).toContain('KRW 12,000 refunded');
    expect(body.Attachments).toEqual([]);

    // A body's locale wins over the header; an unsupported header falls back to Korean.
    const ko = await signUp('fr-FR', {});
    const explicit = await signUp('ko-KR', { locale: 'en' });
    const locales = (await ctx.identityPool.query('SELECT id, locale FROM users WHERE id IN (?) ORDER BY id', [[ko.id, explicit.id]]))[0] as Array<{ locale: string }>;
    expect(locales.map((l) => l.locale)).toEqual(['ko', 'en']);
    const bad = await ctx.request('POST', '/api/v1/auth/signup', { body: { email: `x-${randomUUID().slice(0, 6)}@test.example`, password: TEST_PASSWORD, name: 'X', locale: 'fr' } });
    expect([bad.status, bad.body.code]).toEqual([400, 'VALIDATION_FAILED']);

    // Once each, also after everything above had time to be redelivered.
    expect((await mailpit.to(jane.email)).map((m) => m.Subject.split(':')[0]).sort()).toEqual(['Booking cancelled and refunded', 'Booking confirmed']);
  });

  it("notifications' own database user cannot read identity's users (addresses come through identity's port only)", async () => {
    const own = await mysql.createConnection({ uri: ctx.databaseUrls.notifications });
    try {
      // The accounts are in identity's own database (issue 27), behind identity's own user.
      const identityDb = new URL(ctx.databaseUrls.identity).pathname.slice(1);
      expect(new URL(ctx.databaseUrls.notifications).username).not.toBe(new URL(ctx.databaseUrls.identity).username);
      await expect(own.query(`SELECT email_cipher FROM \`${identityDb}\`.users LIMIT 1`)).rejects.toMatchObject({ code: 'ER_TABLEACCESS_DENIED_ERROR' });
      const [rows] = await own.query('SELECT COUNT(*) AS n FROM sent_emails');
      expect((rows as Array<{ n: number }>)[0]!.n).toBeGreaterThan(0);
    } finally {
      await own.end();
    }
  });

  it('a waiting-list offer is emailed with its deadline', async () => {
    const holder = await ctx.createUser({ balance: 100_000 });
    const bea = await ctx.createUser({ balance: 100_000 });
    const { scheduleId, seatIds } = await ctx.createSchedule({ rows: 1, seatsPerRow: 1 });
    const held = await hold(holder, scheduleId, seatIds);
    expect(held.status).toBe(201);
    expect((await once('POST', '/api/v1/waitlist', bea, { scheduleId, quantity: 1 })).status).toBe(201);
    expect((await cancel(holder, held.body.id)).status).toBe(200);
    const [offer] = await emailsTo(bea.email, /대기 순번 도착/);
    const entry = (await ctx.request('GET', '/api/v1/waitlist', { token: bea.token })).body.items.find((e: { scheduleId: number }) => e.scheduleId === scheduleId);
    const deadline = new Intl.DateTimeFormat('ko-KR', { dateStyle: 'full', timeStyle: 'short', timeZone: 'Asia/Seoul' }).format(new Date(entry.offer.expiresAt));
    expect(offer!.Subject).toContain(`${deadline} (KST)까지 결제하세요`);
    expect((await mailpit.message(offer!.ID)).Text).toContain(`결제 마감: ${deadline} (KST)`);
  });

  it('"your hold expires soon" goes to a hold still unpaid when due, and not to one paid before', async () => {
    const slow = await ctx.createUser({ balance: 100_000 });
    const quick = await ctx.createUser({ balance: 100_000 });
    const { scheduleId, seatIds } = await ctx.createSchedule();
    const unpaid = await hold(slow, scheduleId, [seatIds[0]!]);
    expect(unpaid.status).toBe(201);
    const paid = await buy(quick, scheduleId, [seatIds[1]!]);
    const [reminder] = await emailsTo(slow.email, /좌석 선점이 1분 후 만료됩니다/);
    expect((await mailpit.message(reminder!.ID)).Text).toContain(unpaid.body.id);
    // The paid hold's reminder came due too and was dropped (DONE, nothing sent).
    await eventually(async () => {
      const rows = await ctx.notificationsDb.select().from(scheduledEmails).where(eq(scheduledEmails.template, 'hold-expiring'));
      const mine = rows.filter((r) => [unpaid.body.id, paid].includes((r.envelope as { payload: { reservationId: string } }).payload.reservationId));
      return mine.length === 2 && mine.every((r) => r.status === 'DONE');
    }, 120_000, 500);
    expect((await mailpit.to(quick.email)).filter((m) => /만료/.test(m.Subject))).toEqual([]);
    expect((await mailpit.to(slow.email)).filter((m) => /만료/.test(m.Subject))).toHaveLength(1);
  });

  it('a performance cancellation sends its own email (not a plain refund) to each buyer', async () => {
    const admin = await ctx.createUser({ role: 'ADMIN' });
    const buyers = [await ctx.createUser({ balance: 100_000 }), await ctx.createUser({ balance: 100_000 })];
    const { scheduleId, seatIds } = await ctx.createSchedule();
    for (const [i, b] of buyers.entries()) await buy(b, scheduleId, [seatIds[i]!]);
    const started = await once('POST', `/api/v1/admin/schedules/${scheduleId}/cancellation`, admin, { reason: 'artist ill' });
    expect(started.status).toBe(202);
    for (const b of buyers) {
      const [cancelled] = await emailsTo(b.email, /공연 취소/);
      expect(cancelled!.Subject).toMatch(/^\[공연 취소\] Test concert .+ 공연이 취소되었습니다$/);
      expect((await mailpit.message(cancelled!.ID)).Text).toContain('10,000원은 전액 환불되었습니다');
      expect((await mailpit.to(b.email)).filter((m) => /예매 취소/.test(m.Subject))).toEqual([]);
    }
  });

  it('a ticket transfer emails the offer to the recipient (an account, or an address with none yet), the ticket received and given on acceptance, and the holder on a decline, each in its reader\'s language, once', async () => {
    const holder = await ctx.createUser({ balance: 100_000 });
    const friend = await signUp('en-US,en;q=0.8');
    const { scheduleId, seatIds } = await ctx.createSchedule({ price: 10_000 });
    const reservationId = await buy(holder, scheduleId, seatIds.slice(0, 3));
    const [first, second, third] = (await ctx.request('GET', `/api/v1/reservations/${reservationId}/tickets`, { token: holder.token })).body.items as Array<{ id: number }>;

    const offered = await once('POST', `/api/v1/tickets/${first!.id}/transfers`, holder, { email: friend.email });
    expect(offered.status).toBe(201);
    const [offerMail] = await emailsTo(friend.email, /^A ticket for you/);
    expect((await mailpit.headers(offerMail!.ID))['Content-Language']).toEqual(['en']);
    expect((await mailpit.message(offerMail!.ID)).Text).toContain(offered.body.id);
    expect((await once('POST', `/api/v1/ticket-transfers/${offered.body.id}/accept`, friend)).status).toBe(200);
    await emailsTo(friend.email, /^Your ticket for .* is here/);
    const [given] = await emailsTo(holder.email, /양도했습니다/);
    expect((await mailpit.message(given!.ID)).Text).toContain('이전 입장 코드는 더 이상 사용할 수 없습니다');

    const declinedOffer = await once('POST', `/api/v1/tickets/${second!.id}/transfers`, holder, { email: friend.email });
    expect((await once('POST', `/api/v1/ticket-transfers/${declinedOffer.body.id}/decline`, friend)).status).toBe(200);
    await emailsTo(holder.email, /양도가 성사되지 않았습니다/);
    // An offer to an address with no account yet: to that address, in Korean (no account to say otherwise).
    const stranger = `nobody-${randomUUID().slice(0, 8)}@test.example`;
    const toStranger = await once('POST', `/api/v1/tickets/${third!.id}/transfers`, holder, { email: stranger });
    expect(toStranger.status).toBe(201);
    const [strangerMail] = await emailsTo(stranger, /티켓을 받으시겠어요/);
    expect((await mailpit.message(strangerMail!.ID)).Text).toContain('이 메일 주소로 가입한 뒤 수락할 수 있습니다');
    for (const template of ['transfer-received', 'transfer-given', 'transfer-declined']) expect(await sentLog(template), template).toHaveLength(1);
    const offers = await sentLog('transfer-offered');
    expect(offers).toHaveLength(3);
    expect(offers.filter((r) => r.userId === null)).toHaveLength(1);
    expect(await checkInvariants(ctx.pool, { atLeast: { confirmed: 1 } })).toEqual([]);
  });

  it('a redelivered event sends nothing; two deliveries of one new event at once send one email', async () => {
    const buyer = await ctx.createUser({ balance: 100_000 });
    const { scheduleId, seatIds } = await ctx.createSchedule();
    const reservationId = await buy(buyer, scheduleId, [seatIds[0]!]);
    await emailsTo(buyer.email, /예매 완료/);
    const rows = await ctx.db.select().from(domainEvents).where(eq(domainEvents.type, 'TicketsIssued'));
    const issued = toEnvelope(rows.find((r) => (r.payload as { reservationId: string }).reservationId === reservationId)!);
    expect(await pipeline.email.sender.handle(issued)).toBe(false);
    // The same purchase under a new event id: both deliveries race on the log row; one sends.
    const twin = { ...issued, id: randomUUID() };
    const outcomes = await Promise.all([pipeline.email.sender.handle(twin), pipeline.email.sender.handle(twin)]);
    expect(outcomes.sort()).toEqual([false, true]);
    await emailsTo(buyer.email, /예매 완료/, 2);
    // Nothing more arrives (the relay and consumer keep running meanwhile).
    await new Promise((r) => setTimeout(r, 3_000));
    const confirmations = (await mailpit.to(buyer.email)).filter((m) => /예매 완료/.test(m.Subject));
    expect(confirmations).toHaveLength(2);
    expect(new Set(confirmations.map((m) => m.MessageID))).toEqual(new Set([`${issued.id}.purchase-confirmation@concert-booking`, `${twin.id}.purchase-confirmation@concert-booking`]));
  });
});
