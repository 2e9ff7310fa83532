import { createHash } from 'node:crypto';

/** The ledger's `reference` column (wallet_ledger.reference, VARCHAR(100)). */
export const LEDGER_REFERENCE_MAX = 100;

/**
 * The ledger reference of a keyed money movement: `prefix` + the Idempotency-Key as it always was
 * when that fits the column (so rows written before this rule still match their retries), and
 * `prefix` + `sha256:` + the key's SHA-256 in hex otherwise (issue 25, defect 2: a 100-character key
 * made `charge:` + key overflow the column, and the retry failed forever). The hashed form is 71
 * characters, so any prefix up to 29 characters (`adjust:<16-digit admin id>:` is 24) fits.
 * A short key spelling out a long key's hashed form (`sha256:<hex>`) maps to the same reference:
 * references are unique per user and kind, so only the same user can do that, to their own ledger,
 * and the second request is a no-op, never a second movement.
 */
export function ledgerReference(prefix: string, key: string): string {
  const raw = `${prefix}${key}`;
  if (raw.length <= LEDGER_REFERENCE_MAX) return raw;
  return `${prefix}sha256:${createHash('sha256').update(key).digest('hex')}`;
}
