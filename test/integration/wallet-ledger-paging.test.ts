import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../support/harness.js';
import { checkInvariants } from '../support/invariants.js';

/**
 * Issue 25, defect 7: GET /wallet served only the latest 50 ledger rows. Now the ledger comes in
 * pages (`nextCursor`, the id of a page's last row, and `limit`), newest first; a heavy user can walk all of it, and rows
 * written while paging neither push a row into the next page twice nor hide one.
 */
describe('wallet ledger paging', () => {
  let ctx: TestContext;
  const wallet = (token: string, query = '') => ctx.request('GET', `/api/v1/wallet${query}`, { token });
  const charge = (token: string, key: string) => ctx.request('POST', '/api/v1/wallet/charges', { token, body: { amount: 100 }, headers: { 'idempotency-key': key } });
  /** Every page from the first, `limit` rows at a time; `between` runs after each page. */
  const walk = async (token: string, limit: number, between: (page: number) => Promise<void> = async () => {}) => {
    const ids: number[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 100; page++) {
      const res = await wallet(token, `?limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(res.status).toBe(200);
      expect(res.body.ledger.length).toBeLessThanOrEqual(limit);
      ids.push(...res.body.ledger.map((r: { id: number }) => r.id));
      cursor = res.body.nextCursor;
      if (!cursor) break;
      await between(page);
    }
    return ids;
  };

  beforeAll(async () => {
    ctx = await createTestContext({ worker: false });
  });
  afterAll(async () => {
    if (ctx) expect(await checkInvariants(ctx.pool)).toEqual([]);
    await ctx?.close();
  });

  it('walks 120 ledger rows in pages: every row once, newest first, the last page says so', async () => {
    const user = await ctx.createUser();
    for (let i = 0; i < 120; i++) expect((await charge(user.token, `paging-${ctx.id}-${i}`)).status).toBe(201);
    const [rows] = (await ctx.paymentPool.query('SELECT id FROM wallet_ledger WHERE user_id = ? ORDER BY id DESC', [user.id])) as unknown as [Array<{ id: number }>];
    expect(rows).toHaveLength(120);

    const first = await wallet(user.token);
    expect(first.body.ledger).toHaveLength(50);
    expect(first.body.balance).toBe(12_000);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    expect(await walk(user.token, 50)).toEqual(rows.map((r) => r.id));
    expect(await walk(user.token, 7)).toEqual(rows.map((r) => r.id));
    const last = await wallet(user.token, '?limit=100');
    expect((await wallet(user.token, `?limit=100&cursor=${last.body.nextCursor}`)).body).toMatchObject({ nextCursor: null, ledger: expect.any(Array) });
  });

  it('rows written while paging do not shift pages: nothing lost or repeated among the rows that existed', async () => {
    const user = await ctx.createUser();
    for (let i = 0; i < 60; i++) await charge(user.token, `before-${ctx.id}-${i}`);
    const [before] = (await ctx.paymentPool.query('SELECT id FROM wallet_ledger WHERE user_id = ? ORDER BY id DESC', [user.id])) as unknown as [Array<{ id: number }>];
    // Five new charges (concurrently) after every page.
    let n = 0;
    const seen = await walk(user.token, 10, async () => {
      await Promise.all(Array.from({ length: 5 }, () => charge(user.token, `during-${ctx.id}-${n++}`)));
    });
    expect(seen).toEqual(before.map((r) => r.id));
    expect(new Set(seen).size).toBe(seen.length);
    expect(n).toBeGreaterThan(0);
  });

  it('a cursor is a ledger id: anything else is 400, a bad limit too; a made-up id pages only the own ledger below it', async () => {
    const user = await ctx.createUser({ balance: 1000 });
    const tooLong = '1'.repeat(17);
    for (const query of ['?cursor=bm9wZQ', '?cursor=%2F%2F%2F', `?cursor=${Buffer.from('ledger:5').toString('base64url')}`, '?cursor=0', '?cursor=01', `?cursor=${tooLong}`, '?cursor=', '?limit=0', '?limit=101', '?limit=x', '?page=2']) {
      const res = await wallet(user.token, query);
      expect([query, res.status, res.body.code]).toEqual([query, 400, 'VALIDATION_FAILED']);
    }
    // Any id is a bound the server honours (the API document's pattern says which strings are ids):
    // the page holds this user's rows older than it, never another user's.
    for (let i = 0; i < 2; i++) expect((await charge(user.token, `own-${ctx.id}-${i}`)).status).toBe(201);
    const other = await ctx.createUser();
    for (let i = 0; i < 3; i++) expect((await charge(other.token, `other-${ctx.id}-${i}`)).status).toBe(201);
    const own = (await wallet(user.token)).body.ledger.map((r: { id: number }) => r.id);
    expect(own.length).toBeGreaterThanOrEqual(2);
    const madeUp = await wallet(user.token, `?cursor=${'9'.repeat(16)}`);
    expect(madeUp.status).toBe(200);
    expect(madeUp.body.ledger.map((r: { id: number }) => r.id)).toEqual(own);
    expect((await wallet(user.token, `?cursor=${Math.min(...own)}`)).body).toMatchObject({ ledger: [], nextCursor: null });
  });
});
