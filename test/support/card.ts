import { serve, type ServerType } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import type { TestContext } from './harness.js';

/** Test cards localstripe knows (its PaymentMethod rules): success, a decline at charge, 3-D Secure. */
export const CARDS = { success: '4242424242424242', declined: '4000000000000341', authentication: '4000002500003155' } as const;

/**
 * The buyer's client at the provider (what Stripe.js does in a browser), straight over the emulator's
 * REST API: `stripe` calls it, `confirm` makes a PaymentMethod from a test card, attaches it to the
 * PaymentIntent and confirms it, answering the provider's status code. Also used by the chaos run
 * and the booking benchmark (scripts/).
 */
export function emulatorClient(base: string, key: string) {
  const stripe = async (method: 'GET' | 'POST', path: string, form?: Record<string, string>) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
      body: form ? new URLSearchParams(form).toString() : undefined,
    });
    const text = await res.text();
    let body: any;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = text; // the emulator answers some refusals as plain text
    }
    return { status: res.status, body };
  };

  const confirm = async (paymentIntentId: string, card: string = CARDS.success) => {
    const pm = await stripe('POST', '/v1/payment_methods', { type: 'card', 'card[number]': card, 'card[exp_month]': '12', 'card[exp_year]': '2034', 'card[cvc]': '123' });
    if (pm.status !== 200) throw new Error(`payment method refused: ${JSON.stringify(pm.body)}`);
    const attached = await stripe('POST', `/v1/payment_intents/${paymentIntentId}`, { payment_method: pm.body.id });
    if (attached.status !== 200) return attached.status; // e.g. cancelled meanwhile
    return (await stripe('POST', `/v1/payment_intents/${paymentIntentId}/confirm`, {})).status;
  };

  return { stripe, confirm };
}

/**
 * The provider side of a card test: the API served on a real port so localstripe can deliver its
 * webhooks, registered under this file's id and secret, and the buyer's client (what Stripe.js does
 * in a browser): a PaymentMethod from a test card, attached to the PaymentIntent, then confirmed.
 */
export async function cardProvider(ctx: TestContext) {
  const base = ctx.config.STRIPE_API_BASE;
  const { stripe, confirm } = emulatorClient(base, ctx.config.STRIPE_SECRET_KEY);
  let server: ServerType | undefined;
  let url = '';

  /** (Re)registers this file's webhook endpoint: localstripe forgets them when it restarts. */
  const register = async (target = url) => {
    const res = await fetch(`${base}/_config/webhooks/${ctx.id}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ url: target, secret: ctx.config.STRIPE_WEBHOOK_SECRET }).toString(),
    });
    if (!res.ok) throw new Error(`registering the webhook failed: ${res.status}`);
  };

  const start = async () => {
    server = await new Promise<ServerType>((resolve) => {
      const s = serve({ fetch: ctx.app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
    });
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/stripe`;
    await register();
  };

  const close = async () => {
    // Point the registration at nothing that answers: localstripe keeps it until it restarts.
    await register('http://127.0.0.1:9/closed').catch(() => undefined);
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  };

  return { start, register, confirm, stripe, close, webhookUrl: () => url };
}
