import type pg from 'pg';

/**
 * How the store's own reads parse the columns they select, whatever type parsers the application
 * set on pg. Timestamps stay text: pg turns each into a `Date` with a regular expression, the
 * largest cost of reading a row, and the store wants `occurred_at` as an ISO string anyway; the
 * store converts them with {@link isoTimestamp}.
 */
export const READ_TYPES: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number) => PARSERS.get(oid) ?? text) as pg.CustomTypesConfig['getTypeParser'],
};

const text = (value: string) => value;
const json = (value: string): unknown => JSON.parse(value);
const PARSERS = new Map<number, (value: string) => unknown>([
  [16, (value) => value === 't'], // bool
  [21, Number], // int2
  [23, Number], // int4
  [114, json],
  [3802, json], // jsonb
  // int8 (positions) and xid8 (transaction ids) stay strings: they may exceed 2^53.
]);

/**
 * A `timestamptz` as PostgreSQL writes it (DateStyle ISO, any TimeZone: `2026-03-01 09:30:00.123456+00`,
 * `…+05:30`) to the ISO 8601 string `Date.prototype.toISOString` gives for it, milliseconds
 * truncated like pg's own parser. Text in another form is returned as it is.
 *
 * @example
 * ```ts
 * isoTimestamp('2026-03-01 09:30:00.5+00'); // '2026-03-01T09:30:00.500Z'
 * isoTimestamp('2026-03-01 15:00:00+05:30'); // '2026-03-01T09:30:00.000Z'
 * ```
 */
export function isoTimestamp(value: string): string {
  const n = value.length;
  // The common case, a session in UTC: "YYYY-MM-DD HH:MM:SS[.f…]+00", rearranged without parsing.
  if (n >= 22 && n <= 29 && value.charCodeAt(10) === 32 && value.endsWith('+00') && value.charCodeAt(4) === 45) {
    if (n === 22) return `${value.slice(0, 10)}T${value.slice(11, 19)}.000Z`;
    if (value.charCodeAt(19) === 46)
      return `${value.slice(0, 10)}T${value.slice(11, 19)}.${value
        .slice(20, n - 3)
        .padEnd(3, '0')
        .slice(0, 3)}Z`;
  }
  const m = TIMESTAMP.exec(value);
  if (!m) return value;
  const [, year, month, day, hours, minutes, seconds, fraction, offsetHours, offsetMinutes, offsetSeconds, bc] = m;
  const date = new Date(0);
  date.setUTCFullYear(bc ? 1 - Number(year) : Number(year), Number(month) - 1, Number(day));
  date.setUTCHours(
    Number(hours),
    Number(minutes),
    Number(seconds),
    fraction ? Number(fraction.padEnd(3, '0').slice(0, 3)) : 0,
  );
  const offset = Math.abs(Number(offsetHours)) * 3600 + Number(offsetMinutes ?? 0) * 60 + Number(offsetSeconds ?? 0);
  return new Date(date.getTime() - (offsetHours!.startsWith('-') ? -offset : offset) * 1000).toISOString();
}

const TIMESTAMP = /^(\d{4,})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(?:\.(\d+))?([+-]\d\d)(?::(\d\d))?(?::(\d\d))?( BC)?$/;
