import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

/** A Standard Webhooks secret: `whsec_` and 32 random bytes in base64 (the library's format). */
export const newWebhookSecret = () => `whsec_${randomBytes(32).toString('base64')}`;

/** The `webhook-id` of one event for one endpoint: the same on every retry and replay, so a receiver dedupes by it. */
export const webhookMessageId = (endpointId: number, eventId: string) => `msg_${eventId.replaceAll('-', '')}_${endpointId}`;

/**
 * The three Standard Webhooks headers for one attempt: a fresh timestamp (receivers refuse old ones)
 * and one `v1,<signature>` per secret that signs now (the current one, and during a rotation's
 * overlap the previous one too), space-separated, so a receiver holding either secret verifies.
 */
export function webhookHeaders(secrets: string[], messageId: string, at: Date, body: string): Record<string, string> {
  return {
    'webhook-id': messageId,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': secrets.map((secret) => new Webhook(secret).sign(messageId, at, body)).join(' '),
  };
}
