import type { Backoff } from './backoff.js';

/**
 * How a failing operation is retried: exponential backoff with jitter, up to `maxAttempts`
 * attempts in all (the first call included).
 *
 * @example
 * ```ts
 * manager.subscribe(handler, { name: 'mailer', retry: { maxAttempts: 8, initialDelayMs: 500 } });
 * ```
 */
export interface RetryPolicy extends Backoff {
  /** Attempts in all, the first included. Default 5. */
  readonly maxAttempts: number;
  /** Delay before the second attempt. Default 100 ms. */
  readonly initialDelayMs: number;
  /** Upper bound of any one delay. Default 30 s. */
  readonly maxDelayMs: number;
  /** Growth factor between delays. Default 2. */
  readonly multiplier: number;
  /** Random spread, as a fraction of the delay (0.2 = ±20 %). Default 0.2. */
  readonly jitter: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = Object.freeze({
  maxAttempts: 5,
  initialDelayMs: 100,
  maxDelayMs: 30_000,
  multiplier: 2,
  jitter: 0.2,
});

/** Fills in defaults and checks the values. */
export function retryPolicy(overrides: Partial<RetryPolicy> = {}): RetryPolicy {
  const policy = { ...DEFAULT_RETRY_POLICY, ...overrides };
  if (!Number.isInteger(policy.maxAttempts) || policy.maxAttempts < 1)
    throw new RangeError('retry.maxAttempts must be an integer ≥ 1');
  if (!(policy.initialDelayMs >= 0) || !(policy.maxDelayMs >= policy.initialDelayMs)) {
    throw new RangeError('retry delays must satisfy 0 ≤ initialDelayMs ≤ maxDelayMs');
  }
  if (!(policy.multiplier >= 1)) throw new RangeError('retry.multiplier must be ≥ 1');
  if (!(policy.jitter >= 0 && policy.jitter <= 1)) throw new RangeError('retry.jitter must be between 0 and 1');
  return Object.freeze(policy);
}
