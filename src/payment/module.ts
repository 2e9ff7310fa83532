import type { Db } from '../platform/db/client.js';
import { CardPayments } from './card-payments.js';
import { CardWebhook, type CardOutcomeSink } from './card-webhook.js';
import { PaymentStatusLookup } from './payment-status.js';
import type { PaymentProvider } from './provider.js';
import { Reconciliation, type Mismatch, type ReconciliationSink } from './reconciliation.js';
import { RefundList } from './refund-list.js';
import { PaymentRefunds } from './refunds.js';
import { SalesLedger } from './sales-ledger.js';
import { WalletRepository } from './wallet-repository.js';

/**
 * Payment's public face for the composition roots: everything another capability may ask of payment
 * (wallets and their movements, card payments through the provider, refunds by either method, the
 * refund list, payment status, the sales ledger), built on payment's own database handle (its own
 * MySQL user, granted on payment's database only). No other code holds that handle.
 */
export function createPaymentModule(db: Db, limits: { maxBalance: number }, provider?: PaymentProvider) {
  const wallets = new WalletRepository(db, limits);
  const cards = provider ? new CardPayments(db, provider) : undefined;
  return {
    wallets,
    cards,
    /** Card purchases through the provider, every other through the wallet. */
    purchaseRefunds: new PaymentRefunds(wallets, cards),
    refunds: new RefundList(db),
    status: new PaymentStatusLookup(db),
    salesLedger: new SalesLedger(db),
    webhook: (sink: CardOutcomeSink) => (provider ? new CardWebhook(db, provider, sink) : undefined),
    reconciliation: (sink: ReconciliationSink, onMismatch?: (m: Mismatch) => void) => (provider && cards ? new Reconciliation(db, provider, cards, sink, onMismatch) : undefined),
  };
}

export type PaymentModule = ReturnType<typeof createPaymentModule>;
