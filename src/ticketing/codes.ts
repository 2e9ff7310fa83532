import { randomBytes } from 'node:crypto';

/**
 * A ticket's serial: 16 random bytes in hex, stored with the ticket. Every code of the ticket is
 * signed over it (codes-signed.ts), so a new serial (a transfer reissues it) kills every older code.
 */
export const newSerial = () => randomBytes(16).toString('hex');
