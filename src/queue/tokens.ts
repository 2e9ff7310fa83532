import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { DomainError } from '../shared/errors.js';
import { parseToken, tokenPayload, type QueueTokenClaims } from './domain.js';

/**
 * Queue tokens are `q1.<scheduleId>.<userId>.<tokenId>.<HMAC-SHA256>`: bound to one user and one
 * schedule, unforgeable without the key. The token carries no status: that lives in Redis under the
 * token id, so an expired or replaced token is refused even though its signature is still good.
 */
export class QueueTokenSigner {
  private readonly key: Buffer;

  /** `secret` is QUEUE_TOKEN_SECRET, or JWT_SECRET with a domain label so the two never collide. */
  constructor(secret: string, derived = false) {
    this.key = derived ? createHmac('sha256', secret).update('queue-token-key/v1').digest() : Buffer.from(secret);
  }

  static newTokenId(): string {
    return randomBytes(16).toString('base64url');
  }

  sign(claims: QueueTokenClaims): string {
    const payload = tokenPayload(claims);
    return `${payload}.${this.mac(payload)}`;
  }

  /** Verifies the signature and the binding; throws a 401/403 problem otherwise. */
  verify(token: string | undefined, expect: { userId: number; scheduleId?: number }): QueueTokenClaims {
    if (!token) throw new DomainError('QUEUE_TOKEN_REQUIRED', 'This request needs a waiting-room token in the X-Queue-Token header');
    const parsed = parseToken(token);
    const good = parsed && timingSafeEqual(Buffer.from(parsed.signature), Buffer.from(this.mac(parsed.payload)));
    if (!parsed || !good) throw new DomainError('QUEUE_TOKEN_INVALID', 'The waiting-room token is malformed or its signature is wrong');
    if (parsed.claims.userId !== expect.userId) throw new DomainError('QUEUE_TOKEN_INVALID', 'The waiting-room token belongs to another user');
    if (expect.scheduleId !== undefined && parsed.claims.scheduleId !== expect.scheduleId)
      throw new DomainError('QUEUE_TOKEN_INVALID', `The waiting-room token is for schedule ${parsed.claims.scheduleId}, not ${expect.scheduleId}`);
    return parsed.claims;
  }

  private mac(payload: string): string {
    return createHmac('sha256', this.key).update(payload).digest('base64url');
  }
}
