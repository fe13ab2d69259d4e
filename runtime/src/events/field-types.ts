import { z } from 'zod';
import { tagField as tagged } from './payload-decoder.js';

const DECIMAL = /^-?(0|[1-9]\d*)(\.\d+)?$/;
const LOCAL_DATE = /^\d{4}-\d{2}-\d{2}$/;

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
  /** A point in time. Accepts a `Date` or an ISO-8601 string with an offset; always yields a `Date`. */
  datetime: () =>
    tagged(
      z
        .union([z.date(), z.iso.datetime({ offset: true }).transform((s) => new Date(s))])
        .refine((d) => !Number.isNaN(d.getTime()), 'must be a valid date-time'),
      'datetime',
    ),
  /** A calendar date, `YYYY-MM-DD`, kept as a string. */
  date: () => z.string().regex(LOCAL_DATE, 'must be a date such as "2024-01-31"'),
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
