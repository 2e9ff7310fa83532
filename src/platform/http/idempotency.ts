import { createHash } from 'node:crypto';
import { and, eq, lt } from 'drizzle-orm';
import type { Context } from 'hono';
import { isDuplicateKey, type Db } from '../db/client.js';
import { idempotencyKeys } from '../db/schema.js';
import { DomainError } from '../../shared/errors.js';
import type { AppEnv } from './app.js';
import { problemBody, statusOf } from './problem.js';

type Outcome = { status: number; body: unknown };

/**
 * Idempotency-Key support: the first request with a key claims it; its answer (2xx or 4xx) is
 * stored and replayed for the same key and body; the same key with another body gets 422. Answers
 * from unexpected failures (5xx) are not stored, so the client may retry. The effects below are
 * idempotent on their own too (workflow ids, ledger references), so a lost record is still safe.
 */
export class IdempotencyStore {
  constructor(
    private readonly db: Db,
    private readonly ttlSeconds: number,
  ) {}

  async run(c: Context<AppEnv>, scope: string, body: unknown, handler: () => Promise<Outcome>): Promise<Response> {
    const key = c.req.header('idempotency-key');
    if (!key) {
      const out = await handler();
      return c.json(out.body as object, out.status as 200);
    }
    const userId = c.get('user').id;
    const requestHash = createHash('sha256').update(`${c.req.method} ${c.req.path}\n${JSON.stringify(body ?? null)}`).digest('hex');
    const where = and(eq(idempotencyKeys.userId, userId), eq(idempotencyKeys.scope, scope), eq(idempotencyKeys.key, key));
    try {
      await this.db.insert(idempotencyKeys).values({ userId, scope, key, requestHash, expiresAt: new Date(Date.now() + this.ttlSeconds * 1000) });
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      const [prior] = await this.db.select().from(idempotencyKeys).where(where).limit(1);
      if (prior && prior.expiresAt < new Date()) {
        await this.db.delete(idempotencyKeys).where(and(where, lt(idempotencyKeys.expiresAt, new Date())));
        return this.run(c, scope, body, handler);
      }
      if (!prior || prior.requestHash !== requestHash) throw new DomainError('IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was used with a different request');
      if (prior.statusCode === null) throw new DomainError('IDEMPOTENCY_IN_PROGRESS', 'A request with this Idempotency-Key is still being processed; retry shortly');
      c.header('Idempotent-Replayed', 'true');
      return c.newResponse(JSON.stringify(prior.responseBody), prior.statusCode as 200, {
        'content-type': prior.statusCode >= 400 ? 'application/problem+json' : 'application/json',
      });
    }
    let out: Outcome;
    try {
      out = await handler();
    } catch (err) {
      if (err instanceof DomainError && statusOf(err.code) < 500) {
        // Business refusals are answers too: replaying them keeps "same key, same response".
        const problem = problemBody(err.code, err.message, err.details ?? {});
        await this.db.update(idempotencyKeys).set({ statusCode: problem.status, responseBody: problem }).where(where);
        throw err;
      }
      await this.db.delete(idempotencyKeys).where(where);
      throw err;
    }
    await this.db.update(idempotencyKeys).set({ statusCode: out.status, responseBody: out.body }).where(where);
    return c.json(out.body as object, out.status as 200);
  }
}
