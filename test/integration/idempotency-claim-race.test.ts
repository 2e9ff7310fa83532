import { and, eq } from 'drizzle-orm';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/platform/db/client.js';
import type { AppEnv } from '../../src/platform/http/app.js';
import { IdempotencyStore } from '../../src/platform/http/idempotency.js';
import { idempotencyKeys } from '../../src/platform/http/schema.js';
import { DomainError } from '../../src/shared/errors.js';
import { createTestContext, type TestContext } from '../support/harness.js';

/**
 * A retry that collides with its first attempt's key while that attempt ends in a 5xx (a 503 at the
 * request deadline deletes the key's row so the client may retry): the row is gone between the
 * retry's failed insert and its read. CI on a busy machine saw such retries told 422
 * IDEMPOTENCY_KEY_REUSED ("used with a different request") for the very same request.
 */
describe('Idempotency-Key claim racing the first attempt ending in a 5xx', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext({ worker: false });
  }, 180_000);
  afterAll(async () => ctx?.close());

  const USER = 7_000_001;
  const where = (key: string) => and(eq(idempotencyKeys.userId, USER), eq(idempotencyKeys.scope, 'race'), eq(idempotencyKeys.key, key));

  /** The store on a connection whose first claim insert fails on the existing row, which the first attempt deletes at that moment. */
  function storeWithRowDeletedAfterCollision(key: string): IdempotencyStore {
    let collided = false;
    const db = new Proxy(ctx.db, {
      get(target, prop, receiver) {
        if (prop !== 'insert') return Reflect.get(target, prop, receiver);
        return (table: typeof idempotencyKeys) => ({
          values: (row: typeof idempotencyKeys.$inferInsert) =>
            target.insert(table).values(row).catch(async (err: unknown) => {
              if (!collided) {
                collided = true;
                await target.delete(idempotencyKeys).where(where(key));
              }
              throw err;
            }),
        });
      },
    }) as Db;
    return new IdempotencyStore(db, 60);
  }

  function app(store: IdempotencyStore, runs: { n: number }) {
    const a = new Hono<AppEnv>();
    a.onError((err, c) => c.json({ code: err instanceof DomainError ? err.code : 'INTERNAL' }, err instanceof DomainError ? 422 : 500));
    a.use('*', async (c, next) => {
      c.set('user', { id: USER } as AppEnv['Variables']['user']);
      await next();
    });
    a.post('/thing', store.route('race'), async (c) => {
      runs.n++;
      return c.json({ done: true }, 201);
    });
    return a;
  }

  it('claims the key again and runs the request, instead of calling it a different request', async () => {
    const key = `race-${ctx.id}`;
    // The first attempt's claim, still in progress (no answer stored).
    await ctx.db.insert(idempotencyKeys).values({ userId: USER, scope: 'race', key, requestHash: 'x'.repeat(64), expiresAt: new Date(Date.now() + 60_000) });
    const runs = { n: 0 };
    const res = await app(storeWithRowDeletedAfterCollision(key), runs).request('/thing', {
      method: 'POST',
      headers: { 'idempotency-key': key, 'content-type': 'application/json' },
      body: JSON.stringify({ a: 1 }),
    });
    expect([res.status, await res.json()]).toEqual([201, { done: true }]);
    expect(runs.n).toBe(1);
    // The answer is now kept for the key: the same request again is replayed, not run.
    const again = await app(new IdempotencyStore(ctx.db, 60), runs).request('/thing', {
      method: 'POST',
      headers: { 'idempotency-key': key, 'content-type': 'application/json' },
      body: JSON.stringify({ a: 1 }),
    });
    expect([again.status, again.headers.get('idempotent-replayed'), runs.n]).toEqual([201, 'true', 1]);
  });
});
