import { expect } from 'vitest';

export type Answer = { status: number; body: any; headers?: Headers };

const MAX_ATTEMPTS = 30;

/**
 * A client's retry with the same Idempotency-Key while a busy machine answers 503 at the request
 * deadline (after the Retry-After it is told, which every 503 must carry) or the first attempt is
 * still in progress. Tests that are not about the deadline assert on what the system decided, which
 * a slow machine may take several attempts to hear. Bounded: a request that never gets through fails
 * the test instead of hanging it.
 */
export async function retrying(call: () => Promise<Answer>): Promise<Answer> {
  for (let attempt = 1; ; attempt++) {
    const r = await call();
    const busy = r.status === 503 || r.body?.code === 'IDEMPOTENCY_IN_PROGRESS';
    if (!busy) return r;
    if (r.status === 503) expect(r.headers?.get('retry-after'), 'a 503 says when to come back').toMatch(/^\d+$/);
    expect(attempt, `still ${r.status} ${r.body?.code} after ${attempt} attempts`).toBeLessThan(MAX_ATTEMPTS);
    await new Promise((resolve) => setTimeout(resolve, 1000 * Math.min(2, Number(r.headers?.get('retry-after') ?? 1))));
  }
}
