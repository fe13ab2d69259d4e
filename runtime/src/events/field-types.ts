import { z } from 'zod';
import { acceptsDate } from './calendar-date.js';
import { tagField as tagged } from './payload-decoder.js';

const DECIMAL = /^-?(0|[1-9]\d*)(\.\d+)?$/;
const DATE_MESSAGE = 'must be a calendar date such as 2024-01-31 (YYYY-MM-DD)';
const DATETIME_MESSAGE =
  'must be an ISO 8601 date-time with an offset, such as 2024-03-01T10:11:12Z or 2024-03-01T10:11:12+02:00';

/**
 * Zod schemas for the field types of domain YAML. Generated event classes use these, so every
 * payload follows the same JSON rules (see `toJsonValue`).
 *
 * @example
 * ```ts
 * const schema = z.object({ amount: fields.decimal(), at: fields.datetime(), ledgerId: fields.bigint() });
 * ```
 */
export const fields = {
  /** An exact decimal, kept as a string such as `"10.25"`; never a float. */
  decimal: () => z.string().regex(DECIMAL, 'must be a decimal string such as "10.25"'),
  /**
   * A point in time. Accepts a `Date` or an ISO-8601 string with an offset (`Z` or `+02:00`);
   * always yields a `Date`. A string without an offset is refused: it names no single instant.
   */
  datetime: () =>
    tagged(
      z
        .union([z.date(), z.iso.datetime({ offset: true }).transform((s) => new Date(s))], { error: DATETIME_MESSAGE })
        .refine((d) => !Number.isNaN(d.getTime()), DATETIME_MESSAGE),
      'datetime',
    ),
  /**
   * A calendar date, `YYYY-MM-DD`, kept as a string. New values must name a day that exists
   * (2024-02-29, not 2023-02-29 or 2024-13-45); stored events and snapshots are read as they were
   * written, so a day stored before that check stays readable.
   */
  date: () => tagged(z.string().refine(acceptsDate, DATE_MESSAGE), 'date'),
  /** A 64-bit (or larger) integer. Accepts a bigint, a safe integer or a decimal string; yields a bigint. */
  bigint: () =>
    tagged(
      z.union([
        z.bigint(),
        z
          .number()
          .int()
          .transform((n) => BigInt(n)),
        z
          .string()
          .regex(/^-?\d+$/, 'must be an integer string')
          .transform((s) => BigInt(s)),
      ]),
      'bigint',
    ),
  /** A whole number that fits in a double exactly. */
  integer: () => z.number().int().min(Number.MIN_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER),
  /** A finite number (NaN and ±Infinity are rejected). */
  number: () => z.number().finite(),
  uuid: () => z.uuid(),
} as const;
