/**
 * An exponential backoff: the delay grows by `multiplier` after each failure from
 * `initialDelayMs`, never exceeds `maxDelayMs`, and is spread by ±`jitter`.
 */
export interface Backoff {
  /** Delay after the first failure. */
  readonly initialDelayMs: number;
  /** Upper bound of any one delay. */
  readonly maxDelayMs: number;
  /** Growth factor between delays. */
  readonly multiplier: number;
  /** Random spread, as a fraction of the delay (0.2 = ±20 %); 0 for fixed delays. */
  readonly jitter: number;
}

/**
 * The delay after the `failures`-th consecutive failure (1-based): `initialDelayMs × multiplier^(failures-1)`,
 * capped at `maxDelayMs`, then spread by ±`jitter` (and capped again) so that many retriers do
 * not move in lockstep. Whole milliseconds, never negative.
 *
 * @example
 * ```ts
 * backoffDelay({ initialDelayMs: 100, maxDelayMs: 30_000, multiplier: 2, jitter: 0 }, 3); // 400
 * ```
 */
export function backoffDelay(backoff: Backoff, failures: number, random: () => number = Math.random): number {
  const base = Math.min(backoff.maxDelayMs, backoff.initialDelayMs * backoff.multiplier ** Math.max(0, failures - 1));
  const spread = base * backoff.jitter * (2 * random() - 1);
  return Math.max(0, Math.round(Math.min(backoff.maxDelayMs, base + spread)));
}
