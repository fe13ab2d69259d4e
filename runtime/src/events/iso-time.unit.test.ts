import { describe, expect, it } from 'vitest';
import { ImmutableDate } from './immutable.js';
import { canonicalIsoTime, LastIsoText, LastParsedTime, parseIsoTime } from './iso-time.js';

describe('parseIsoTime', () => {
  it.each([
    '2026-01-02T03:04:05.678Z',
    '1970-01-01T00:00:00.000Z',
    '2024-02-29T23:59:59.999Z',
    '2000-02-29T12:00:00.000Z',
    '0100-01-01T00:00:00.000Z',
    '9999-12-31T23:59:59.999Z',
    // Not in toISOString's form, or out of range there: Date.parse decides.
    '2023-02-29T00:00:00.000Z',
    '1900-02-29T00:00:00.000Z',
    '2024-13-01T00:00:00.000Z',
    '2024-04-31T00:00:00.000Z',
    '2024-01-01T24:00:00.000Z',
    '2024-01-01T00:60:00.000Z',
    '2024-01-01T00:00:60.000Z',
    '2024-00-10T00:00:00.000Z',
    '0050-01-01T00:00:00.000Z',
    '2024-0a-01T00:00:00.000Z',
    '2024-01-01T00:00:00.00aZ',
    '2024-01-01T00:00:00Z',
    '2024-01-01T00:00:00.000+02:00',
    '+012345-01-01T00:00:00.000Z',
    'not a date',
    '',
  ])('reads %j as Date.parse does', (text) => {
    expect(parseIsoTime(text)).toEqual(Date.parse(text));
  });

  it('agrees with Date.parse on every millisecond of toISOString output it tries', () => {
    for (let t = Date.UTC(1999, 11, 31, 23, 59, 58); t < Date.UTC(2000, 0, 1, 0, 0, 2); t += 7)
      expect(parseIsoTime(new Date(t).toISOString())).toBe(t);
    for (let day = 0; day < 366 * 4; day++) {
      const t = Date.UTC(2023, 0, 1) + day * 86_400_000 + 12_345;
      expect(parseIsoTime(new Date(t).toISOString())).toBe(t);
    }
  });
});

describe('LastIsoText', () => {
  it('writes what toISOString writes, for the same time again, another time, and back', () => {
    const texts = new LastIsoText();
    const times = [0, 0, 1767323045678, 1767323045678, 1767323045679, 0, -62198755200000, 253402300799999];
    for (const time of times) {
      expect(texts.of(new Date(time))).toBe(new Date(time).toISOString());
      expect(texts.of(new ImmutableDate(time))).toBe(new Date(time).toISOString());
    }
  });

  it('writes what toISOString writes for times of the same day as the last text, across days and years', () => {
    const texts = new LastIsoText();
    const day = 86_400_000;
    const starts = [0, 1767323045678, 1767312000000, -1, -62198755200000, 253402300799999 - day, 951782400000];
    let seed = 7;
    const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    for (const start of starts) {
      // The day's edges, every field's rollover, and times scattered over it and the next day.
      const offsets = [0, 1, 999, 1000, 59_999, 60_000, 3_599_999, 3_600_000, day - 1, day, day + 1, -1, -day];
      for (let i = 0; i < 200; i++) offsets.push(Math.floor(random() * 2 * day) - day / 2);
      for (const offset of offsets) {
        const time = start + offset;
        expect(texts.of(new Date(time))).toBe(new Date(time).toISOString());
      }
    }
  });

  it('writes years beyond 9999 and before 0 as toISOString does, then the days after them', () => {
    const texts = new LastIsoText();
    for (const time of [8.64e15, 8.64e15 - 1, -8.64e15, -8.64e15 + 5, -62198755200001, 0, 5, 8.64e15 - 2]) {
      expect(texts.of(new Date(time))).toBe(new Date(time).toISOString());
    }
  });

  it('throws for an invalid date, as toISOString does, and keeps working', () => {
    const texts = new LastIsoText();
    expect(() => texts.of(new Date(NaN))).toThrow(RangeError);
    expect(() => texts.of(new Date(NaN))).toThrow(RangeError);
    expect(texts.of(new Date(5))).toBe('1970-01-01T00:00:00.005Z');
  });

  it("asks a date whose toISOString is not Date's own every time", () => {
    class Shifted extends Date {
      override toISOString(): string {
        return `shifted ${this.getTime()}`;
      }
    }
    const texts = new LastIsoText();
    expect(texts.of(new Date(7))).toBe('1970-01-01T00:00:00.007Z');
    expect(texts.of(new Shifted(7))).toBe('shifted 7');
    expect(texts.of(new Date(7))).toBe('1970-01-01T00:00:00.007Z');
  });
});

describe('LastParsedTime', () => {
  it('gives what the parser gives, for the same text again, another text, and back', () => {
    const times = new LastParsedTime();
    const texts = ['', '2026-01-02T03:04:05.678Z', '2026-01-02T03:04:05.678Z', '1970-01-01T00:00:00Z', 'nonsense', ''];
    for (const text of texts) {
      expect(times.millis(text)).toBe(parseIsoTime(text));
      expect(times.immutableDate(text).getTime()).toBe(parseIsoTime(text));
    }
  });

  it('shares one immutable date between reads of the same text, and makes a new one for another', () => {
    const times = new LastParsedTime();
    const first = times.immutableDate('2026-01-02T03:04:05.678Z');
    expect(first).toBeInstanceOf(ImmutableDate);
    expect(times.immutableDate('2026-01-02T03:04:05.678Z')).toBe(first);
    const other = times.immutableDate('2026-01-02T03:04:05.679Z');
    expect(other).not.toBe(first);
    expect(other.getTime()).toBe(first.getTime() + 1);
  });

  it('reads with the parser it was given', () => {
    const times = new LastParsedTime((text) => Number(text) * 1000);
    expect(times.millis('5')).toBe(5000);
    expect(times.immutableDate('6').getTime()).toBe(6000);
  });
});

describe('canonicalIsoTime', () => {
  it("reads toISOString's form with fields in range, and leaves every other text (NaN) to Date.parse", () => {
    expect(canonicalIsoTime('2026-01-02T03:04:05.678Z')).toBe(Date.UTC(2026, 0, 2, 3, 4, 5, 678));
    expect(canonicalIsoTime('2024-02-29T00:00:00.000Z')).toBe(Date.UTC(2024, 1, 29));
    for (const text of [
      '2023-02-29T00:00:00.000Z',
      '0099-01-01T00:00:00.000Z',
      '2026-01-02T03:04:05Z',
      '2026-01-02T03:04:05.678+00:00',
    ])
      expect(canonicalIsoTime(text)).toBeNaN();
    expect(parseIsoTime('2026-01-02T03:04:05Z')).toBe(Date.UTC(2026, 0, 2, 3, 4, 5));
  });
});
