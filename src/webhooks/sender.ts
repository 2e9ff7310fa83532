import type { AttemptResult } from './deliveries.js';

/**
 * POSTs one signed message. Redirects are not followed (a receiver that moved registers its new URL);
 * a timeout or a refused connection is an attempt without a status, retried like a 5xx.
 */
export async function postWebhook(url: string, headers: Record<string, string>, body: string, timeoutMs: number): Promise<AttemptResult> {
  const started = performance.now();
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'concert-booking-webhooks/1', ...headers },
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
    // Read (and drop) the answer so the connection is reusable; its content is not kept.
    await res.arrayBuffer().catch(() => undefined);
    return { statusCode: res.status, latencyMs: Math.round(performance.now() - started), error: null };
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    const error = e.name === 'TimeoutError' ? `timed out after ${timeoutMs} ms` : `${e.cause?.code ?? e.name}: ${e.message}`;
    return { statusCode: null, latencyMs: Math.round(performance.now() - started), error };
  }
}

/** What an answer means: 2xx delivered, 410 the endpoint is gone, anything else (or none) is retried. */
export function outcomeOf(result: AttemptResult): 'DELIVERED' | 'GONE' | 'RETRY' {
  if (result.statusCode !== null && result.statusCode >= 200 && result.statusCode < 300) return 'DELIVERED';
  if (result.statusCode === 410) return 'GONE';
  return 'RETRY';
}
