import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../support/harness.js';
import { checkInvariants } from '../support/invariants.js';

/**
 * The organiser's exports (issue 22): per performance, the attendee list and the sales ledger as CSV
 * and XLSX, ADMIN only, audited; they hold exactly the tickets and money movements of the sale.
 */
describe('admin exports: attendee list and sales ledger', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext();
  });
  afterAll(async () => {
    await ctx?.close();
  });

  const get = (path: string, token: string) => ctx.app.request(path, { headers: { authorization: `Bearer ${token}` } });
  const buy = async (token: string, scheduleId: number, seatIds: number[]) => {
    const hold = await ctx.request('POST', '/api/v1/reservations', { token, body: { scheduleId, seatIds } });
    expect(hold.status).toBe(201);
    expect((await ctx.request('POST', `/api/v1/reservations/${hold.body.id}/payment`, { token })).status).toBe(200);
    return hold.body.id as string;
  };

  it('holds exactly the tickets sold, reads back as XLSX and CSV, and is audited', async () => {
    const { scheduleId, seatIds } = await ctx.createSchedule({ rows: 1, seatsPerRow: 6, price: 20_000 });
    const admin = await ctx.createUser({ role: 'ADMIN' });
    const ann = await ctx.createUser({ balance: 100_000 });
    const ben = await ctx.createUser({ balance: 100_000 });
    const kept = await buy(ann.token, scheduleId, [seatIds[0]!, seatIds[1]!]);
    const refunded = await buy(ben.token, scheduleId, [seatIds[4]!]);
    expect((await ctx.request('DELETE', `/api/v1/reservations/${refunded}`, { token: ben.token })).status).toBe(200);
    // A hold that was never paid is nobody's ticket and no money.
    expect((await ctx.request('POST', '/api/v1/reservations', { token: ben.token, body: { scheduleId, seatIds: [seatIds[5]!] } })).status).toBe(201);

    const xlsx = await get(`/api/v1/admin/schedules/${scheduleId}/exports/attendees?format=xlsx`, admin.token);
    expect(xlsx.status).toBe(200);
    expect(xlsx.headers.get('content-type')).toContain('spreadsheetml');
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(await xlsx.arrayBuffer());
    const sheet = book.worksheets[0]!;
    const rows = (sheet.getSheetValues() as unknown[][]).filter(Boolean).map((r) => r.slice(1));
    expect(rows[0]).toEqual(['ticket', 'reservation', 'section', 'row', 'seat', 'tier', 'holder id', 'holder', 'state', 'admitted at']);
    const lines = rows.slice(1).map((r) => ({ reservation: r[1], seat: r[4], holder: r[6], state: r[8] }));
    expect(lines).toEqual([
      { reservation: kept, seat: 1, holder: ann.id, state: 'VALID' },
      { reservation: kept, seat: 2, holder: ann.id, state: 'VALID' },
      { reservation: refunded, seat: 5, holder: ben.id, state: 'VOID' },
    ]);

    const csv = await get(`/api/v1/admin/schedules/${scheduleId}/exports/sales-ledger?format=csv`, admin.token);
    expect(csv.status).toBe(200);
    const ledger = (await csv.text()).replace(/^\uFEFF/, '').trim().split('\r\n').map((l) => l.split(','));
    expect(ledger[0]).toEqual(['at', 'kind', 'reservation', 'payment', 'buyer id', 'amount (KRW)', 'reason']);
    const moves = ledger.slice(1).map((l) => [l[1], l[2], Number(l[5])]);
    expect(moves).toHaveLength(3);
    expect(moves).toEqual(expect.arrayContaining([['PAYMENT', kept, 40_000], ['PAYMENT', refunded, 20_000], ['REFUND', refunded, -20_000]]));
    expect(moves.reduce((sum, m) => sum + (m[2] as number), 0)).toBe(40_000);

    const audit = await ctx.request('GET', '/api/v1/admin/audit-log?kind=ADMIN', { token: admin.token });
    const actions = (audit.body.items as Array<{ payload: { action: string; target: string } }>).map((e) => `${e.payload.action} ${e.payload.target}`);
    expect(actions).toEqual(expect.arrayContaining([`export.attendees schedule-${scheduleId}`, `export.sales-ledger schedule-${scheduleId}`]));
    expect(await checkInvariants(ctx.pool)).toEqual([]);
  });

  it('is for admins only, and says 404 for an unknown performance and 400 for an unknown format', async () => {
    const { scheduleId } = await ctx.createSchedule({ rows: 1, seatsPerRow: 2 });
    const buyer = await ctx.createUser();
    const admin = await ctx.createUser({ role: 'ADMIN' });
    expect((await get(`/api/v1/admin/schedules/${scheduleId}/exports/attendees`, buyer.token)).status).toBe(403);
    expect((await ctx.app.request(`/api/v1/admin/schedules/${scheduleId}/exports/attendees`)).status).toBe(401);
    expect((await get('/api/v1/admin/schedules/999999999/exports/sales-ledger', admin.token)).status).toBe(404);
    const bad = await get(`/api/v1/admin/schedules/${scheduleId}/exports/attendees?format=pdf`, admin.token);
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toContain('application/problem+json');
  });
});
