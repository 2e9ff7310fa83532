/**
 * Card payment types shared by the reservation workflow (sandbox: types only), its activities, the
 * webhook and the API.
 */
import type { WorkflowStatus } from '../booking/contracts.js';

/** The `payCard` update's answer: the client confirms the payment with the provider, then waits. */
export type CardPayResult =
  | { ok: true; status: 'PAYMENT_PENDING'; providerPaymentId: string; clientSecret: string; amount: number; currency: string }
  | { ok: false; code: 'PROVIDER_UNAVAILABLE' | 'RESERVATION_EXPIRED' | 'RESERVATION_NOT_PAYABLE' | 'ALREADY_PAID'; detail: string; status: WorkflowStatus };

/** What the provider says about a payment, re-fetched by the webhook (never the webhook's body). */
export interface CardOutcome {
  providerPaymentId: string;
  status: 'SUCCEEDED' | 'FAILED';
  reason?: string;
}

/** The startCardPayment activity's answer (ProviderUnavailable becomes a value: the buyer is told 503). */
export type CardStartResult =
  | { ok: true; providerPaymentId: string; clientSecret: string; amount: number; currency: string }
  | { ok: false; code: 'PROVIDER_UNAVAILABLE'; detail: string };
