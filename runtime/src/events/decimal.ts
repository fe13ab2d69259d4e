import Big from 'big.js';

/** A decimal kept as a string, e.g. `"10.25"`: how `decimal` fields travel in payloads and state. */
export type Decimal = string;

/**
 * Exact arithmetic on decimal strings (backed by big.js), so money never passes through binary
 * floating point. Results are plain decimal strings without exponent notation.
 *
 * @example
 * ```ts
 * decimal.add('0.10', '0.20');          // '0.3'
 * decimal.compare('5', '10.00');        // -1
 * decimal.toFixed('85.5', 2);           // '85.50'
 * ```
 */
export const decimal = {
  add: (a: Decimal, b: Decimal): Decimal => new Big(a).plus(b).toFixed(),
  subtract: (a: Decimal, b: Decimal): Decimal => new Big(a).minus(b).toFixed(),
  multiply: (a: Decimal, b: Decimal): Decimal => new Big(a).times(b).toFixed(),
  /** -1, 0 or 1, like a sort comparator. */
  compare: (a: Decimal, b: Decimal): -1 | 0 | 1 => new Big(a).cmp(b),
  isPositive: (a: Decimal): boolean => new Big(a).gt(0),
  isNegative: (a: Decimal): boolean => new Big(a).lt(0),
  isZero: (a: Decimal): boolean => new Big(a).eq(0),
  /** Rounds half-up to `places` and always shows that many decimals. */
  toFixed: (a: Decimal | number, places: number): Decimal => new Big(a).toFixed(places, Big.roundHalfUp),
} as const;
