/**
 * The login-abuse policy and its defaults, in one place: config.ts takes its LOGIN_* defaults from
 * here, and an IdentityService built without a policy (seed, tests) uses the same numbers.
 */
export interface LoginPolicy {
  /** Failures of one email from one IP before that pair is locked. */
  maxFailures: number;
  /** Failures of one email from any IPs before the whole account is locked. */
  accountMaxFailures: number;
  /** Failed logins one IP may make (any emails) per `ipWindowMs` before it gets 429. */
  ipMaxFailures: number;
  ipWindowMs: number;
  lockoutMs: number;
  /** Each consecutive failure waits this much longer before answering (capped at 2 s). */
  failureDelayMs: number;
}

export const loginPolicyDefaults = {
  maxFailures: 5,
  accountMaxFailures: 20,
  ipMaxFailures: 30,
  ipWindowMs: 15 * 60_000,
  lockoutMs: 15 * 60_000,
  // The deployed default (LOGIN_FAILURE_DELAY_MS); a service built without a policy does not wait.
  failureDelayMs: 200,
} as const satisfies LoginPolicy;
