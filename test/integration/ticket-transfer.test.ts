import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, eventually, TEST_PASSWORD, type TestContext } from '../support/harness.js';
import { checkInvariants } from '../support/invariants.js';

/**
 * Ticket transfer (issue 23 item 3, docs/tickets.md "Transfer") on the real stack: one workflow per
 * transfer; the recipient accepts, declines or lets the offer lapse; the holder withdraws; the move
 * re-checks everything in one locked transaction and reissues the code, so the old code is refused
 * at the door. Each test ends with the invariant checker.
 */
describe('ticket transfer', () => {
  let ctx: TestContext;
  let staff: { id: number; token: string };
  let admin: { id: number; token: string };
  const q = async (sql: string, params: unknown[] = []) => (await ctx.pool.query(sql, params))[0] as Array<Record<string, any>>;
  const scan = (code: string) => ctx.request('POST', '/api/v1/entry/scans', { token: staff.token, body: { code } });
  const key = () => `k-${randomBytes(6).toString('hex')}`;

  /** A buyer's confirmed purchase of `n` seats (on a fresh schedule unless given one). */
  const purchase = async (n = 2, on?: { scheduleId: number; seatIds: number[] }, buyer?: { id: number; email: string; token: string }) => {
    const who = buyer ?? (await ctx.createUser({ balance: 100_000 }));
    const schedule = on ?? (await ctx.createSchedule({ price: 10_000 }));
    const held = await ctx.request('POST', '/api/v1/reservations', { token: who.token, body: { scheduleId: schedule.scheduleId, seatIds: schedule.seatIds.slice(0, n) } });
    expect(held.status).toBe(201);
    const paid = await ctx.request('POST', `/api/v1/reservations/${held.body.id}/payment`, { token: who.token });
    expect(paid.status).toBe(200);
    const tickets = await ctx.request('GET', `/api/v1/reservations/${held.body.id}/tickets`, { token: who.token });
    return { buyer: who, ...schedule, reservationId: held.body.id as string, tickets: tickets.body.items as Array<Record<string, any>> };
  };
  const offer = (token: string, ticketId: number, email: string, idempotencyKey = key()) =>
    ctx.request('POST', `/api/v1/tickets/${ticketId}/transfers`, { token, body: { email }, headers: { 'idempotency-key': idempotencyKey } });
  const decide = (token: string, transferId: string, action: 'accept' | 'decline' | 'withdraw') =>
    ctx.request('POST', `/api/v1/ticket-transfers/${transferId}/${action}`, { token, headers: { 'idempotency-key': key() } });
  const holderOf = async (ticketId: number) => Number((await q('SELECT user_id FROM tickets WHERE id = ?', [ticketId]))[0]!.user_id);
  const eventsOf = async (transferId: string) => (await q(`SELECT type, payload FROM domain_events WHERE aggregate_id = ? ORDER BY sequence`, [`transfer-${transferId}`])).map((e) => e.type as string);
  const invariantsHold = async () => expect(await checkInvariants(ctx.pool)).toEqual([]);

  beforeAll(async () => {
    ctx = await createTestContext();
    staff = await ctx.createUser({ role: 'STAFF' });
    admin = await ctx.createUser({ role: 'ADMIN' });
  });
  afterAll(async () => {
    await ctx?.close();
  });

  it('accept: the ticket moves to the recipient with a new code; the old code is refused at the door, the new one admits', async () => {
    const { buyer, tickets, reservationId } = await purchase(2);
    const recipient = await ctx.createUser();
    const [moving, staying] = tickets;
    const idempotencyKey = key();
    const offered = await offer(buyer.token, moving!.id, recipient.email, idempotencyKey);
    expect(offered.status).toBe(201);
    expect(offered.body).toMatchObject({ ticketId: moving!.id, reservationId, status: 'PENDING', fromUserId: buyer.id, toUserId: recipient.id, recipientEmail: recipient.email });
    // The default deadline: TRANSFER_OFFER_TTL_SECONDS (48 h) from now, the show being two weeks away.
    expect(Math.abs(Date.parse(offered.body.expiresAt) - Date.now() - 48 * 3_600_000)).toBeLessThan(120_000);
    // The same Idempotency-Key: the same offer, not a second one.
    const again = await offer(buyer.token, moving!.id, recipient.email, idempotencyKey);
    expect([again.status, again.body.id]).toEqual([201, offered.body.id]);
    expect((await q('SELECT COUNT(*) n FROM ticket_transfers WHERE ticket_id = ?', [moving!.id]))[0]!.n).toBe(1);

    const incoming = await ctx.request('GET', '/api/v1/ticket-transfers/incoming', { token: recipient.token });
    expect(incoming.body.items.map((t: any) => t.id)).toEqual([offered.body.id]);
    expect(incoming.body.items[0].recipientEmail).toBeUndefined();
    // Nobody else may answer it, nor withdraw it.
    const stranger = await ctx.createUser();
    expect((await decide(stranger.token, offered.body.id, 'accept')).status).toBe(404);
    expect((await decide(recipient.token, offered.body.id, 'withdraw')).status).toBe(404);

    const accepted = await decide(recipient.token, offered.body.id, 'accept');
    expect(accepted.status).toBe(200);
    expect(accepted.body).toMatchObject({ id: offered.body.id, status: 'ACCEPTED', toUserId: recipient.id });
    expect(await holderOf(moving!.id)).toBe(recipient.id);

    const mine = await ctx.request('GET', '/api/v1/tickets', { token: recipient.token });
    expect(mine.body.items.map((t: any) => t.id)).toEqual([moving!.id]);
    const newCode = mine.body.items[0].code as string;
    expect(newCode).not.toBe(moving!.code);
    // The buyer keeps the other ticket only; the moved one shows no code to them any more.
    const buyerTickets = await ctx.request('GET', `/api/v1/reservations/${reservationId}/tickets`, { token: buyer.token });
    expect(buyerTickets.body.items.map((t: any) => t.id)).toEqual([staying!.id]);

    const old = await scan(moving!.code);
    expect([old.status, old.body.code]).toEqual([409, 'CODE_REISSUED']);
    expect((await scan(newCode)).body.result).toBe('ADMITTED');
    expect((await scan(staying!.code)).body.result).toBe('ADMITTED');

    expect(await eventsOf(offered.body.id)).toEqual(['TicketTransferOffered', 'TicketTransferAccepted']);
    // Ids only in the events: never the recipient's address.
    const payloads = await q(`SELECT payload FROM domain_events WHERE aggregate_id = ?`, [`transfer-${offered.body.id}`]);
    for (const p of payloads) expect(JSON.stringify(p.payload)).not.toContain('@');
    // The address is sealed in the row and read back through ticketing's port, for the emails.
    expect((await q('SELECT recipient_email_cipher c FROM ticket_transfers WHERE id = ?', [offered.body.id]))[0]!.c).not.toContain('@');
    expect(await ctx.services.transfers.transferRecipientContact(offered.body.id)).toEqual({ email: recipient.email, userId: recipient.id });

    // The back office's chain of holders.
    const chain = await ctx.request('GET', `/api/v1/admin/tickets/${moving!.id}/holders`, { token: admin.token });
    expect(chain.status).toBe(200);
    expect(chain.body.holders.map((h: any) => [h.userId, h.via])).toEqual([
      [buyer.id, 'PURCHASE'],
      [recipient.id, 'TRANSFER'],
    ]);
    expect(chain.body.holderId).toBe(recipient.id);
    expect((await ctx.request('GET', `/api/v1/admin/tickets/${moving!.id}/holders`, { token: buyer.token })).status).toBe(403);
    await invariantsHold();
  });

  it('an offer to an email without an account waits for that account: it signs up, finds the offer and accepts', async () => {
    const { buyer, tickets } = await purchase(1);
    const email = `later-${randomBytes(4).toString('hex')}@test.example`;
    const offered = await offer(buyer.token, tickets[0]!.id, email);
    expect([offered.status, offered.body.toUserId]).toEqual([201, null]);
    const signup = await ctx.request('POST', '/api/v1/auth/signup', { body: { email: email.toUpperCase(), password: TEST_PASSWORD, name: 'Later' } });
    expect(signup.status).toBe(201);
    const login = await ctx.request('POST', '/api/v1/auth/login', { body: { email, password: TEST_PASSWORD } });
    const token = login.body.accessToken as string;
    const incoming = await ctx.request('GET', '/api/v1/ticket-transfers/incoming', { token });
    expect(incoming.body.items.map((t: any) => t.id)).toEqual([offered.body.id]);
    const accepted = await decide(token, offered.body.id, 'accept');
    expect([accepted.status, accepted.body.status, accepted.body.toUserId]).toEqual([200, 'ACCEPTED', signup.body.id]);
    expect(await holderOf(tickets[0]!.id)).toBe(signup.body.id);
    await invariantsHold();
  });

  it('decline and withdraw close the offer; every later answer is 409 TRANSFER_CLOSED and the ticket stays', async () => {
    const { buyer, tickets } = await purchase(2);
    const recipient = await ctx.createUser();
    const first = await offer(buyer.token, tickets[0]!.id, recipient.email);
    const declined = await decide(recipient.token, first.body.id, 'decline');
    expect([declined.status, declined.body.status]).toEqual([200, 'DECLINED']);
    const late = await decide(recipient.token, first.body.id, 'accept');
    expect([late.status, late.body.code]).toEqual([409, 'TRANSFER_CLOSED']);
    expect(late.headers.get('content-type')).toContain('application/problem+json');
    expect(await eventsOf(first.body.id)).toEqual(['TicketTransferOffered', 'TicketTransferDeclined']);

    const second = await offer(buyer.token, tickets[1]!.id, recipient.email);
    // One open offer per ticket.
    const twice = await offer(buyer.token, tickets[1]!.id, `other-${randomBytes(3).toString('hex')}@test.example`);
    expect([twice.status, twice.body.code]).toEqual([409, 'TRANSFER_PENDING']);
    const withdrawn = await decide(buyer.token, second.body.id, 'withdraw');
    expect([withdrawn.status, withdrawn.body.status]).toEqual([200, 'WITHDRAWN']);
    expect((await decide(recipient.token, second.body.id, 'accept')).body.code).toBe('TRANSFER_CLOSED');
    expect(await eventsOf(second.body.id)).toEqual(['TicketTransferOffered', 'TicketTransferWithdrawn']);
    // Withdrawn, the ticket may be offered again.
    expect((await offer(buyer.token, tickets[1]!.id, recipient.email)).status).toBe(201);
    for (const t of tickets) expect(await holderOf(t.id)).toBe(buyer.id);
    await invariantsHold();
  });

  it('after a transfer the buyer cannot cancel (409 TICKET_TRANSFERRED); an admin force-cancel refunds the payer and voids the recipient\'s ticket', async () => {
    const { buyer, tickets, reservationId } = await purchase(1);
    const recipient = await ctx.createUser();
    const offered = await offer(buyer.token, tickets[0]!.id, recipient.email);
    expect((await decide(recipient.token, offered.body.id, 'accept')).status).toBe(200);
    const mine = await ctx.request('DELETE', `/api/v1/reservations/${reservationId}`, { token: buyer.token });
    expect([mine.status, mine.body.code]).toEqual([409, 'TICKET_TRANSFERRED']);
    expect((await ctx.request('GET', `/api/v1/reservations/${reservationId}`, { token: buyer.token })).body.status).toBe('CONFIRMED');
    expect((await ctx.request('GET', '/api/v1/wallet', { token: buyer.token })).body.balance).toBe(90_000);

    const forced = await ctx.request('POST', `/api/v1/admin/reservations/${reservationId}/cancel`, { token: admin.token });
    expect(forced.status).toBe(200);
    // The money goes back to whoever paid; the ticket, wherever it is, no longer admits.
    expect((await ctx.request('GET', '/api/v1/wallet', { token: buyer.token })).body.balance).toBe(100_000);
    const held = await ctx.request('GET', '/api/v1/tickets', { token: recipient.token });
    expect(held.body.items[0]).toMatchObject({ id: tickets[0]!.id, status: 'VOID', voidReason: 'TICKET_REFUNDED' });
    expect((await scan(held.body.items[0].code)).body.code).toBe('TICKET_REFUNDED');
    await invariantsHold();
  });

  it('bad offers are refused with a problem and change nothing', async () => {
    const { buyer, tickets } = await purchase(1);
    const other = await ctx.createUser();
    const count = async () => Number((await q('SELECT COUNT(*) n FROM ticket_transfers WHERE ticket_id = ?', [tickets[0]!.id]))[0]!.n);
    expect((await offer(buyer.token, tickets[0]!.id, 'not-an-email')).status).toBe(400);
    const self = await offer(buyer.token, tickets[0]!.id, buyer.email);
    expect([self.status, self.body.code]).toEqual([422, 'TRANSFER_TO_SELF']);
    const foreign = await offer(other.token, tickets[0]!.id, other.email);
    expect([foreign.status, foreign.body.code]).toEqual([404, 'NOT_FOUND']);
    expect((await offer(buyer.token, 99_999_999, other.email)).status).toBe(404);
    expect((await ctx.request('POST', `/api/v1/ticket-transfers/nope/accept`, { token: other.token })).status).toBe(400);
    expect(await count()).toBe(0);
  });

  it('a race between two accepts moves the ticket once: one 200, one 409 TRANSFER_CLOSED', async () => {
    const { buyer, tickets } = await purchase(1);
    const recipient = await ctx.createUser();
    const offered = await offer(buyer.token, tickets[0]!.id, recipient.email);
    const answers = await Promise.all([decide(recipient.token, offered.body.id, 'accept'), decide(recipient.token, offered.body.id, 'accept')]);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 409]);
    expect(answers.find((a) => a.status === 409)!.body.code).toBe('TRANSFER_CLOSED');
    expect(await eventsOf(offered.body.id)).toEqual(['TicketTransferOffered', 'TicketTransferAccepted']);
    expect(await holderOf(tickets[0]!.id)).toBe(recipient.id);
    await invariantsHold();
  });

  it('a scanned ticket cannot move: refused at the offer, and at the move when scanned after the offer', async () => {
    const { buyer, tickets } = await purchase(2);
    const recipient = await ctx.createUser();
    expect((await scan(tickets[0]!.code)).status).toBe(200);
    const refused = await offer(buyer.token, tickets[0]!.id, recipient.email);
    expect([refused.status, refused.body.code]).toEqual([409, 'TICKET_ADMITTED']);

    const offered = await offer(buyer.token, tickets[1]!.id, recipient.email);
    expect(offered.status).toBe(201);
    expect((await scan(tickets[1]!.code)).status).toBe(200);
    const accepted = await decide(recipient.token, offered.body.id, 'accept');
    expect([accepted.status, accepted.body.code]).toEqual([409, 'TICKET_ADMITTED']);
    expect((await q('SELECT status, reason FROM ticket_transfers WHERE id = ?', [offered.body.id]))[0]).toEqual({ status: 'LAPSED', reason: 'TICKET_ADMITTED' });
    expect(await holderOf(tickets[1]!.id)).toBe(buyer.id);
    await invariantsHold();
  });

  it('a refunded ticket cannot move: refused at the offer, and at the move when refunded after the offer', async () => {
    const first = await purchase(1);
    const recipient = await ctx.createUser();
    expect((await ctx.request('DELETE', `/api/v1/reservations/${first.reservationId}`, { token: first.buyer.token })).status).toBe(200);
    const refused = await offer(first.buyer.token, first.tickets[0]!.id, recipient.email);
    expect([refused.status, refused.body.code]).toEqual([409, 'TICKET_REFUNDED']);

    const second = await purchase(1);
    const offered = await offer(second.buyer.token, second.tickets[0]!.id, recipient.email);
    expect(offered.status).toBe(201);
    // A pending offer does not stop the buyer's cancel; the refund makes the move refuse.
    expect((await ctx.request('DELETE', `/api/v1/reservations/${second.reservationId}`, { token: second.buyer.token })).status).toBe(200);
    const accepted = await decide(recipient.token, offered.body.id, 'accept');
    expect([accepted.status, accepted.body.code]).toEqual([409, 'TICKET_REFUNDED']);
    expect(await holderOf(second.tickets[0]!.id)).toBe(second.buyer.id);
    await invariantsHold();
  });

  it('the ticket limit counts on the recipient: one who owns the limit already cannot accept (409 TICKET_LIMIT)', async () => {
    const schedule = await ctx.createSchedule({ price: 10_000 });
    const recipient = await ctx.createUser({ balance: 100_000 });
    // The recipient owns the schedule's limit (4) through their own purchase.
    await purchase(4, schedule, recipient);
    const { buyer, tickets } = await purchase(1, { scheduleId: schedule.scheduleId, seatIds: schedule.seatIds.slice(4) });
    const offered = await offer(buyer.token, tickets[0]!.id, recipient.email);
    expect(offered.status).toBe(201);
    const accepted = await decide(recipient.token, offered.body.id, 'accept');
    expect([accepted.status, accepted.body.code]).toEqual([409, 'TICKET_LIMIT']);
    expect(await holderOf(tickets[0]!.id)).toBe(buyer.id);
    expect(await eventsOf(offered.body.id)).toEqual(['TicketTransferOffered', 'TicketTransferLapsed']);
    // One under the limit, it may: a second recipient with 3 accepts and then owns 4.
    const other = await ctx.createUser({ balance: 100_000 });
    await purchase(3, { scheduleId: schedule.scheduleId, seatIds: schedule.seatIds.slice(5) }, other);
    const next = await offer(buyer.token, tickets[0]!.id, other.email);
    expect((await decide(other.token, next.body.id, 'accept')).status).toBe(200);
    // Now at the limit by a received ticket: their own next hold is refused (booking's hold counts it)...
    const hold = await ctx.request('POST', '/api/v1/reservations', { token: other.token, body: { scheduleId: schedule.scheduleId, seatIds: [schedule.seatIds[12]!] } });
    expect([hold.status, hold.body.code]).toEqual([409, 'TICKET_LIMIT']);
    // ...and they cannot receive one more either.
    const more = await purchase(1, { scheduleId: schedule.scheduleId, seatIds: schedule.seatIds.slice(8) });
    const third = await offer(more.buyer.token, more.tickets[0]!.id, other.email);
    expect((await decide(other.token, third.body.id, 'accept')).body.code).toBe('TICKET_LIMIT');
    await invariantsHold();
  });

  it('transfers close before the show; an offer made near the close lapses at it (the deadline is capped)', async () => {
    // The show starts in one hour: transfers closed an hour ago (TRANSFER_CLOSE_MINUTES_BEFORE_SHOW = 120).
    const soon = await purchase(1, await ctx.createSchedule({ price: 10_000, startsInHours: 1 }));
    const recipient = await ctx.createUser();
    const closed = await offer(soon.buyer.token, soon.tickets[0]!.id, recipient.email);
    expect([closed.status, closed.body.code]).toEqual([409, 'TRANSFER_WINDOW_CLOSED']);

    // The show starts in 2 h 4 s: the offer's 48 h shrink to the 4 s left before the close, then it lapses.
    const near = await purchase(1, await ctx.createSchedule({ price: 10_000, startsInHours: 2 + 4 / 3600 }));
    const offered = await offer(near.buyer.token, near.tickets[0]!.id, recipient.email);
    expect(offered.status).toBe(201);
    expect(Date.parse(offered.body.expiresAt) - Date.now()).toBeLessThan(5_000);
    const lapsed = await eventually(async () => {
      const [row] = await q('SELECT status, reason FROM ticket_transfers WHERE id = ?', [offered.body.id]);
      return row?.status === 'LAPSED' && row;
    }, 60_000, 250);
    expect(lapsed).toEqual({ status: 'LAPSED', reason: 'DEADLINE' });
    const late = await decide(recipient.token, offered.body.id, 'accept');
    expect([late.status, late.body.code]).toEqual([409, 'TRANSFER_CLOSED']);
    expect(await eventsOf(offered.body.id)).toEqual(['TicketTransferOffered', 'TicketTransferLapsed']);
    expect(await holderOf(near.tickets[0]!.id)).toBe(near.buyer.id);
    await invariantsHold();
  });
});
