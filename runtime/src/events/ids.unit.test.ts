import { afterEach, describe, expect, it, vi } from 'vitest';
import { v7 as uuidv7, validate, version } from 'uuid';
import { newEventId, uuidV7Text } from './ids.js';

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

  it("lays out each id as the uuid package's v7 does for the same time, counter and random bytes", () => {
    let seed = 11;
    const next = () => (seed = (seed * 48271) % 2147483647);
    const times = [
      0,
      1,
      0xff,
      0x0123456789ab,
      2 ** 48 - 1,
      Date.UTC(2026, 0, 2),
      Date.UTC(1999, 11, 31, 23, 59, 59, 999),
    ];
    const seqs = [0, 1, 0x7fffffff, -1, -0x80000000, 0x3fffffff, 0x12345678];
    for (let i = 0; i < 300; i++) {
      times.push(next() * 64 + (next() % 64));
      seqs.push(next() | 0);
    }
    for (let i = 0; i < times.length; i++) {
      const random = Uint8Array.from({ length: 16 }, () => next() & 0xff);
      for (const seq of [seqs[i]!, seqs[(i * 7) % seqs.length]!]) {
        const msecs = times[i]!;
        expect(uuidV7Text(msecs, seq, random)).toBe(uuidv7({ random, msecs, seq }));
      }
    }
  });
});
