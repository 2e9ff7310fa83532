/**
 * Errors that mean "a dependency (MySQL, Redis, Temporal, Kafka) is not answering right now", as
 * opposed to a bug. The HTTP layer answers them 503 with Retry-After instead of 500, so clients and
 * load balancers retry rather than report a failure (README, "Chaos under load").
 */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTCONN',
  'PROTOCOL_CONNECTION_LOST', // mysql2: the server closed the connection (killed, restarted)
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_CON_COUNT_ERROR',
  'ER_SERVER_SHUTDOWN',
]);
// gRPC status codes from the Temporal client: UNAVAILABLE, DEADLINE_EXCEEDED.
const GRPC_UNAVAILABLE = new Set([14, 4]);
const UNAVAILABLE_NAMES = new Set([
  'MaxRetriesPerRequestError', // ioredis
  'TransportError', // Temporal's native connection
  'WorkflowUpdateRPCTimeoutOrCancelledError', // Temporal did not answer an update in time
  'DependencyTimeoutError', // withinDependencyDeadline below
]);
const MESSAGES = [
  /Connection is closed/i, // ioredis, after its reconnect attempts for a command are used up
  /Reached the max retries per request limit/i, // ioredis MaxRetriesPerRequestError
  /Stream isn't writeable/i,
  /Can't add new command when connection is in closed state/i, // mysql2 on a dead connection
  /connect(ion)? timed? ?out/i,
  /Pool is closed/i,
  /TransportError|Connection refused|tcp connect error/i, // Temporal's native client
];

export function isDependencyUnavailable(err: unknown): boolean {
  let e: unknown = err;
  for (let depth = 0; e && depth < 6; depth++, e = (e as { cause?: unknown }).cause) {
    const { code, name, message } = e as { code?: unknown; name?: unknown; message?: unknown };
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return true;
    if (typeof code === 'number' && GRPC_UNAVAILABLE.has(code) && (name === 'ServiceError' || typeof (e as { details?: unknown }).details === 'string')) return true;
    if (typeof name === 'string' && UNAVAILABLE_NAMES.has(name)) return true;
    if (typeof message === 'string' && MESSAGES.some((m) => m.test(message))) return true;
  }
  return false;
}

/** A dependency's step that did not answer within its own deadline (withinDependencyDeadline). */
export class DependencyTimeoutError extends Error {
  override readonly name = 'DependencyTimeoutError';
}

/**
 * Bounds one step that needs a dependency (a Redis read, say) where the request as a whole has a
 * long deadline on purpose (a long poll answered from memory): a hung dependency still ends in 503
 * within `ms` of the step starting, and a request that needed no dependency is never cut.
 */
export function withinDependencyDeadline<T>(step: Promise<T>, ms: number, what: string): Promise<T> {
  if (!ms) return step;
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DependencyTimeoutError(`${what} did not answer within ${ms} ms`)), ms);
  });
  step.catch(() => undefined); // a late failure of the dropped step is not an unhandled rejection
  return Promise.race([step, expired]).finally(() => clearTimeout(timer));
}
