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

/**
 * `parent.child(bindings)`, built the first time something logs through it. Most requests never
 * log, yet a pino child serialises its bindings when it is built: the per-request logger and the
 * auth middleware's child of it (which stays lazy too) were built on every request for nothing.
 * Everything else is forwarded to the real child once built.
 */
export function lazyChild(parent: Logger, bindings: Bindings): Logger {
  return new Proxy({} as Logger, new LazyChild(parent, bindings));
}

type Bindings = Record<string, unknown>;

// A class rather than closures: under tsx (keepNames) every closure made per request pays a
// defineProperty for its name.
class LazyChild implements ProxyHandler<Logger> {
  private logger: Logger | undefined;

  constructor(
    private readonly parent: Logger | LazyChild,
    private readonly bindings: Bindings,
    private readonly options?: object,
  ) {}

  real(): Logger {
    return (this.logger ??= (this.parent instanceof LazyChild ? this.parent.real() : this.parent).child(this.bindings, this.options) as Logger);
  }

  get(_target: Logger, key: string | symbol): unknown {
    if (key === 'child' && !this.logger) return (bindings: Bindings, options?: object) => new Proxy({} as Logger, new LazyChild(this, bindings, options));
    const value: unknown = Reflect.get(this.real(), key);
    return typeof value === 'function' ? value.bind(this.logger) : value;
  }

  set(_target: Logger, key: string | symbol, value: unknown): boolean {
    return Reflect.set(this.real(), key, value);
  }

  has(_target: Logger, key: string | symbol): boolean {
    return Reflect.has(this.real(), key);
  }
}
