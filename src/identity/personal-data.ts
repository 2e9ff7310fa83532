import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';

/**
 * Personal data at rest: AES-256-GCM with a random nonce, stored as `v1.<nonce>.<tag>.<cipher>`
 * (base64url). The version prefix names the key, so a rotation adds `v2` and re-encrypts lazily.
 * The blind index is an HMAC of the normalised email under a key derived from the same secret,
 * letting login find a user without decrypting every row.
 *
 * Key rotation (docs/security.md): the new key becomes DATA_ENCRYPTION_KEY and the old one
 * DATA_ENCRYPTION_KEY_PREVIOUS. Decryption tries the current key first and then the previous one
 * (GCM's tag rejects the wrong key, so trying is safe); login looks a user up under both blind
 * indexes and rewrites the row under the new key; a re-encryption job finishes the rest.
 */
export class PersonalDataCipher {
  private readonly encKey: Buffer;
  private readonly indexKey: Buffer;
  private readonly previous: PersonalDataCipher | undefined;

  constructor(base64Key: string, previousBase64Key?: string) {
    const master = Buffer.from(base64Key, 'base64');
    if (master.length !== 32) throw new Error('data encryption key must be 32 bytes');
    this.encKey = createHmac('sha256', master).update('encryption').digest();
    this.indexKey = createHmac('sha256', master).update('blind-index').digest();
    this.previous = previousBase64Key ? new PersonalDataCipher(previousBase64Key) : undefined;
  }

  /** The blind indexes an email may be stored under: current key first, then the previous one. */
  emailIndexes(email: string): string[] {
    return this.previous ? [this.emailIndex(email), this.previous.emailIndex(email)] : [this.emailIndex(email)];
  }

  encrypt(plain: string): string {
    const nonce = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.encKey, nonce);
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return ['v1', nonce.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join('.');
  }

  decrypt(sealed: string): string {
    try {
      return this.decryptWithOwnKey(sealed);
    } catch (err) {
      if (this.previous) return this.previous.decrypt(sealed);
      throw err;
    }
  }

  private decryptWithOwnKey(sealed: string): string {
    const [version, nonce, tag, body] = sealed.split('.');
    if (version !== 'v1' || !nonce || !tag || body === undefined) throw new Error('unknown personal data format');
    // authTagLength pins a full 16-byte tag: Node would otherwise accept a truncated one.
    const decipher = createDecipheriv('aes-256-gcm', this.encKey, Buffer.from(nonce, 'base64url'), { authTagLength: 16 });
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
  }

  emailIndex(email: string): string {
    return createHmac('sha256', this.indexKey).update(normaliseEmail(email)).digest('hex');
  }
}

export const normaliseEmail = (email: string) => email.trim().toLowerCase();
