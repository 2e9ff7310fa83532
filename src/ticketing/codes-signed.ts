import { sign as ed25519Sign, verify as ed25519Verify } from 'node:crypto';
import type { ScheduleKey, ScheduleKeys } from './codes-keys.js';

/**
 * Ticket codes signed with the performance's Ed25519 key (docs/tickets.md "Rotating codes"):
 *
 *   rotating (the buyer's page): CR1.<scheduleId>.<ticketId>.<serial>.<step>.<signature>
 *   static (the PDF):            CS1.<scheduleId>.<ticketId>.<serial>.<signature>
 *
 * - `serial`: the ticket's 16-byte serial, base64url (22 characters). Reissuing it (a transfer) kills
 *   every code made from the old one at once: the server and the scanner's list know the current one.
 * - `step`: the RFC 6238 time step, floor(unix seconds / 15) (T0 = 0, X = 15 s). A rotating code admits
 *   in its own step and one step either side (clock skew between the buyer's phone, the server and
 *   the scanner); two steps old is CODE_EXPIRED, so a screenshot is worth at most 30 s.
 * - `signature`: Ed25519 over everything before the last dot, base64url (86 characters). Anyone with
 *   the performance's public key (a door scanner) can check it; only the server can make one.
 * A rotating code is about 140 characters: a version 8 QR at error correction M (49 × 49 modules).
 * A static code only admits from the performance's gates-open time (TICKET_GATES_OPEN_MINUTES
 * before it starts): see docs/tickets.md for why.
 */
export const CODE_STEP_SECONDS = 15;
/** Steps a rotating code may be off by, either way, and still admit. */
export const CODE_SKEW_STEPS = 1;

export type CodeKind = 'ROTATING' | 'STATIC';

export interface TicketKeyFacts {
  id: number;
  scheduleId: number;
  /** 32 lowercase hex digits, as stored. */
  serial: string;
}

export interface SignedCodeParts {
  kind: CodeKind;
  scheduleId: number;
  ticketId: number;
  serial: string;
  /** Rotating codes only. */
  step?: number;
}

/** Why a code does not admit, before the ticket itself is looked at. */
export type CodeRefusal = 'CODE_FORGED' | 'CODE_EXPIRED' | 'CODE_NOT_YET_VALID' | 'GATES_NOT_OPEN';

export type CodeCheck = { ok: true; parts: SignedCodeParts } | { ok: false; reason: CodeRefusal; parts?: SignedCodeParts };

export interface RotatingCode {
  code: string;
  step: number;
  /** The step's end (the page shows the next code then; the code still admits one more step). */
  expiresAt: Date;
}

const ROTATING = /^CR1\.([1-9][0-9]{0,15})\.([1-9][0-9]{0,15})\.([A-Za-z0-9_-]{22})\.(0|[1-9][0-9]{0,11})\.([A-Za-z0-9_-]{86})$/;
const STATIC = /^CS1\.([1-9][0-9]{0,15})\.([1-9][0-9]{0,15})\.([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{86})$/;
const SIGNATURE_BYTES = 64;

export const stepAt = (at: Date) => Math.floor(at.getTime() / 1000 / CODE_STEP_SECONDS);
export const stepEnd = (step: number) => new Date((step + 1) * CODE_STEP_SECONDS * 1000);

const serialToCode = (hex: string) => Buffer.from(hex, 'hex').toString('base64url');

export class TicketCodeSigner {
  constructor(private readonly keys: ScheduleKeys) {}

  /** The code the buyer's page shows during the step that holds `at`. */
  rotating(ticket: TicketKeyFacts, at: Date): RotatingCode {
    const step = stepAt(at);
    const body = `CR1.${ticket.scheduleId}.${ticket.id}.${serialToCode(ticket.serial)}.${step}`;
    return { code: this.signed(ticket.scheduleId, body), step, expiresAt: stepEnd(step) };
  }

  /** The PDF's code: does not rotate; admits only from the gates-open time. */
  static(ticket: TicketKeyFacts): string {
    return this.signed(ticket.scheduleId, `CS1.${ticket.scheduleId}.${ticket.id}.${serialToCode(ticket.serial)}`);
  }

  /** The performance's public keys, current first (what a door scanner downloads). */
  publicKeys(scheduleId: number): string[] {
    return this.keys.verifying(scheduleId).map((k) => k.publicKeyRaw);
  }

  /**
   * Any kind of code -> its parts, or why it does not admit. The signature is checked first (a
   * forged code never reaches the time rules, the database or a lock). `gatesOpenAt`: the
   * performance's; a static code before it is GATES_NOT_OPEN (omit it only to read a code's parts).
   */
  verify(code: string, opts: { at: Date; gatesOpenAt?: Date }): CodeCheck {
    const parts = this.genuine(code);
    if (!parts) return { ok: false, reason: 'CODE_FORGED' };
    if (parts.kind === 'ROTATING') {
      const now = stepAt(opts.at);
      if (parts.step! < now - CODE_SKEW_STEPS) return { ok: false, reason: 'CODE_EXPIRED', parts };
      if (parts.step! > now + CODE_SKEW_STEPS) return { ok: false, reason: 'CODE_NOT_YET_VALID', parts };
    } else if (opts.gatesOpenAt && opts.at < opts.gatesOpenAt) {
      return { ok: false, reason: 'GATES_NOT_OPEN', parts };
    }
    return { ok: true, parts };
  }

  /** The parts of a code whose signature verifies with one of the performance's keys, else undefined. */
  private genuine(code: string): SignedCodeParts | undefined {
    const r = ROTATING.exec(code);
    const s = r ? undefined : STATIC.exec(code);
    const m = r ?? s;
    if (!m) return undefined;
    const signature = Buffer.from(m[r ? 5 : 4]!, 'base64url');
    const serial = Buffer.from(m[3]!, 'base64url');
    if (signature.length !== SIGNATURE_BYTES || serial.length !== 16) return undefined;
    const scheduleId = Number(m[1]);
    const body = Buffer.from(code.slice(0, code.lastIndexOf('.')), 'utf8');
    if (!this.keys.verifying(scheduleId).some((k: ScheduleKey) => ed25519Verify(null, body, k.publicKey, signature))) return undefined;
    return { kind: r ? 'ROTATING' : 'STATIC', scheduleId, ticketId: Number(m[2]), serial: serial.toString('hex'), ...(r ? { step: Number(m[4]) } : {}) };
  }

  private signed(scheduleId: number, body: string): string {
    return `${body}.${ed25519Sign(null, Buffer.from(body, 'utf8'), this.keys.current(scheduleId).privateKey).toString('base64url')}`;
  }
}

/** The gates-open time of a performance: the static (PDF) code admits from then on. */
export const gatesOpenAt = (startsAt: Date, gatesOpenMinutes: number) => new Date(startsAt.getTime() - gatesOpenMinutes * 60_000);
