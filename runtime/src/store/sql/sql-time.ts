import { digits, utcTime } from '../../events/iso-time.js';

/**
 * Epoch milliseconds of a UTC timestamp in the text form SQL servers write,
 * `YYYY-MM-DD HH:MM:SS[.f…]` followed by `zone` (`'+00'` from PostgreSQL in a UTC session, `''`
 * from MariaDB/MySQL with `dateStrings`), read straight from the digits, the fraction truncated to
 * milliseconds like `Date`. `NaN` for text in any other form (another offset, a year before 100,
 * a field out of range): the caller then takes its general path.
 *
 * @example
 * ```ts
 * utcTimestampMillis('2026-03-01 09:30:00.123456+00', '+00'); // Date.UTC(2026, 2, 1, 9, 30, 0, 123)
 * utcTimestampMillis('2026-03-01 09:30:00.5', ''); // Date.UTC(2026, 2, 1, 9, 30, 0, 500)
 * ```
 */
export function utcTimestampMillis(text: string, zone: string): number {
  const n = text.length - zone.length;
  if (n < 19 || (n > 19 && (n === 20 || text.charCodeAt(19) !== 46)) || n > 29) return NaN; // 46: '.'
  if (
    text.charCodeAt(4) !== 45 || // -
    text.charCodeAt(7) !== 45 ||
    text.charCodeAt(10) !== 32 || // space
    text.charCodeAt(13) !== 58 || // :
    text.charCodeAt(16) !== 58
  )
    return NaN;
  for (let i = 0; i < zone.length; i++) if (text.charCodeAt(n + i) !== zone.charCodeAt(i)) return NaN;
  const year = digits(text, 0, 4);
  const month = digits(text, 5, 2);
  const day = digits(text, 8, 2);
  const hour = digits(text, 11, 2);
  const minute = digits(text, 14, 2);
  const second = digits(text, 17, 2);
  let millisecond = 0;
  if (n > 19) {
    // One to nine fraction digits: the first three are the milliseconds, the rest only must be digits.
    for (let i = 20; i < n; i++) {
      const digit = text.charCodeAt(i) - 48;
      if (digit < 0 || digit > 9) return NaN;
      if (i < 23) millisecond += digit * (i === 20 ? 100 : i === 21 ? 10 : 1);
    }
  }
  return utcTime(year, month, day, hour, minute, second, millisecond);
}
