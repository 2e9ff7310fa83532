import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../support/harness.js';

/**
 * Issue 10, unauthenticated input and answers: ids and dates are read one canonical way (no two
 * spellings name one resource), seat maps are bounded when created and served compressed, with an
 * ETag and 304.
 */
describe('security: canonical ids and ISO-8601 dates', () => {
  let ctx: TestContext;
  let concertId: number;

  beforeAll(async () => {
    ctx = await createTestContext({ worker: false });
    ({ concertId } = await ctx.createSchedule());
  });
  afterAll(async () => {
    await ctx?.close();
  });

  it('accepts only canonical positive decimal ids in paths', async () => {
    expect((await ctx.request('GET', `/api/v1/concerts/${concertId}`)).status).toBe(200);
    const spellings = [`0x${concertId.toString(16)}`, `0${concertId}`, `+${concertId}`, `${concertId}%20`, `%20${concertId}`, `${concertId}.0`, `${concertId}e0`, '1e3', '0', '-1', '9007199254740993'];
    for (const id of spellings) {
      for (const path of [`/api/v1/concerts/${id}`, `/api/v1/concerts/${id}/schedules`, `/api/v1/schedules/${id}/seats`]) {
        const res = await ctx.request('GET', path);
        expect({ path, status: res.status, code: res.body?.code }).toEqual({ path, status: 400, code: 'VALIDATION_FAILED' });
        expect(res.headers.get('content-type')).toContain('application/problem+json');
        expect(res.body.detail).toMatch(/decimal digits|at most|less than/i);
      }
    }
  });

  it('accepts only canonical page numbers in queries', async () => {
    expect((await ctx.request('GET', '/api/v1/concerts?page=1&pageSize=5')).status).toBe(200);
    for (const q of ['page=01', 'page=0x1', 'pageSize=1e1', 'pageSize=+5', 'page=1.0']) {
      const res = await ctx.request('GET', `/api/v1/concerts?${q}`);
      expect({ q, status: res.status }).toEqual({ q, status: 400 });
    }
  });

  it('accepts only ISO-8601 dates in date filters, with a clear message', async () => {
    const ok = await ctx.request('GET', '/api/v1/concerts?from=2020-01-01&to=2099-12-31T23:59:59Z');
    expect(ok.status).toBe(200);
    expect(ok.body.items.map((c: { id: number }) => c.id)).toContain(concertId);
    expect((await ctx.request('GET', '/api/v1/concerts?from=2020-01-01T00:00:00.000%2B09:00')).status).toBe(200);
    for (const q of ['to=0.5', 'from=1700000000000', 'from=May%201%202026', 'to=2026-02-31', 'from=2026-05-01T10:00:00', 'from=not-a-date']) {
      const res = await ctx.request('GET', `/api/v1/concerts?${q}`);
      expect({ q, status: res.status, code: res.body?.code }).toEqual({ q, status: 400, code: 'VALIDATION_FAILED' });
      expect(res.body.detail).toMatch(/ISO-8601|calendar date/);
      expect(res.body.detail).not.toMatch(/received Date/);
    }
  });

  describe('seat maps', () => {
    const raw = (path: string, headers: Record<string, string> = {}) => ctx.app.request(path, { headers });
    const bytes = async (res: Response) => Buffer.from(await res.arrayBuffer());

    it('bounds the seats of an admin request per schedule and per request, with a clear 400 that creates nothing', async () => {
      const admin = await ctx.createUser({ role: 'ADMIN' });
      const now = Date.now();
      const schedule = { startsAt: new Date(now + 86_400_000).toISOString(), saleOpensAt: new Date(now).toISOString(), saleClosesAt: new Date(now + 3_600_000).toISOString() };
      const body = (schedules: number, sections: number, rows: number, seatsPerRow: number) => ({
        title: 'Huge',
        artist: 'A',
        venue: 'Stadium',
        schedules: Array.from({ length: schedules }, () => schedule),
        sections: Array.from({ length: sections }, (_, i) => ({ name: `S${i}`, tier: 'R', price: 1000, rows, seatsPerRow })),
      });
      const [before] = await ctx.pool.query<any[]>('SELECT COUNT(*) n FROM seats');
      const perSchedule = await ctx.request('POST', '/api/v1/admin/concerts', { token: admin.token, body: body(1, 50, 200, 200) });
      expect(perSchedule.status).toBe(400);
      expect(perSchedule.body.code).toBe('VALIDATION_FAILED');
      expect(perSchedule.body.detail).toContain('at most 20000 seats per schedule');
      const perRequest = await ctx.request('POST', '/api/v1/admin/concerts', { token: admin.token, body: body(6, 2, 100, 100) });
      expect(perRequest.status).toBe(400);
      expect(perRequest.body.detail).toContain('at most 100000 seats per request');
      const [after] = await ctx.pool.query<any[]>('SELECT COUNT(*) n FROM seats');
      expect(Number(after[0].n)).toBe(Number(before[0].n));
      // Right at both bounds is fine: 5 schedules of 20,000 seats.
      const atBounds = await ctx.request('POST', '/api/v1/admin/concerts', { token: admin.token, body: body(5, 2, 100, 100) });
      expect(atBounds.status).toBe(201);
      expect(atBounds.body.seatCount).toBe(100_000);
    }, 180_000);

    it('serves the map compressed when asked (gzip, br), with an ETag, 304 while unchanged, and a compact view', async () => {
      const { scheduleId, seatIds } = await ctx.createSchedule({ rows: 100, seatsPerRow: 100 });
      const path = `/api/v1/schedules/${scheduleId}/seats`;
      const plain = await raw(path);
      expect(plain.status).toBe(200);
      expect(plain.headers.get('content-encoding')).toBeNull();
      const json = await bytes(plain);
      const etag = plain.headers.get('etag')!;
      expect(etag).toMatch(/^W\/".+"$/);
      expect(plain.headers.get('vary')).toContain('Accept-Encoding');
      const full = JSON.parse(json.toString());
      expect(full.items).toHaveLength(10_000);

      const gz = await raw(path, { 'accept-encoding': 'gzip, deflate' });
      expect(gz.headers.get('content-encoding')).toBe('gzip');
      const gzBytes = await bytes(gz);
      expect(gunzipSync(gzBytes).equals(json)).toBe(true);
      const br = await raw(path, { 'accept-encoding': 'gzip;q=0.5, br' });
      expect(br.headers.get('content-encoding')).toBe('br');
      const brBytes = await bytes(br);
      expect(brotliDecompressSync(brBytes).equals(json)).toBe(true);
      expect(br.headers.get('etag')).toBe(etag);
      expect((await raw(path, { 'accept-encoding': 'br;q=0, gzip;q=0' })).headers.get('content-encoding')).toBeNull();

      const notModified = await raw(path, { 'if-none-match': etag, 'accept-encoding': 'br' });
      expect(notModified.status).toBe(304);
      expect((await bytes(notModified)).length).toBe(0);
      expect(notModified.headers.get('etag')).toBe(etag);
      expect((await raw(path, { 'if-none-match': '"something-else"' })).status).toBe(200);

      // A seat changes (claimed in booking's seat inventory, as a hold's first step): the old tag no longer matches.
      await ctx.services.seatInventory.acquire(scheduleId, [seatIds[0]!], 'etag-test-holder', 60_000);
      const changed = await raw(path, { 'if-none-match': etag });
      expect(changed.status).toBe(200);
      expect(changed.headers.get('etag')).not.toBe(etag);

      const compact = await raw(`${path}?view=compact`);
      const compactBytes = await bytes(compact);
      const c = JSON.parse(compactBytes.toString());
      expect(c.columns).toEqual(['id', 'section', 'row', 'number', 'tier', 'price', 'status']);
      expect(c.rows).toHaveLength(10_000);
      expect(c.rows[0]).toEqual(c.columns.map((k: string) => full.items[0][k === 'status' ? 'status' : k]).map((v: unknown, i: number) => (i === 6 ? 'HELD' : v)));
      expect(compactBytes.length).toBeLessThan(json.length * 0.6);
      const compactBr = await bytes(await raw(`${path}?view=compact`, { 'accept-encoding': 'br' }));
      console.log(
        `10,000-seat map: ${json.length} B plain, ${gzBytes.length} B gzip, ${brBytes.length} B br; compact ${compactBytes.length} B plain, ${compactBr.length} B br`,
      );
      expect(gzBytes.length).toBeLessThan(json.length / 5);
      expect(brBytes.length).toBeLessThan(json.length / 5);
    }, 120_000);
  });
});
