/**
 * The port to a card payment provider. Stripe's PaymentIntents are behind it today
 * (provider-stripe.ts); a Korean provider (Toss Payments' confirm flow, PortOne) would be another
 * adapter with the same five verbs. Amounts are in KRW (a zero-decimal currency: whole won).
 */
export type ProviderPaymentStatus = 'PENDING' | 'PROCESSING' | 'SUCCEEDED' | 'FAILED' | 'CANCELED';

export interface ProviderPayment {
  id: string;
  status: ProviderPaymentStatus;
  amount: number;
  currency: string;
  /** Our reservation id, from the payment's metadata (absent on payments we did not create). */
  reservationId?: string | undefined;
  /** Handed to the buyer's client to confirm the payment with the provider; the API never sees cards. */
  clientSecret?: string | undefined;
  /** The provider's reason for the latest failed attempt (a decline), if any. */
  lastError?: string | undefined;
  createdAt: Date;
}

export interface ProviderRefund {
  id: string;
  paymentId: string;
  amount: number;
  createdAt: Date;
}

/** A verified webhook: only its id, type and the payment it is about (never trusted beyond that). */
export interface ProviderEvent {
  id: string;
  type: string;
  paymentId?: string | undefined;
}

export interface PaymentProvider {
  readonly name: string;
  /** One payment per idempotency key: a retry answers the first payment. */
  createPayment(input: { reservationId: string; amount: number; currency: string }, idempotencyKey: string): Promise<ProviderPayment>;
  /** Throws ProviderPaymentMissing when the provider does not know the payment. */
  retrievePayment(paymentId: string): Promise<ProviderPayment>;
  /** Cancels an unpaid payment; answers the payment as it is when it can no longer be cancelled (it succeeded). */
  cancelPayment(paymentId: string): Promise<ProviderPayment>;
  refund(paymentId: string, input: { amount: number; reason: string }, idempotencyKey: string): Promise<ProviderRefund>;
  listRefunds(paymentId: string): Promise<ProviderRefund[]>;
  /** The payments created in [since, until), newest first, paged through. */
  listPayments(since: Date, until: Date): AsyncIterable<ProviderPayment>;
  /** Verifies a webhook's signature and age over the raw body; throws WebhookRejected. */
  verifyWebhook(rawBody: string, signature: string | undefined): ProviderEvent;
}

/** The provider could not be reached or answered 5xx/429: retry later (the call may have landed). */
export class ProviderUnavailable extends Error {}

/** The provider has no payment with this id (never created there, or made under another account). */
export class ProviderPaymentMissing extends Error {}

/** A webhook whose signature is missing, wrong or too old. */
export class WebhookRejected extends Error {}
