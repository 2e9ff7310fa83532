// The public surface of src/ticketing: other capabilities import it through this file only (eslint.fences.js).
export * from './attendee-list.js';
export * from './issue.js';
export { pdfTicketCode, verify, ticketCodeSigner } from './codes-public.js';
export { CODE_STEP_SECONDS, CODE_SKEW_STEPS, gatesOpenAt, type CodeCheck, type SignedCodeParts, type TicketKeyFacts } from './codes-signed.js';
export * from './transfer-repository.js';
export * from './transfer-contracts.js';
