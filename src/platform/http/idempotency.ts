import { createHash } from 'node:crypto';
import { and, eq, lt } from 'drizzle-orm';
import type { Context, Handler, MiddlewareHandler } from 'hono';
import { isDuplicateKey, type Db } from '../db/client.js';
import { idempotencyKeys } from './schema.js';
import { DomainError } from '../../shared/errors.js';
import type { AppEnv } from './app.js';

const KEY_PATTERN = /^[A-Za-z0-9_\-:.]{8,100}$/;
/**
 * Refusals about the moment, not the request: the same request is expected to succeed later
 * (admitted from the waiting room, under the rate limit), so they are not kept for the key.
 */
const TRANSIENT = new Set(['QUEUE_TOKEN_REQUIRED', 'QUEUE_TOKEN_INVALID', 'QUEUE_NOT_ACTIVE', 'RATE_LIMITED']);

/**
 * Idempotency-Key support for every mutating route: the first request with a key claims it; its
 * answer (2xx or 4xx, exactly as sent, request id and all) is stored and replayed for the same key
 * and request; the same key with another request gets 422. Answers from unexpected failures (5xx)
 * and waiting-room refusals are not stored, so the client may retry. A handler that finishes after
 * the request deadline answered 503 stores its own answer (keepingLateAnswer): the client's retry
 * gets what was decided (a payment made, a ticket admitted), not the refusal of a second attempt;
 * until then the key is in progress (409, Retry-After). The effects behind it are idempotent on their own too
 * (workflow ids, ledger references), so a lost record is still safe.
 */
export class IdempotencyStore {
  constructor(
    private readonly db: Db,
    private readonly ttlSeconds: number,
  ) {}

  /**
   * Route middleware (after authentication, before validation) for one kind of request: `scope`
   * names it (≤ 40 characters) so one key may be used once per kind. A replay skips everything
   * after it, the waiting-room check included: the answer was already decided.
   */
  route(scope: string, opts: { secretBody?: boolean } = {}): MiddlewareHandler<AppEnv> {
    return async (c, next) => {
      const key = c.req.header('idempotency-key');
      if (key === undefined) return next();
      if (!KEY_PATTERN.test(key)) throw new DomainError('VALIDATION_FAILED', 'Idempotency-Key: 8 to 100 letters, digits or _-:.');
      const userId = c.get('user').id;
      // A body holding a password is not hashed into the key's record (that would be an unsalted
      // hash of the password): "the same request" is then the same route.
      const requestHash = opts.secretBody ? hashOf(`${c.req.method} ${c.req.path}\nsecret body`) : await hashRequest(c);
      const where = and(eq(idempotencyKeys.userId, userId), eq(idempotencyKeys.scope, scope), eq(idempotencyKeys.key, key));
      const prior = await this.claim(userId, scope, key, requestHash, where);
      if (prior) return replay(c, prior);
      await next();
      const res = c.res;
      if (res.status >= 500) {
        await this.db.delete(idempotencyKeys).where(where);
        return;
      }
      // Nor is a successful answer's body kept when it may hold credentials (fresh tokens): a replay
      // repeats the status without it. Refusals of such a request are not kept at all (they changed
      // nothing, and with the body unhashed a corrected retry must not get the old refusal).
      const body = opts.secretBody && res.status < 400 ? null : await storable(res);
      if (body === undefined || (res.status >= 400 && (opts.secretBody || TRANSIENT.has((body as { code?: string } | null)?.code ?? '')))) await this.db.delete(idempotencyKeys).where(where);
      else await this.db.update(idempotencyKeys).set({ statusCode: res.status, responseBody: body }).where(where);
    };
  }

  /** Claims the key (undefined) or returns the stored answer of the same request. */
  private async claim(userId: number, scope: string, key: string, requestHash: string, where: ReturnType<typeof and>, attempt = 1): Promise<{ statusCode: number; responseBody: unknown } | undefined> {
    try {
      await this.db.insert(idempotencyKeys).values({ userId, scope, key, requestHash, expiresAt: new Date(Date.now() + this.ttlSeconds * 1000) });
      return undefined;
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
    }
    const [prior] = await this.db.select().from(idempotencyKeys).where(where).limit(1);
    if (prior && prior.expiresAt < new Date()) {
      await this.db.delete(idempotencyKeys).where(and(where, lt(idempotencyKeys.expiresAt, new Date())));
      return this.claim(userId, scope, key, requestHash, where, attempt);
    }
    if (!prior) {
      // The row we collided with is gone: its request ended in a 5xx or a transient refusal (which
      // delete it) between our insert and this read. Nothing is kept for the key, so claim it again;
      // after a few such turns the client is told to come back rather than kept looping here.
      if (attempt < 3) return this.claim(userId, scope, key, requestHash, where, attempt + 1);
      throw inProgress();
    }
    if (prior.requestHash !== requestHash) throw new DomainError('IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was used with a different request');
    if (prior.statusCode === null) throw inProgress();
    return { statusCode: prior.statusCode, responseBody: prior.responseBody };
  }
}

/**
 * Wraps a keyed route's handler so its answer reaches the idempotency middleware even when the
 * request deadline answered 503 first: Hono's compose keeps a handler's returned answer only while
 * the context is not finalized, and the deadline's 503 finalized it. The client already has the 503;
 * this answer is only stored under the key, for the retry.
 */
export function keepingLateAnswer<H extends Handler<AppEnv, any, any>>(handler: H): H {
  const kept = async (c: Context<AppEnv>, next: () => Promise<void>) => {
    const res = await handler(c, next);
    if (c.get('answeredAtDeadline') && res instanceof Response) c.res = res;
    return res;
  };
  return kept as unknown as H;
}

/** The first request with the key still runs: come back in a second (Retry-After), same key, same body. */
const inProgress = () => new DomainError('IDEMPOTENCY_IN_PROGRESS', 'A request with this Idempotency-Key is still being processed; retry shortly', { retryAfterSeconds: 1 });

/** Method, path and body (parsed, so spacing does not matter): what "the same request" means. */
async function hashRequest(c: Context<AppEnv>): Promise<string> {
  const text = await c.req.text();
  let body: string;
  try {
    body = JSON.stringify(text ? JSON.parse(text) : null);
  } catch {
    body = text; // not JSON: validation answers it, and the answer is stored like any other
  }
  return hashOf(`${c.req.method} ${c.req.path}\n${body}`);
}

const hashOf = (text: string) => createHash('sha256').update(text).digest('hex');

/** The answer's JSON body (null when empty), or undefined when it cannot be replayed as JSON. */
async function storable(res: Response): Promise<unknown> {
  const text = await res.clone().text();
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The stored answer with its original body; headers (X-Request-Id) are this request's own. */
function replay(c: Context<AppEnv>, prior: { statusCode: number; responseBody: unknown }): Response {
  c.header('Idempotent-Replayed', 'true');
  if (prior.responseBody === null) return c.body(null, prior.statusCode as 204);
  return c.newResponse(JSON.stringify(prior.responseBody), prior.statusCode as 200, {
    'content-type': prior.statusCode >= 400 ? 'application/problem+json' : 'application/json',
  });
}
