import { eq } from 'drizzle-orm';
import type { Db } from '../platform/db/client.js';
import type { CardOutcome } from '../../workflows/booking/reservation-contract.js';
import type { PaymentProvider, ProviderPayment } from './provider.js';
import { providerEvents } from './schema.js';

export interface CardOutcomeSink {
  deliver(reservationId: string, outcome: CardOutcome): Promise<string>;
}

/** The provider's verdict on a payment as the workflow takes it, or nothing while it is undecided. */
export function outcomeOf(payment: ProviderPayment): CardOutcome | undefined {
  if (payment.status === 'SUCCEEDED') return { providerPaymentId: payment.id, status: 'SUCCEEDED' };
  if (payment.status === 'FAILED') return { providerPaymentId: payment.id, status: 'FAILED', reason: payment.lastError ?? 'declined' };
  return undefined;
}

/**
 * A provider webhook, after its signature was verified: idempotent by the provider's event id, and
 * never trusting the body: the payment is fetched from the provider and its state is what counts
 * (so events that arrive twice or out of order, failed after succeeded, change nothing wrong).
 */
export class CardWebhook {
  constructor(
    private readonly db: Db,
    private readonly provider: PaymentProvider,
    private readonly sink: CardOutcomeSink,
  ) {}

  async handle(rawBody: string, signature: string | undefined): Promise<{ duplicate: boolean; delivered?: string }> {
    const event = this.provider.verifyWebhook(rawBody, signature);
    // The provider is asked while our dedup table is read (one round trip fewer on every webhook;
    // a duplicate, rare, costs a wasted retrieve, and its failure is ignored).
    const fetching = event.paymentId ? this.provider.retrievePayment(event.paymentId) : undefined;
    fetching?.catch(() => undefined);
    const [seen] = await this.db.select().from(providerEvents).where(eq(providerEvents.eventId, event.id)).limit(1);
    if (seen) return { duplicate: true };
    let delivered: string | undefined;
    if (fetching) {
      const payment = await fetching;
      const outcome = outcomeOf(payment);
      if (outcome && payment.reservationId) delivered = await this.sink.deliver(payment.reservationId, outcome);
    }
    // Recorded only once handled: a delivery that failed (Temporal down) is answered 503 and may be
    // sent again; a concurrent duplicate is harmless (the workflow's steps are idempotent).
    await this.db.insert(providerEvents).values({ eventId: event.id, type: event.type.slice(0, 100), providerPaymentId: event.paymentId ?? null }).onDuplicateKeyUpdate({ set: { eventId: event.id } });
    return { duplicate: false, ...(delivered ? { delivered } : {}) };
  }
}
