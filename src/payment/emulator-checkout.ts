import { Hono } from 'hono';
import { z } from 'zod';
import type { AppEnv } from '../platform/http/app.js';
import { DomainError } from '../shared/errors.js';

/**
 * The card step that Stripe.js (Elements + confirmCardPayment) does in a production browser, for
 * the emulator only. Stripe lets the browser confirm a PaymentIntent with the publishable key and
 * the client secret; localstripe does not (its confirm needs the secret key and takes no card), so
 * in development and tests the checkout's card form hands the chosen TEST card to this endpoint,
 * which attaches it and confirms with the secret key, as the emulator expects. It is mounted only
 * when the provider is not Stripe and NODE_ENV is not production (api-app.ts), accepts only the
 * published test card numbers, and needs the PaymentIntent's client secret (the same capability
 * Stripe.js holds). Everything after it is the real flow: the provider's signed webhook confirms.
 */
export const EMULATOR_TEST_CARDS = ['4242424242424242', '4000000000000341', '4000002500003155'] as const;

const Body = z.object({ clientSecret: z.string().regex(/^pi_\w+_secret_\w+$/).max(200), card: z.enum(EMULATOR_TEST_CARDS) }).strict();

export function emulatorCheckoutRoutes(deps: { apiBase: string; secretKey: string }) {
  const app = new Hono<AppEnv>();
  const stripe = async (path: string, form: Record<string, string>) => {
    const res = await fetch(`${deps.apiBase}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${deps.secretKey}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
    }).catch(() => undefined);
    if (!res) throw new DomainError('SERVICE_UNAVAILABLE', 'The payment provider cannot be reached');
    return { ok: res.ok, body: (await res.json().catch(() => ({}))) as { status?: string; client_secret?: string; id?: string; error?: { message?: string } } };
  };
  app.post('/web/payment-emulator/confirm', async (c) => {
    const parsed = Body.safeParse(await c.req.json().catch(() => undefined));
    if (!parsed.success) throw new DomainError('VALIDATION_FAILED', 'clientSecret and one of the emulator test cards are required');
    const { clientSecret, card } = parsed.data;
    const paymentIntentId = clientSecret.slice(0, clientSecret.indexOf('_secret_'));
    const res = await fetch(`${deps.apiBase}/v1/payment_intents/${paymentIntentId}`, { headers: { authorization: `Bearer ${deps.secretKey}` } }).catch(() => undefined);
    if (!res || res.status >= 500) throw new DomainError('SERVICE_UNAVAILABLE', 'The payment provider cannot be reached');
    const pi = (await res.json().catch(() => ({}))) as { client_secret?: string };
    if (!res.ok || pi.client_secret !== clientSecret) throw new DomainError('NOT_FOUND', 'No such payment');
    const pm = await stripe('/v1/payment_methods', { type: 'card', 'card[number]': card, 'card[exp_month]': '12', 'card[exp_year]': '2034', 'card[cvc]': '123' });
    if (!pm.ok || !pm.body.id) throw new DomainError('VALIDATION_FAILED', pm.body.error?.message ?? 'The card was refused');
    const attached = await stripe(`/v1/payment_intents/${paymentIntentId}`, { payment_method: pm.body.id });
    if (!attached.ok) throw new DomainError('RESERVATION_NOT_PAYABLE', attached.body.error?.message ?? 'The payment can no longer be confirmed');
    const confirmed = await stripe(`/v1/payment_intents/${paymentIntentId}/confirm`, {});
    // A decline is an answer too: the webhook records it, and the page shows the provider's reason.
    return c.json({ status: confirmed.body.status ?? 'unknown', error: confirmed.body.error?.message ?? null }, 200);
  });
  return app;
}
