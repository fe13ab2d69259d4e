import { describe, expect, it } from 'vitest';
import { isoTimestamp } from '../postgres/postgres-read-types.js';
import { utcTimestampMillis } from './sql-time.js';

describe('utcTimestampMillis', () => {
  it.each([
    ['2026-03-01 09:30:00+00', '2026-03-01T09:30:00.000Z'],
    ['2026-03-01 09:30:00.5+00', '2026-03-01T09:30:00.500Z'],
    ['2026-03-01 09:30:00.12+00', '2026-03-01T09:30:00.120Z'],
    ['2026-03-01 09:30:00.123456+00', '2026-03-01T09:30:00.123Z'],
    ['2024-02-29 23:59:59.999999+00', '2024-02-29T23:59:59.999Z'],
    ['0100-01-01 00:00:00+00', '0100-01-01T00:00:00.000Z'],
  ])('reads PostgreSQL text %s as the instant %s, as isoTimestamp does', (text, iso) => {
    expect(utcTimestampMillis(text, '+00')).toBe(Date.parse(iso));
    expect(utcTimestampMillis(text, '+00')).toBe(Date.parse(isoTimestamp(text)));
  });

  it.each([
    ['2026-03-01 09:30:00', '2026-03-01T09:30:00.000Z'],
    ['2026-03-01 09:30:00.007', '2026-03-01T09:30:00.007Z'],
    ['1999-12-31 23:59:59.999', '1999-12-31T23:59:59.999Z'],
  ])('reads MariaDB text %s as the instant %s', (text, iso) => {
    expect(utcTimestampMillis(text, '')).toBe(Date.parse(iso));
  });

  it.each([
    ['2026-03-01 09:30:00+05:30', '+00'], // another offset: isoTimestamp's general path
    ['2026-03-01 09:30:00+00 BC', '+00'],
    ['0099-03-01 09:30:00+00', '+00'], // Date.UTC would read year 99 as 1999
    ['2026-02-29 09:30:00+00', '+00'], // no such day
    ['2026-13-01 09:30:00', ''],
    ['2026-03-01 24:00:00', ''],
    ['2026-03-01 09:30:00.', ''],
    ['2026-03-01 09:30:00.1x3', ''],
    ['2026-03-01T09:30:00.000Z', ''],
    ['12026-03-01 09:30:00', ''],
    ['', ''],
  ])('is NaN for %s (zone %j), which the caller parses its general way', (text, zone) => {
    expect(utcTimestampMillis(text, zone)).toBeNaN();
  });
});
