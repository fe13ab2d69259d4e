/** The shape of a `date` field: `YYYY-MM-DD`. */
export const LOCAL_DATE = /^\d{4}-\d{2}-\d{2}$/;

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Whether `text` is `YYYY-MM-DD` naming a day that exists (2024-02-29 does, 2023-02-29 does not). */
export function isCalendarDate(text: string): boolean {
  if (!LOCAL_DATE.test(text)) return false;
  const year = digits(text, 0, 4);
  const month = digits(text, 5, 2);
  const day = digits(text, 8, 2);
  if (month < 1 || month > 12 || day < 1) return false;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return day <= (month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1]!);
}

/** The number the `length` ASCII digits at `start` spell (checked by the pattern first). */
function digits(text: string, start: number, length: number): number {
  let n = 0;
  for (let i = start; i < start + length; i++) n = n * 10 + text.charCodeAt(i) - 48;
  return n;
}

let storedReads = 0;

/**
 * Runs `read`, a synchronous parse of data that was stored (an event payload, a snapshot's state),
 * with `fields.date()` accepting any `YYYY-MM-DD`. Dates are checked against the calendar when
 * written, but payloads stored before that check existed may hold a day such as 2024-02-30, and a
 * stored event must stay readable.
 */
export function readingStored<T>(read: () => T): T {
  storedReads++;
  try {
    return read();
  } finally {
    storedReads--;
  }
}

/** Whether a `date` value passes: any `YYYY-MM-DD` inside {@link readingStored}, a real day elsewhere. */
export function acceptsDate(text: string): boolean {
  return storedReads > 0 ? LOCAL_DATE.test(text) : isCalendarDate(text);
}
