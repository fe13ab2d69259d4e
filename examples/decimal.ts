/**
 * Exact arithmetic on decimal strings (the runtime keeps `decimal` fields as strings such as
 * "10.50", never floats). Enough for the examples: add, subtract, compare, format.
 *
 * @example
 * ```ts
 * add('10.10', '0.20'); // '10.3'
 * compare('5', '10.00'); // -1
 * ```
 */
export function add(a: string, b: string): string {
  const scale = Math.max(scaleOf(a), scaleOf(b));
  return toDecimal(toUnits(a, scale) + toUnits(b, scale), scale);
}

export function subtract(a: string, b: string): string {
  const scale = Math.max(scaleOf(a), scaleOf(b));
  return toDecimal(toUnits(a, scale) - toUnits(b, scale), scale);
}

/** -1, 0 or 1. */
export function compare(a: string, b: string): number {
  const scale = Math.max(scaleOf(a), scaleOf(b));
  const d = toUnits(a, scale) - toUnits(b, scale);
  return d < 0n ? -1 : d > 0n ? 1 : 0;
}

export function isPositive(a: string): boolean {
  return compare(a, '0') > 0;
}

/** At least two decimal places, e.g. `'110.5'` → `'110.50'` (also accepts what SQL drivers return). */
export function money(value: string | number): string {
  const [whole = '0', fraction = ''] = String(value).split('.');
  return `${whole}.${fraction.replace(/0+$/, '').padEnd(2, '0')}`;
}

function scaleOf(value: string): number {
  return value.split('.')[1]?.length ?? 0;
}

function toUnits(value: string, scale: number): bigint {
  const negative = value.startsWith('-');
  const [whole = '0', fraction = ''] = value.replace(/^-/, '').split('.');
  const units = BigInt(whole + fraction.padEnd(scale, '0'));
  return negative ? -units : units;
}

function toDecimal(units: bigint, scale: number): string {
  const negative = units < 0n;
  const digits = (negative ? -units : units).toString().padStart(scale + 1, '0');
  const whole = digits.slice(0, digits.length - scale);
  const fraction = digits.slice(digits.length - scale).replace(/0+$/, '');
  return `${negative ? '-' : ''}${whole}${fraction ? `.${fraction}` : ''}`;
}
