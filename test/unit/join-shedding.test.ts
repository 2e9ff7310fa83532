import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { JoinShedder, SHED_RETRY_AFTER_SECONDS } from '../../src/queue/join-shedding.js';

describe('join shedding', () => {
  it('takes joins up to the limit; beyond it answers 503 + Retry-After without running the join', async () => {
    const shedder = new JoinShedder(3);
    let started = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const app = new Hono();
    app.use('/queue/tokens', shedder.middleware);
    app.post('/queue/tokens', async (c) => {
      started += 1;
      await gate;
      return c.json({ joined: true });
    });
    const first = Array.from({ length: 3 }, () => app.request('/queue/tokens', { method: 'POST' }));
    const shed = await app.request('/queue/tokens', { method: 'POST' });
    expect([shed.status, shed.headers.get('retry-after'), shed.headers.get('content-type')]).toEqual([503, String(SHED_RETRY_AFTER_SECONDS), 'application/problem+json']);
    expect(((await shed.json()) as { code: string }).code).toBe('SERVICE_UNAVAILABLE');
    expect([started, shedder.shed]).toEqual([3, 1]);
    release();
    expect((await Promise.all(first)).map((r) => r.status)).toEqual([200, 200, 200]);
    // The places freed, the next join is taken again.
    expect((await app.request('/queue/tokens', { method: 'POST' })).status).toBe(200);
  });
});
