import { pino, type Logger } from 'pino';

export type { Logger };

/** JSON logs on stdout; one child logger per request carries its request id on every line. */
export function createLogger(opts: { level: string; service: string; process: string }): Logger {
  return pino({
    level: opts.level,
    base: { service: opts.service, process: opts.process },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: ['req.headers.authorization', 'password', '*.password', 'email', '*.email'], censor: '[redacted]' },
    formatters: { level: (label) => ({ level: label }) },
  });
}
