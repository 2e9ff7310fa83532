import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Ticket codes: `CT1.<scheduleId>.<seatId>.<serial>.<signature>` (docs/tickets.md).
 *
 * - `serial`: 16 random bytes in hex, stored with the ticket: the code cannot be guessed from ids.
 * - `signature`: HMAC-SHA256 over everything before it with TICKET_SIGNING_SECRET, first 16 bytes,
 *   base64url (22 characters). Anyone holding the secret (a door scanner without a network) can
 *   check a code and read the performance and seat it is for without asking the server; the server
 *   checks the signature before it touches MySQL, so forged codes cost no query.
 * - `CT1` names the format and key generation. TICKET_SIGNING_SECRET_PREVIOUS still verifies after a
 *   rotation; codes are signed with the current secret whenever they are served.
 */
export interface TicketCodeParts {
  scheduleId: number;
  seatId: number;
  serial: string;
}

const VERSION = 'CT1';
const SIG_BYTES = 16;
const CODE_PATTERN = /^CT1\.([1-9][0-9]{0,15})\.([1-9][0-9]{0,15})\.([0-9a-f]{32})\.([A-Za-z0-9_-]{22})$/;

export const newSerial = () => randomBytes(16).toString('hex');

export class TicketCodes {
  private readonly keys: Buffer[];

  constructor(secret: string, previousSecret?: string) {
    this.keys = [secret, ...(previousSecret ? [previousSecret] : [])].map((s) => Buffer.from(s, 'utf8'));
  }

  sign(parts: TicketCodeParts): string {
    const body = bodyOf(parts);
    return `${body}.${signature(this.keys[0]!, body).toString('base64url')}`;
  }

  /** The parts of a genuine code, or undefined for anything else (malformed, altered, forged). */
  verify(code: string): TicketCodeParts | undefined {
    const m = CODE_PATTERN.exec(code);
    if (!m) return undefined;
    const parts = { scheduleId: Number(m[1]), seatId: Number(m[2]), serial: m[3]! };
    const given = Buffer.from(m[4]!, 'base64url');
    if (given.length !== SIG_BYTES) return undefined;
    const body = bodyOf(parts);
    return this.keys.some((key) => timingSafeEqual(signature(key, body), given)) ? parts : undefined;
  }
}

const bodyOf = (p: TicketCodeParts) => `${VERSION}.${p.scheduleId}.${p.seatId}.${p.serial}`;
const signature = (key: Buffer, body: string) => createHmac('sha256', key).update(body).digest().subarray(0, SIG_BYTES);
