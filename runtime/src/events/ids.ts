import { randomFillSync } from 'node:crypto';

/**
 * Random bytes for ids, filled from the system's secure generator 256 ids at a time: asking it
 * for 16 bytes per id cost about half of building an event (one call each, ~2-3 µs on a busy
 * machine), where one call per 4 KiB costs next to nothing per id.
 */
const POOL = new Uint8Array(16 * 256);
/**
 * The pool's 16-byte views, made once: a `subarray` per id allocated a new view (~40 ns) for
 * bytes that `v7` reads at once and never keeps.
 */
const SLOTS = Array.from({ length: POOL.length / 16 }, (_, i) => POOL.subarray(16 * i, 16 * (i + 1)));
let used = SLOTS.length;

/** The timestamp and counter of the last id, so that ids made later sort after earlier ones. */
let lastMs = -Infinity;
let seq = 0;

function randomBytes(): Uint8Array {
  if (used === SLOTS.length) {
    randomFillSync(POOL);
    used = 0;
  }
  return SLOTS[used++]!;
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
  return uuidV7Text(lastMs, seq, random);
}

/** Two lowercase hex digits per byte value. */
const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));

/**
 * The text of the UUID v7 of a millisecond time, a counter and random bytes (11-15 and the low
 * two bits of 10 are used), laid out as the `uuid` package's `v7({ random, msecs, seq })` lays it
 * out (RFC 9562: 48-bit time, version, 12 counter bits, variant, 18 more counter bits, 42 random
 * bits), written from a table of hex digits: without the typed array of bytes and the
 * `toLowerCase` pass over the text that `v7` makes for each id.
 *
 * @example
 * ```ts
 * uuidV7Text(0x0123456789ab, 0, new Uint8Array(16)); // '01234567-89ab-7000-8000-000000000000'
 * ```
 */
export function uuidV7Text(msecs: number, seq: number, random: Uint8Array): string {
  return (
    HEX[(msecs / 0x10000000000) & 0xff]! +
    HEX[(msecs / 0x100000000) & 0xff]! +
    HEX[(msecs / 0x1000000) & 0xff]! +
    HEX[(msecs / 0x10000) & 0xff]! +
    '-' +
    HEX[(msecs / 0x100) & 0xff]! +
    HEX[msecs & 0xff]! +
    '-' +
    HEX[0x70 | ((seq >>> 28) & 0x0f)]! +
    HEX[(seq >>> 20) & 0xff]! +
    '-' +
    HEX[0x80 | ((seq >>> 14) & 0x3f)]! +
    HEX[(seq >>> 6) & 0xff]! +
    '-' +
    HEX[((seq << 2) & 0xff) | (random[10]! & 0x03)]! +
    HEX[random[11]!]! +
    HEX[random[12]!]! +
    HEX[random[13]!]! +
    HEX[random[14]!]! +
    HEX[random[15]!]!
  );
}
