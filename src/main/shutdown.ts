import type { Logger } from '../platform/observability/logger.js';

/**
 * SIGTERM/SIGINT -> run the process's drain steps in order, once, then exit. A second signal or the
 * grace deadline forces the exit so an orchestrator is never kept waiting forever.
 */
export function onShutdown(log: Logger, graceMs: number, steps: Array<[string, () => Promise<unknown>]>): void {
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) {
      log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    log.info({ signal }, 'shutting down');
    setTimeout(() => {
      log.error('shutdown grace period exceeded; exiting');
      process.exit(1);
    }, graceMs).unref();
    for (const [name, step] of steps) {
      const started = Date.now();
      try {
        await step();
        log.info({ step: name, ms: Date.now() - started }, 'shutdown step done');
      } catch (err) {
        log.error({ err, step: name }, 'shutdown step failed');
      }
    }
    log.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

/** Logs and exits on a start-up failure (bad config, unreachable dependency). */
export function exitOnStartupError(log: Pick<Logger, 'fatal'> | undefined, err: unknown): never {
  const message = err instanceof Error ? err.message : String(err);
  if (log) log.fatal({ err }, 'failed to start');
  else console.error(message);
  process.exit(1);
}
