import Stripe from 'stripe';
import { ProviderPaymentMissing, ProviderUnavailable, WebhookRejected, type PaymentProvider, type ProviderPayment, type ProviderPaymentStatus, type ProviderRefund } from './provider.js';

export interface StripeSettings {
  /** The secret key: sk_test_... for Stripe's test mode, any sk_... for localstripe. */
  apiKey: string;
  /** Where the API answers: https://api.stripe.com, or the emulator (http://127.0.0.1:8420). */
  apiBase: string;
  /** The endpoint's signing secret (whsec_...). */
  webhookSecret: string;
  /** How old a webhook's signed timestamp may be, in seconds (Stripe's default is 300). */
  webhookToleranceSeconds: number;
  /** Per-request timeout: a provider that hangs must not hold a buyer's request or an activity long. */
  timeoutMs: number;
}

/**
 * Stripe PaymentIntents through the official SDK. Only what both Stripe and localstripe accept is
 * sent (the emulator refuses unknown parameters), so the same code runs against either.
 */
export class StripePaymentProvider implements PaymentProvider {
  readonly name = 'stripe';
  private readonly stripe: Stripe;

  constructor(private readonly settings: StripeSettings) {
    const base = new URL(settings.apiBase);
    this.stripe = new Stripe(settings.apiKey, {
      host: base.hostname,
      port: base.port || (base.protocol === 'https:' ? 443 : 80),
      protocol: base.protocol === 'https:' ? 'https' : 'http',
      timeout: settings.timeoutMs,
      // Our callers retry (activities, reconciliation); the SDK's own retry stays short.
      maxNetworkRetries: 1,
      telemetry: false,
    });
  }

  async createPayment(input: { reservationId: string; amount: number; currency: string }, idempotencyKey: string): Promise<ProviderPayment> {
    const pi = await this.call(() =>
      this.stripe.paymentIntents.create(
        { amount: input.amount, currency: input.currency.toLowerCase(), metadata: { reservationId: input.reservationId } },
        { idempotencyKey },
      ),
    );
    return toPayment(pi);
  }

  async retrievePayment(paymentId: string): Promise<ProviderPayment> {
    try {
      return toPayment(await this.call(() => this.stripe.paymentIntents.retrieve(paymentId)));
    } catch (err) {
      if (err instanceof Stripe.errors.StripeInvalidRequestError && err.statusCode === 404) throw new ProviderPaymentMissing(`the provider has no payment ${paymentId}`);
      throw err;
    }
  }

  async cancelPayment(paymentId: string): Promise<ProviderPayment> {
    try {
      return toPayment(await this.call(() => this.stripe.paymentIntents.cancel(paymentId)));
    } catch (err) {
      // A payment that succeeded (or is already cancelled) cannot be cancelled: 400. Its state decides.
      if (err instanceof Stripe.errors.StripeInvalidRequestError) return this.retrievePayment(paymentId);
      throw err;
    }
  }

  async refund(paymentId: string, input: { amount: number; reason: string }, idempotencyKey: string): Promise<ProviderRefund> {
    const r = await this.call(() => this.stripe.refunds.create({ payment_intent: paymentId, amount: input.amount, metadata: { reason: input.reason.slice(0, 400) } }, { idempotencyKey }));
    return toRefund(r, paymentId);
  }

  async listRefunds(paymentId: string): Promise<ProviderRefund[]> {
    const page = await this.call(() => this.stripe.refunds.list({ payment_intent: paymentId, limit: 100 }));
    return page.data.map((r) => toRefund(r, paymentId));
  }

  async *listPayments(since: Date, until: Date): AsyncIterable<ProviderPayment> {
    // No `created` filter: localstripe refuses it. Stripe lists newest first, so the walk stops at
    // the first payment older than the window there; the emulator's short list is read whole.
    let startingAfter: string | undefined;
    for (;;) {
      const page = await this.call(() => this.stripe.paymentIntents.list({ limit: 100, ...(startingAfter ? { starting_after: startingAfter } : {}) }));
      let older = 0;
      for (const pi of page.data) {
        const p = toPayment(pi);
        if (p.createdAt >= since && p.createdAt < until) yield p;
        else if (p.createdAt < since) older += 1;
      }
      if (!page.has_more || page.data.length === 0 || older === page.data.length) return;
      startingAfter = page.data[page.data.length - 1]!.id;
    }
  }

  verifyWebhook(rawBody: string, signature: string | undefined) {
    if (!signature) throw new WebhookRejected('Stripe-Signature header is missing');
    let event: Stripe.Event;
    try {
      event = this.stripe.webhooks.constructEvent(rawBody, signature, this.settings.webhookSecret, this.settings.webhookToleranceSeconds);
    } catch (err) {
      throw new WebhookRejected(err instanceof Error ? err.message : 'signature verification failed');
    }
    const object = (event.data?.object ?? {}) as { id?: unknown; object?: unknown };
    const paymentId = object.object === 'payment_intent' && typeof object.id === 'string' ? object.id : undefined;
    return { id: event.id, type: event.type, paymentId };
  }

  /** Maps the SDK's transport and 5xx/429 errors to ProviderUnavailable; 4xx stay as they are. */
  private async call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof Stripe.errors.StripeConnectionError || err instanceof Stripe.errors.StripeAPIError || err instanceof Stripe.errors.StripeRateLimitError) {
        throw new ProviderUnavailable(`payment provider unavailable: ${err.message}`);
      }
      if (err instanceof Stripe.errors.StripeError && (err.statusCode ?? 0) >= 500) throw new ProviderUnavailable(`payment provider answered ${err.statusCode}: ${err.message}`);
      throw err;
    }
  }
}

const STATUS: Record<string, ProviderPaymentStatus> = {
  requires_payment_method: 'PENDING',
  requires_confirmation: 'PENDING',
  requires_action: 'PENDING',
  requires_capture: 'PROCESSING',
  processing: 'PROCESSING',
  succeeded: 'SUCCEEDED',
  canceled: 'CANCELED',
};

function toPayment(pi: Stripe.PaymentIntent): ProviderPayment {
  const lastError = pi.last_payment_error?.message ?? pi.last_payment_error?.code ?? undefined;
  // A declined attempt leaves the intent waiting for another payment method, with the decline recorded.
  const status = pi.status === 'requires_payment_method' && lastError ? 'FAILED' : (STATUS[pi.status] ?? 'PENDING');
  return {
    id: pi.id,
    status,
    amount: pi.amount,
    currency: pi.currency,
    reservationId: pi.metadata?.reservationId,
    clientSecret: pi.client_secret ?? undefined,
    lastError,
    createdAt: new Date(pi.created * 1000),
  };
}

function toRefund(r: Stripe.Refund, paymentId: string): ProviderRefund {
  return { id: r.id, paymentId: typeof r.payment_intent === 'string' ? r.payment_intent : (r.payment_intent?.id ?? paymentId), amount: r.amount, createdAt: new Date(r.created * 1000) };
}
