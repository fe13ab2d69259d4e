import { afterEach, describe, expect, it, vi } from 'vitest';
import { v7, validate, version } from 'uuid';
import { formatV7, newEventId } from './ids.js';

/** The 48-bit millisecond timestamp at the start of a UUID v7. */
const msOf = (id: string) => parseInt(id.replace(/-/g, '').slice(0, 12), 16);

describe('newEventId', () => {
  afterEach(() => vi.restoreAllMocks());

  it('makes valid, distinct UUID v7s that sort in the order they were made, carrying the time', () => {
    const before = Date.now();
    const ids = Array.from({ length: 5000 }, () => newEventId());
    const after = Date.now();
    for (const id of ids) {
      expect(validate(id)).toBe(true);
      expect(version(id)).toBe(7);
      expect(id[19]).toMatch(/[89ab]/); // RFC 9562 variant
      expect(msOf(id)).toBeGreaterThanOrEqual(before);
      expect(msOf(id)).toBeLessThanOrEqual(after);
    }
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
  });

  it('keeps the order within one millisecond and when the clock goes back', () => {
    const now = vi.spyOn(Date, 'now').mockReturnValue(Date.UTC(2030, 0, 1));
    const ids = Array.from({ length: 2000 }, () => newEventId());
    now.mockReturnValue(Date.UTC(2029, 0, 1)); // the system clock was set back
    ids.push(...Array.from({ length: 10 }, () => newEventId()));
    now.mockReturnValue(Date.UTC(2030, 0, 2));
    ids.push(newEventId());
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
    expect(msOf(ids[2005]!)).toBe(Date.UTC(2030, 0, 1)); // not the earlier time
    expect(msOf(ids[2010]!)).toBe(Date.UTC(2030, 0, 2));
  });

  it('draws the random part afresh for each id', () => {
    const tails = new Set(Array.from({ length: 1000 }, () => newEventId().slice(24)));
    expect(tails.size).toBe(1000);
  });

  it("lays out time, counter and random bytes as uuid's v7 does", () => {
    const cases: [number, number][] = [
      [0, 0],
      [1, 1],
      [Date.UTC(2030, 0, 1), 0x7fffffff],
      [2 ** 48 - 1, 0x40000000],
      [Date.UTC(2026, 11, 4, 22, 10, 0, 123), 0x12345678],
    ];
    for (let i = 0; i < 500; i++)
      cases.push([Math.floor(Math.random() * 2 ** 48), Math.floor(Math.random() * 2 ** 31)]);
    for (const [msecs, seq] of cases) {
      const random = crypto.getRandomValues(new Uint8Array(16));
      expect(formatV7(msecs, seq, random)).toBe(v7({ msecs, seq, random }));
    }
    const ones = new Uint8Array(16).fill(0xff);
    expect(formatV7(2 ** 48 - 1, 2 ** 31 - 1, ones)).toBe(v7({ msecs: 2 ** 48 - 1, seq: 2 ** 31 - 1, random: ones }));
  });
});
