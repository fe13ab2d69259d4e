import { randomFillSync } from 'node:crypto';

/**
 * Random bytes for ids, filled from the system's secure generator 256 ids at a time: asking it
 * for 16 bytes per id cost about half of building an event (one call each, ~2-3 µs on a busy
 * machine), where one call per 4 KiB costs next to nothing per id.
 */
const POOL = new Uint8Array(16 * 256);
let used = POOL.length;

/** The timestamp and counter of the last id, so that ids made later sort after earlier ones. */
let lastMs = -Infinity;
let seq = 0;

function randomBytes(): Uint8Array {
  if (used === POOL.length) {
    randomFillSync(POOL);
    used = 0;
  }
  return POOL.subarray(used, (used += 16));
}

/** A new time-ordered UUID v7; ids created later sort after earlier ones. */
export function newEventId(): string {
  const random = randomBytes();
  const now = Date.now();
  if (now > lastMs) {
    // A new millisecond: the 31-bit counter starts at a random value (RFC 9562, method 1).
    seq = ((random[6]! << 23) | (random[7]! << 15) | (random[8]! << 7) | (random[9]! >>> 1)) >>> 0;
    lastMs = now;
  } else {
    // Same millisecond (or the clock went back): count on; on wrap-around borrow the next millisecond.
    seq = (seq + 1) | 0;
    if (seq === 0) lastMs++;
  }
  return formatV7(lastMs, seq, random);
}

/** Lower-case hex digits, as character codes. */
const DIGITS = Uint8Array.from('0123456789abcdef', (c) => c.charCodeAt(0));
/** The text of the id being made: dashes in place, digits written over the rest for each id. */
const TEXT = Buffer.from('00000000-0000-7000-8000-000000000000', 'latin1');

/**
 * The UUID v7 of a millisecond time, a 31-bit counter and random bytes (10-15 used), laid out as
 * RFC 9562 and uuid's `v7({ msecs, seq, random })` lay it out (a test holds the two equal): the
 * text is written as character codes and read as one string, instead of the 16-byte array and
 * the concatenation of 20 pieces that `v7` builds and lower-cases for every id.
 */
export function formatV7(msecs: number, seq: number, random: Uint8Array): string {
  hex(0, (msecs / 0x10000000000) & 0xff);
  hex(2, (msecs / 0x100000000) & 0xff);
  hex(4, (msecs / 0x1000000) & 0xff);
  hex(6, (msecs / 0x10000) & 0xff);
  hex(9, (msecs / 0x100) & 0xff);
  hex(11, msecs & 0xff);
  hex(14, 0x70 | ((seq >>> 28) & 0x0f));
  hex(16, (seq >>> 20) & 0xff);
  hex(19, 0x80 | ((seq >>> 14) & 0x3f));
  hex(21, (seq >>> 6) & 0xff);
  hex(24, ((seq << 2) & 0xff) | (random[10]! & 0x03));
  for (let i = 11; i < 16; i++) hex(26 + (i - 11) * 2, random[i]!);
  return TEXT.toString('latin1', 0, 36);
}

function hex(at: number, byte: number): void {
  TEXT[at] = DIGITS[byte >>> 4]!;
  TEXT[at + 1] = DIGITS[byte & 0x0f]!;
}
