import { EventsmithError } from '../errors.js';

/**
 * The built-in conversions of the `convert` upcast step (`convert: { field: amount, using:
 * numberToDecimal }` in the YAML). Generated upcasters call them, and the generator runs the same
 * functions to compute the expected outputs of the golden tests it writes beside them. Those
 * committed tests hold each conversion's behaviour in place: a change here that would alter what
 * a stored event upcasts to fails them. A value a conversion cannot convert throws an
 * `EventsmithError` with code `UPCAST.CONVERSION`.
 *
 * The names are the schema package's `CONVERSIONS` (a test keeps the two lists equal).
 *
 * @example
 * ```ts
 * conversions.centsToDecimal(1050); // '10.50'
 * ```
 */
export const conversions = Object.freeze({
  numberToDecimal(value: number): string {
    if (!Number.isFinite(value)) fail('numberToDecimal', value, 'a finite number');
    const text = String(value);
    if (/e/i.test(text)) return value.toLocaleString('en-US', { useGrouping: false, maximumFractionDigits: 20 });
    return text === '-0' ? '0' : text;
  },
  integerToDecimal(value: number): string {
    if (!Number.isSafeInteger(value)) fail('integerToDecimal', value, 'a safe integer');
    return String(value);
  },
  stringToDecimal(value: string): string {
    const text = value.trim();
    if (!/^-?(0|[1-9]\d*)(\.\d+)?$/.test(text)) fail('stringToDecimal', value, 'a decimal such as "10.50"');
    return text;
  },
  centsToDecimal(value: number): string {
    if (!Number.isSafeInteger(value)) fail('centsToDecimal', value, 'a whole number of cents');
    const digits = String(Math.abs(value)).padStart(3, '0');
    return `${value < 0 ? '-' : ''}${digits.slice(0, -2)}.${digits.slice(-2)}`;
  },
  decimalToCents(value: string): number {
    const match = /^(-?)(\d+)(?:\.(\d+))?$/.exec(value.trim());
    if (!match) return fail('decimalToCents', value, 'a decimal such as "10.50"');
    const [, sign, whole, fraction = ''] = match;
    const padded = fraction.padEnd(3, '0');
    let cents = Number(whole) * 100 + Number(padded.slice(0, 2));
    if (Number(padded[2]) >= 5) cents += 1;
    if (!Number.isSafeInteger(cents)) fail('decimalToCents', value, 'an amount whose cents fit a safe integer');
    return sign === '-' && cents !== 0 ? -cents : cents;
  },
  stringToInteger(value: string): number {
    const text = value.trim();
    const parsed = Number(text);
    if (!/^-?\d+$/.test(text) || !Number.isSafeInteger(parsed))
      fail('stringToInteger', value, 'an integer such as "42"');
    return parsed;
  },
  integerToString(value: number): string {
    return String(value);
  },
  numberToString(value: number): string {
    return String(value);
  },
  stringToNumber(value: string): number {
    const parsed = Number(value.trim());
    if (value.trim() === '' || !Number.isFinite(parsed)) fail('stringToNumber', value, 'a number such as "10.5"');
    return parsed;
  },
  integerToNumber(value: number): number {
    return value;
  },
  numberToInteger(value: number): number {
    if (!Number.isFinite(value)) fail('numberToInteger', value, 'a finite number');
    return Math.sign(value) * Math.round(Math.abs(value));
  },
  stringToBoolean(value: string): boolean {
    return ['true', 'yes', '1'].includes(value.trim().toLowerCase());
  },
  dateToDatetime(value: string): string {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) fail('dateToDatetime', value, 'a date such as "2024-01-31"');
    return `${value}T00:00:00.000Z`;
  },
  datetimeToDate(value: string): string {
    const at = new Date(value);
    if (Number.isNaN(at.getTime())) fail('datetimeToDate', value, 'an ISO-8601 date-time');
    return at.toISOString().slice(0, 10);
  },
  epochMillisToDatetime(value: number): string {
    const at = new Date(value);
    if (!Number.isFinite(value) || Number.isNaN(at.getTime()))
      fail('epochMillisToDatetime', value, 'milliseconds since 1970');
    return at.toISOString();
  },
  epochSecondsToDatetime(value: number): string {
    const at = new Date(value * 1000);
    if (!Number.isFinite(value) || Number.isNaN(at.getTime()))
      fail('epochSecondsToDatetime', value, 'seconds since 1970');
    return at.toISOString();
  },
  stringToUuid(value: string): string {
    const text = value.trim().toLowerCase();
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(text))
      fail('stringToUuid', value, 'a UUID');
    return text;
  },
});

function fail(name: string, value: unknown, expected: string): never {
  throw new EventsmithError(
    'UPCAST.CONVERSION',
    `${name}: cannot convert ${JSON.stringify(value)}; expected ${expected}.`,
  );
}
