import { appendEvent } from '../events/index.js';
import type { Db } from '../platform/db/client.js';
import type { CardPayments } from './card-payments.js';
import type { CardOutcome } from '../../workflows/booking/reservation-contract.js';
import { ProviderPaymentMissing, type PaymentProvider } from './provider.js';

export interface ReconciliationSink {
  deliver(reservationId: string, outcome: CardOutcome): Promise<string>;
  startLatePayment(reservationId: string, providerPaymentId: string): Promise<void>;
}

export interface Mismatch {
  /**
   * RECORDED_SUCCESS_NOT_AT_PROVIDER: we record the money moved, the provider says the payment did not succeed;
   * RECORDED_SUCCESS_UNKNOWN_TO_PROVIDER: we record the money moved, the provider has no such payment;
   * REFUND_MISSING_AT_PROVIDER: we record a refund the provider never made.
   */
  kind: 'RECORDED_SUCCESS_NOT_AT_PROVIDER' | 'RECORDED_SUCCESS_UNKNOWN_TO_PROVIDER' | 'REFUND_MISSING_AT_PROVIDER';
  providerPaymentId: string;
  reservationId: string | null;
  detail: string;
}

export interface ReconciliationReport {
  since: string;
  until: string;
  /** Our provider payments (metadata.reservationId) created in the window. */
  checked: number;
  /** Succeeded payments whose webhook never came: handed to their workflow (applied, or refunded if it closed). */
  applied: string[];
  /** Succeeded payments we never recorded, or recorded as cancelled: refunded by a late-payment workflow. */
  refunded: string[];
  /** What may not be repaired automatically: reported (PaymentMismatch event, metric, alert). */
  mismatches: Mismatch[];
}

/**
 * Compares the provider's payments for a window with ours and repairs what is safe: a success whose
 * webhook was lost goes the webhook's way (the workflow applies it, or the late-payment workflow
 * refunds it). The rest is reported. Run hourly by a Temporal Schedule and by `npm run reconcile`.
 */
export class Reconciliation {
  constructor(
    private readonly db: Db,
    private readonly provider: PaymentProvider,
    private readonly cards: CardPayments,
    private readonly sink: ReconciliationSink,
    private readonly onMismatch: (m: Mismatch) => void = () => undefined,
  ) {}

  async run(since: Date, until: Date): Promise<ReconciliationReport> {
    const report: ReconciliationReport = { since: since.toISOString(), until: until.toISOString(), checked: 0, applied: [], refunded: [], mismatches: [] };
    const listed = new Set<string>();
    for await (const payment of this.provider.listPayments(since, until)) {
      const reservationId = payment.reservationId;
      if (!reservationId) continue; // not created by us
      listed.add(payment.id);
      report.checked += 1;
      const card = await this.cards.findByProviderId(payment.id);
      if (payment.status === 'SUCCEEDED') {
        if (card && (card.status === 'PENDING' || card.status === 'FAILED')) {
          await this.sink.deliver(reservationId, { providerPaymentId: payment.id, status: 'SUCCEEDED' });
          report.applied.push(payment.id);
        } else if (!card || card.status === 'CANCELED') {
          await this.sink.startLatePayment(reservationId, payment.id);
          report.refunded.push(payment.id);
        } else if (card.status === 'REFUNDED' || card.status === 'LATE_REFUNDED') {
          if ((await this.provider.listRefunds(payment.id)).length === 0) {
            report.mismatches.push({ kind: 'REFUND_MISSING_AT_PROVIDER', providerPaymentId: payment.id, reservationId, detail: `we record ${card.status}, the provider has no refund` });
          }
        }
      } else if (card && (card.status === 'SUCCEEDED' || card.status === 'REFUNDED' || card.status === 'LATE_REFUNDED')) {
        report.mismatches.push({ kind: 'RECORDED_SUCCESS_NOT_AT_PROVIDER', providerPaymentId: payment.id, reservationId, detail: `we record ${card.status}, the provider says ${payment.status}` });
      }
    }
    // The other way round: what we record as paid that the provider did not list as succeeded.
    for (const card of await this.cards.recordedSuccesses(since, until)) {
      if (listed.has(card.providerPaymentId)) continue; // compared above
      report.checked += 1;
      const mismatch = await this.unlistedSuccess(card.providerPaymentId, card.status);
      if (mismatch) report.mismatches.push({ ...mismatch, providerPaymentId: card.providerPaymentId, reservationId: card.reservationId });
    }
    for (const m of report.mismatches) {
      this.onMismatch(m);
      await appendEvent(this.db, 'PaymentMismatch', `card-${m.providerPaymentId}`, { kind: m.kind, providerPaymentId: m.providerPaymentId, reservationId: m.reservationId, detail: m.detail });
    }
    return report;
  }

  /**
   * A payment we record as paid that the provider's list for the window left out: asked for by id,
   * since our row and the provider's payment are created moments apart and may straddle the window.
   */
  private async unlistedSuccess(providerPaymentId: string, ours: string): Promise<Pick<Mismatch, 'kind' | 'detail'> | undefined> {
    try {
      const payment = await this.provider.retrievePayment(providerPaymentId);
      if (payment.status === 'SUCCEEDED') return undefined;
      return { kind: 'RECORDED_SUCCESS_NOT_AT_PROVIDER', detail: `we record ${ours}, the provider says ${payment.status}` };
    } catch (err) {
      if (err instanceof ProviderPaymentMissing) return { kind: 'RECORDED_SUCCESS_UNKNOWN_TO_PROVIDER', detail: `we record ${ours}, the provider has no such payment` };
      throw err;
    }
  }
}
