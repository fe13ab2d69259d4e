import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isoTimestamp, READ_TYPES } from './postgres-read-types.js';

/** `date` as PostgreSQL prints a timestamptz in a UTC session, with `digits` fractional digits. */
function utcText(date: Date, digits: number): string {
  const iso = date.toISOString();
  const fraction = digits === 0 ? '' : `.${`${iso.slice(20, 23)}777`.slice(0, digits)}`;
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${fraction}+00`;
}

describe('isoTimestamp', () => {
  it('gives what toISOString gives for a timestamp printed in a UTC session', () => {
    fc.assert(
      fc.property(
        fc.date({
          min: new Date('0001-01-01T00:00:00Z'),
          max: new Date('9999-12-31T23:59:59.999Z'),
          noInvalidDate: true,
        }),
        fc.integer({ min: 0, max: 6 }),
        (date, digits) => {
          const expected = new Date(
            digits >= 3 ? date.getTime() : date.getTime() - (date.getUTCMilliseconds() % 10 ** (3 - digits)),
          ).toISOString();
          expect(isoTimestamp(utcText(date, digits))).toBe(expected);
        },
      ),
    );
  });

  it('truncates microseconds to milliseconds, as pg does', () => {
    expect(isoTimestamp('2026-03-01 09:30:00.123999+00')).toBe('2026-03-01T09:30:00.123Z');
    expect(isoTimestamp('2026-03-01 09:30:00.5+00')).toBe('2026-03-01T09:30:00.500Z');
    expect(isoTimestamp('2026-03-01 09:30:00+00')).toBe('2026-03-01T09:30:00.000Z');
  });

  it('converts timestamps printed in sessions of other time zones to UTC', () => {
    expect(isoTimestamp('2026-03-01 15:00:00+05:30')).toBe('2026-03-01T09:30:00.000Z');
    expect(isoTimestamp('2026-03-01 06:00:00.25-03:30')).toBe('2026-03-01T09:30:00.250Z');
    expect(isoTimestamp('2026-03-01 01:30:00-08')).toBe('2026-03-01T09:30:00.000Z');
    expect(isoTimestamp('1890-01-01 00:19:32+00:19:32')).toBe('1890-01-01T00:00:00.000Z');
  });

  it('handles years outside 1000–9999, and leaves text it does not recognise as it is', () => {
    expect(isoTimestamp('0099-01-01 00:00:00+00')).toBe('0099-01-01T00:00:00.000Z');
    expect(isoTimestamp('0044-03-15 12:00:00+00 BC')).toBe('-000043-03-15T12:00:00.000Z'); // 44 BC is year -43
    expect(isoTimestamp('10000-01-01 00:00:00+00')).toBe('+010000-01-01T00:00:00.000Z');
    expect(isoTimestamp('infinity')).toBe('infinity');
  });
});

describe('READ_TYPES', () => {
  it('parses JSON, integers and booleans, and keeps 64-bit numbers and timestamps as text', () => {
    const parse = (oid: number, text: string) =>
      (READ_TYPES.getTypeParser as (oid: number) => (text: string) => unknown)(oid)(text);
    expect(parse(3802, '{"a":[1,"x"]}')).toEqual({ a: [1, 'x'] });
    expect(parse(23, '42')).toBe(42);
    expect(parse(16, 't')).toBe(true);
    expect(parse(20, '18446744073709551615')).toBe('18446744073709551615');
    expect(parse(5069, '4294967296')).toBe('4294967296');
    expect(parse(1184, '2026-03-01 09:30:00+00')).toBe('2026-03-01 09:30:00+00');
  });
});
