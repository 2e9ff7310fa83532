import { createRoute, z } from '@hono/zod-openapi';
import { createRouter } from '../platform/http/app.js';
import { json, problems } from '../platform/http/openapi.js';
import { DomainError } from '../shared/errors.js';
import type { CardWebhook } from './card-webhook.js';
import { ProviderUnavailable, WebhookRejected } from './provider.js';

/**
 * POST /webhooks/stripe: the provider's events. The raw body is verified before anything parses it
 * (Stripe-Signature, with a timestamp tolerance); a bad, missing or too old signature is 400 and
 * changes nothing. No Bearer token: the signature is the authentication.
 */
export function webhookRoutes(deps: { webhook: CardWebhook | undefined }) {
  const app = createRouter();
  app.openapi(
    createRoute({
      method: 'post',
      path: '/webhooks/stripe',
      tags: ['payments'],
      summary: 'Stripe webhook (payment_intent.*): signature-verified, idempotent by event id',
      description:
        'Verifies Stripe-Signature over the raw body (tolerance STRIPE_WEBHOOK_TOLERANCE_SECONDS), ignores an event id seen before, ' +
        'fetches the PaymentIntent from the provider (the body is never trusted) and hands its state to the reservation workflow. ' +
        '400 WEBHOOK_SIGNATURE_INVALID for a bad, missing or old signature; 404 where card payments are not configured (PAYMENT_PROVIDER=none); 503 when the provider or Temporal is down (the sender retries; the reconciliation repairs what is never resent).',
      request: { headers: z.object({ 'stripe-signature': z.string().max(2048).optional() }) },
      responses: { 200: json(z.object({ received: z.literal(true), duplicate: z.boolean() }), 'Handled (or seen before)'), ...problems(400, 404, 503) },
    }),
    async (c) => {
      // Not a passing outage (503) but a deployment without card payments: nothing is here to call.
      if (!deps.webhook) throw new DomainError('NOT_FOUND', 'Card payments are not configured');
      const raw = await c.req.text();
      try {
        const result = await deps.webhook.handle(raw, c.req.header('stripe-signature'));
        return c.json({ received: true as const, duplicate: result.duplicate }, 200);
      } catch (err) {
        if (err instanceof WebhookRejected) throw new DomainError('VALIDATION_FAILED', `Webhook refused: ${err.message}`, { reason: 'WEBHOOK_SIGNATURE_INVALID' });
        if (err instanceof ProviderUnavailable) throw new DomainError('SERVICE_UNAVAILABLE', 'The payment provider is not answering; send the event again later');
        throw err;
      }
    },
  );
  return app;
}
