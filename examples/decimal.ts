/**
 * Decimal helpers for the examples: the runtime's exact arithmetic on decimal strings (the runtime
 * keeps `decimal` fields as strings such as "10.50", never floats), plus money formatting.
 *
 * @example
 * ```ts
 * add('10.10', '0.20'); // '10.3'
 * money('110.5');       // '110.50'
 * ```
 */
import { decimal } from '@eventsmith/runtime';

export const { add, subtract, compare, isPositive } = decimal;

/** Two decimal places, e.g. `'110.5'` → `'110.50'` (also accepts what SQL drivers return). */
export function money(value: string | number): string {
  return decimal.toFixed(value, 2);
}
