import { createPrivateKey, createPublicKey, hkdfSync, type KeyObject } from 'node:crypto';

/**
 * Per-performance Ed25519 key pairs for ticket codes (docs/tickets.md "Rotating codes"), derived,
 * not stored: private key = HKDF-SHA256(TICKET_CODE_SEED, info = "ticket-code:v1:schedule:<id>").
 *
 * Why derived: every API process computes the same pair with no table, no migration and no key
 * distribution; a performance's key is independent of every other's (HKDF), so the public key a door
 * scanner downloads for one show says nothing about another; and rotating the seed rotates every
 * performance's key at once. The seed never leaves the server: scanners get public keys only.
 * Rotation: the new seed in TICKET_CODE_SEED, the old one in TICKET_CODE_SEED_PREVIOUS. Codes are
 * signed with the current seed's key; both keys verify (server and scanner get both public keys), so
 * codes printed in PDFs before the rotation keep admitting until the previous seed is dropped.
 */
export interface ScheduleKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** The raw 32-byte public key, base64url: what a door scanner imports (WebCrypto `raw`). */
  publicKeyRaw: string;
}

// PKCS#8 wrapping of a raw Ed25519 private key (RFC 8410): a fixed 16-byte prefix, then the 32 bytes.
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

export class ScheduleKeys {
  private readonly seeds: Buffer[];
  private readonly cache = new Map<string, ScheduleKey>();

  constructor(seed: string, previousSeed?: string) {
    this.seeds = [seed, ...(previousSeed ? [previousSeed] : [])].map((s) => Buffer.from(s, 'utf8'));
  }

  /** The key that signs new codes of the performance. */
  current(scheduleId: number): ScheduleKey {
    return this.derive(0, scheduleId);
  }

  /** Every key that verifies the performance's codes: the current one first, then the previous seed's. */
  verifying(scheduleId: number): ScheduleKey[] {
    return this.seeds.map((_, i) => this.derive(i, scheduleId));
  }

  private derive(generation: number, scheduleId: number): ScheduleKey {
    const cacheKey = `${generation}:${scheduleId}`;
    let key = this.cache.get(cacheKey);
    if (!key) {
      const raw = Buffer.from(hkdfSync('sha256', this.seeds[generation]!, Buffer.alloc(0), `ticket-code:v1:schedule:${scheduleId}`, 32));
      const privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, raw]), format: 'der', type: 'pkcs8' });
      const publicKey = createPublicKey(privateKey);
      key = { privateKey, publicKey, publicKeyRaw: publicKey.export({ format: 'jwk' }).x! };
      // Bounded: one entry per performance scanned or served by this process (a few thousand at most).
      if (this.cache.size > 10_000) this.cache.clear();
      this.cache.set(cacheKey, key);
    }
    return key;
  }
}
