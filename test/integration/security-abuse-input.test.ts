import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../support/harness.js';

/** Issue 10: ids and dates are read one canonical way, so no two spellings name one resource. */
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
});
