import type { Db } from '../platform/db/client.js';
import { RefundList } from './refund-list.js';
import { WalletRepository } from './wallet-repository.js';

/**
 * Payment's public face for the composition roots: everything another capability may ask of payment
 * (wallets and their movements, the refund list), built on payment's own database handle (its own
 * MySQL user, granted on payment's database only). No other code holds that handle.
 */
export function createPaymentModule(db: Db, limits: { maxBalance: number }) {
  return { wallets: new WalletRepository(db, limits), refunds: new RefundList(db) };
}

export type PaymentModule = ReturnType<typeof createPaymentModule>;
