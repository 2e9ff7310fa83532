import { createHash, randomBytes } from 'node:crypto';

/**
 * A reservation id derived from the user and their Idempotency-Key, so a repeated request maps to
 * the same workflow id (`reservation-<id>`) and cannot hold seats twice. Without a key: random.
 */
export function reservationIdFor(userId: number, idempotencyKey: string | undefined): string {
  if (!idempotencyKey) return randomBytes(12).toString('hex');
  return createHash('sha256').update(`${userId}:${idempotencyKey}`).digest('hex').slice(0, 24);
}

export { RESERVATION_ID_PATTERN } from '../../workflows/booking/reservation-contract.js';
