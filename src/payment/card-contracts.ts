/**
 * Card payment types of payment's activities. The `payCard` update's answer and the provider's verdict
 * (CardPayResult, CardOutcome) are the reservation workflow's: workflows/booking/reservation-contract.ts.
 */
/** The startCardPayment activity's answer (ProviderUnavailable becomes a value: the buyer is told 503). */
export type CardStartResult =
  | { ok: true; providerPaymentId: string; clientSecret: string; amount: number; currency: string }
  | { ok: false; code: 'PROVIDER_UNAVAILABLE'; detail: string };
