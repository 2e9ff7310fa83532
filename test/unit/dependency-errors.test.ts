import { describe, expect, it } from 'vitest';
import { isDependencyUnavailable } from '../../src/platform/dependency-errors.js';

/** Which failures the API answers 503 (a dependency is down) rather than 500 (a bug). */
describe('isDependencyUnavailable', () => {
  const withCode = (code: string | number, extra: Record<string, unknown> = {}) => Object.assign(new Error('x'), { code, ...extra });

  it('recognises MySQL, Redis and Temporal connection failures, also wrapped (drizzle puts the driver error in cause)', () => {
    expect(isDependencyUnavailable(withCode('ECONNREFUSED'))).toBe(true);
    expect(isDependencyUnavailable(withCode('PROTOCOL_CONNECTION_LOST'))).toBe(true);
    expect(isDependencyUnavailable(new Error('Failed query: select 1', { cause: withCode('ECONNRESET') }))).toBe(true);
    expect(isDependencyUnavailable(Object.assign(new Error('Reached the max retries per request limit (which is 2).'), { name: 'MaxRetriesPerRequestError' }))).toBe(true);
    expect(isDependencyUnavailable(new Error('Connection is closed.'))).toBe(true);
    expect(isDependencyUnavailable(new Error('Failed to start workflow', { cause: withCode(14, { details: 'No connection established' }) }))).toBe(true);
  });

  it('leaves bugs and business errors alone', () => {
    expect(isDependencyUnavailable(new TypeError("Cannot read properties of undefined (reading 'id')"))).toBe(false);
    expect(isDependencyUnavailable(withCode('ER_DUP_ENTRY'))).toBe(false);
    expect(isDependencyUnavailable(withCode('ER_PARSE_ERROR'))).toBe(false);
    expect(isDependencyUnavailable(withCode(3, { details: 'invalid argument' }))).toBe(false); // gRPC INVALID_ARGUMENT
    expect(isDependencyUnavailable(undefined)).toBe(false);
  });
});
