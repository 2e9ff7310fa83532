import type { Config } from '../config.js';
import type { PaymentProvider } from './provider.js';
import { StripePaymentProvider } from './provider-stripe.js';

/** The configured card payment provider, or none (PAYMENT_PROVIDER=none: card payments answer 503). */
export function createPaymentProvider(config: Config): PaymentProvider | undefined {
  if (config.PAYMENT_PROVIDER === 'none') return undefined;
  return new StripePaymentProvider({
    apiKey: config.STRIPE_SECRET_KEY,
    apiBase: config.STRIPE_API_BASE,
    webhookSecret: config.STRIPE_WEBHOOK_SECRET,
    webhookToleranceSeconds: config.STRIPE_WEBHOOK_TOLERANCE_SECONDS,
    timeoutMs: config.STRIPE_TIMEOUT_MS,
  });
}
