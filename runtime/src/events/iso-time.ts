import { ImmutableDate } from './immutable.js';

/**
 * `Date.parse` for ISO-8601 text, with a fast path for the form `Date.prototype.toISOString` writes
 * (`2026-01-02T03:04:05.678Z`), which is how stores and payloads keep times: read paths parse one
 * or more per event, and `Date.parse` costs several times more. Anything else, including text in
 * that form whose fields are out of range, is `Date.parse`'s to decide, so results are the same.
 *
 * @example
 * ```ts
 * parseIsoTime('2026-01-02T03:04:05.678Z'); // 1767323045678
 * ```
 */
export function parseIsoTime(text: string): number {
  const time = canonicalIsoTime(text);
  return Number.isNaN(time) ? Date.parse(text) : time;
}

/**
 * The epoch ms of a text in the form `Date.prototype.toISOString` writes for years 100–9999
 * (`2026-01-02T03:04:05.678Z`) with every field in range (a day that exists in its month), read
 * from its digits; `NaN` for any other text, which `Date.parse` may still read.
 */
export function canonicalIsoTime(text: string): number {
  if (
    text.length === 24 &&
    text.charCodeAt(4) === 45 && // -
    text.charCodeAt(7) === 45 &&
    text.charCodeAt(10) === 84 && // T
    text.charCodeAt(13) === 58 && // :
    text.charCodeAt(16) === 58 &&
    text.charCodeAt(19) === 46 && // .
    text.charCodeAt(23) === 90 // Z
  ) {
    const year = digits(text, 0, 4);
    const month = digits(text, 5, 2);
    const day = digits(text, 8, 2);
    const hour = digits(text, 11, 2);
    const minute = digits(text, 14, 2);
    const second = digits(text, 17, 2);
    const millisecond = digits(text, 20, 3);
    return utcTime(year, month, day, hour, minute, second, millisecond);
  }
  return NaN;
}

/**
 * `Date.UTC` of the fields when each is in range (a year from 100, since `Date.UTC` reads 0–99 as
 * 1900–1999; a day that exists in its month), else `NaN`. Fields that were not digits arrive as -1.
 */
export function utcTime(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
  millisecond: number,
): number {
  if (
    year < 100 ||
    month < 1 ||
    month > 12 ||
    day < 1 ||
    (day > DAYS_IN_MONTH[month - 1]! && !(month === 2 && day === 29 && isLeapYear(year))) ||
    hour < 0 ||
    hour > 23 ||
    minute < 0 ||
    minute > 59 ||
    second < 0 ||
    second > 59 ||
    millisecond < 0
  )
    return NaN;
  return Date.UTC(year, month - 1, day, hour, minute, second, millisecond);
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function isLeapYear(year: number): boolean {
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
}

/** The decimal number in `count` characters from `start`, or -1 if one is not a digit. */
export function digits(text: string, start: number, count: number): number {
  let value = 0;
  for (let i = start; i < start + count; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

const nativeToIsoString = Date.prototype.toISOString;
const nativeGetTime = Date.prototype.getTime;

/**
 * `date.toISOString()`, remembering the text of the last time it wrote: the events of one append
 * are mostly built in the same millisecond and payloads often carry the same date, and
 * `toISOString` costs ~0.5 µs where comparing two numbers costs nothing. Each call site keeps its
 * own, so that two sites taking turns do not push each other's time out. A date whose
 * `toISOString` is not `Date`'s own is asked every time; an invalid date throws as `toISOString`
 * does.
 *
 * A time in the same UTC day as the last text `toISOString` wrote is written from that day's text
 * and the time of day, read from a table of digits: each append's stored time and each event's
 * occurred time is a new millisecond, and `toISOString` right after a commit's sync (cold caches)
 * cost several µs of a single-event append.
 *
 * @example
 * ```ts
 * const occurred = new LastIsoText();
 * occurred.of(new Date(0)); // '1970-01-01T00:00:00.000Z'
 * ```
 */
export class LastIsoText {
  #millis = NaN;
  #text = '';
  /** The first millisecond of the UTC day `toISOString` last wrote, and its text up to the time (`2026-01-02T`). */
  #dayStart = NaN;
  #dayText = '';

  of(date: Date): string {
    if (date.toISOString !== nativeToIsoString) return date.toISOString();
    const millis = nativeGetTime.call(date);
    if (millis !== this.#millis) {
      const ofDay = millis - this.#dayStart; // NaN for an invalid date, or before the first text
      if (ofDay >= 0 && ofDay < DAY_MS) {
        this.#text = this.#dayText + timeOfDayText(ofDay);
      } else {
        const text: string = nativeToIsoString.call(date); // throws RangeError for an invalid date
        // Years 0-9999 only (24 characters): other years are written with a sign and six digits.
        if (text.length === 24) {
          this.#dayStart = millis - (((millis % DAY_MS) + DAY_MS) % DAY_MS);
          this.#dayText = text.slice(0, 11);
        }
        this.#text = text;
      }
      this.#millis = millis;
    }
    return this.#text;
  }
}

const DAY_MS = 86_400_000;
const TWO_DIGITS = Array.from({ length: 60 }, (_, n) => String(n).padStart(2, '0'));
const THREE_DIGITS = Array.from({ length: 1000 }, (_, n) => String(n).padStart(3, '0'));

/** `HH:MM:SS.mmmZ` of a millisecond of the day (0 to 86,399,999), as `toISOString` ends. */
function timeOfDayText(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  const minutes = Math.floor(seconds / 60);
  return `${TWO_DIGITS[Math.floor(minutes / 60)]!}:${TWO_DIGITS[minutes % 60]!}:${TWO_DIGITS[seconds % 60]!}.${THREE_DIGITS[ms % 1000]!}Z`;
}

/**
 * The epoch ms of the time text last read, and one {@link ImmutableDate} of it: the inverse of
 * {@link LastIsoText}, for read paths. Events of one append share their stored time and, often,
 * their occurred time, and a page holds them one after another: comparing the text with the last
 * one costs less than parsing it again, and events of the same time can share one date, as
 * nothing can change it. `parse` reads the text (ISO-8601 by default; a store passes its
 * column's form); each call site keeps its own.
 *
 * @example
 * ```ts
 * const occurred = new LastParsedTime();
 * occurred.millis('2026-01-02T03:04:05.678Z'); // 1767323045678
 * occurred.immutableDate('2026-01-02T03:04:05.678Z') === occurred.immutableDate('2026-01-02T03:04:05.678Z'); // true
 * ```
 */
export class LastParsedTime {
  readonly #parse: (text: string) => number;
  #text = '';
  #millis = NaN;
  #date: ImmutableDate | undefined;

  constructor(parse: (text: string) => number = parseIsoTime) {
    this.#parse = parse;
  }

  millis(text: string): number {
    if (text !== this.#text) {
      this.#millis = this.#parse(text);
      this.#text = text;
      this.#date = undefined;
    }
    return this.#millis;
  }

  immutableDate(text: string): ImmutableDate {
    const millis = this.millis(text);
    return (this.#date ??= new ImmutableDate(millis));
  }
}
