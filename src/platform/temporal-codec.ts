import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
const KEY_ID = 'encryption-key-id';
const CIPHER = 'encryption-cipher';
const AAD = Buffer.from('temporal-payload-v1');
const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

interface CodecKey {
  id: string;
  key: Buffer;
}

/** The codec key and its public id, both derived from a DATA_ENCRYPTION_KEY (never the key itself). */
function deriveKey(base64MasterKey: string): CodecKey {
  const master = Buffer.from(base64MasterKey, 'base64');
  if (master.length !== 32) throw new Error('data encryption key must be 32 bytes');
  return {
    key: createHmac('sha256', master).update('temporal-payload-codec').digest(),
    id: createHmac('sha256', master).update('temporal-payload-codec-key-id').digest('hex').slice(0, 16),
  };
}

/**
 * AES-256-GCM for every Temporal payload (workflow and activity inputs and results, signals,
 * updates, queries, memos), so the Temporal server and its database hold ciphertext only: user ids
 * with seat choices, amounts and anything personal added later. Search attributes are not payloads:
 * they stay readable (and must never carry personal data).
 *
 * The whole original payload (metadata + data) is sealed, so the original encoding is hidden too.
 * Each encrypted payload names its key id, so after a DATA_ENCRYPTION_KEY rotation histories written
 * under the previous key still decode while it is configured as DATA_ENCRYPTION_KEY_PREVIOUS.
 * Payloads without the encrypted encoding (histories from before the codec) pass through unchanged.
 */
export class AesGcmPayloadCodec implements PayloadCodec {
  private readonly current: CodecKey;
  private readonly byId: Map<string, Buffer>;

  constructor(dataEncryptionKey: string, previousKey?: string) {
    this.current = deriveKey(dataEncryptionKey);
    const keys = [this.current, ...(previousKey ? [deriveKey(previousKey)] : [])];
    this.byId = new Map(keys.map((k) => [k.id, k.key]));
  }

  get keyId() {
    return this.current.id;
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => this.encodeOne(p));
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => this.decodeOne(p));
  }

  private encodeOne(payload: Payload): Payload {
    const plain = utf8.encode(JSON.stringify(toWire(payload)));
    const nonce = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.current.key, nonce);
    cipher.setAAD(AAD);
    const sealed = Buffer.concat([nonce, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
    return {
      metadata: { encoding: utf8.encode(ENCRYPTED_ENCODING), [KEY_ID]: utf8.encode(this.current.id), [CIPHER]: utf8.encode('AES256-GCM') },
      data: new Uint8Array(sealed),
    };
  }

  private decodeOne(payload: Payload): Payload {
    const encoding = payload.metadata?.encoding;
    if (!encoding || fromUtf8.decode(encoding) !== ENCRYPTED_ENCODING) return payload;
    const keyId = payload.metadata?.[KEY_ID] ? fromUtf8.decode(payload.metadata[KEY_ID]) : '';
    const key = this.byId.get(keyId);
    if (!key) throw new PayloadDecryptionError(`no key with id ${keyId || '(none)'}; is DATA_ENCRYPTION_KEY_PREVIOUS set?`);
    const data = Buffer.from(payload.data ?? new Uint8Array());
    if (data.length < 12 + 16) throw new PayloadDecryptionError('encrypted payload too short');
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, 12), { authTagLength: 16 });
      decipher.setAAD(AAD);
      decipher.setAuthTag(data.subarray(data.length - 16));
      const plain = Buffer.concat([decipher.update(data.subarray(12, data.length - 16)), decipher.final()]);
      return fromWire(JSON.parse(plain.toString('utf8')));
    } catch {
      throw new PayloadDecryptionError('encrypted payload failed authentication');
    }
  }
}

export class PayloadDecryptionError extends Error {
  override name = 'PayloadDecryptionError';
}

/** A payload in the proto3-JSON shape of Temporal's remote codec protocol: bytes as base64. */
export interface WirePayload {
  metadata?: Record<string, string> | null | undefined;
  data?: string | null | undefined;
}

export function toWire(p: Payload): WirePayload {
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(p.metadata ?? {})) if (v) metadata[k] = Buffer.from(v).toString('base64');
  return { metadata, data: Buffer.from(p.data ?? new Uint8Array()).toString('base64') };
}

export function fromWire(w: WirePayload): Payload {
  const metadata: Record<string, Uint8Array> = {};
  for (const [k, v] of Object.entries(w.metadata ?? {})) metadata[k] = new Uint8Array(Buffer.from(v, 'base64'));
  return { metadata, data: new Uint8Array(Buffer.from(w.data ?? '', 'base64')) };
}

/** The data converter option for clients and workers. */
export const encryptedDataConverter = (dataEncryptionKey: string, previousKey?: string) => ({
  payloadCodecs: [new AesGcmPayloadCodec(dataEncryptionKey, previousKey)],
});
