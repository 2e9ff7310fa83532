import type { Config } from '../config.js';
import { ScheduleKeys } from './codes-keys.js';
import { TicketCodeSigner, type CodeCheck, type TicketKeyFacts } from './codes-signed.js';

/**
 * Ticket codes for other capabilities (src/ticketing's public index): the PDF's static code
 * (notifications puts it in the QR of the emailed PDF) and `verify` for any kind of code. One
 * signer per seed setting, so every caller in a process shares one key cache.
 */
type CodeSettings = Pick<Config, 'TICKET_CODE_SEED' | 'TICKET_CODE_SEED_PREVIOUS'>;

const signers = new Map<string, TicketCodeSigner>();

export function ticketCodeSigner(config: CodeSettings): TicketCodeSigner {
  const cacheKey = `${config.TICKET_CODE_SEED}\n${config.TICKET_CODE_SEED_PREVIOUS ?? ''}`;
  let signer = signers.get(cacheKey);
  if (!signer) signers.set(cacheKey, (signer = new TicketCodeSigner(new ScheduleKeys(config.TICKET_CODE_SEED, config.TICKET_CODE_SEED_PREVIOUS))));
  return signer;
}

/** The non-rotating code printed on the PDF ticket (admits from the performance's gates-open time). */
export const pdfTicketCode = (config: CodeSettings, ticket: TicketKeyFacts): string => ticketCodeSigner(config).static(ticket);

/** Any kind of ticket code -> its parts, or why it does not admit (CODE_FORGED, CODE_EXPIRED, GATES_NOT_OPEN, ...). */
export const verify = (config: CodeSettings, code: string, opts: { at: Date; gatesOpenAt?: Date }): CodeCheck => ticketCodeSigner(config).verify(code, opts);
