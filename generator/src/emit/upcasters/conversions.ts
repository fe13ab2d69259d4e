import { conversions } from '@eventsmith/runtime/conversions';
import type { ConversionName, JsonValue } from '@eventsmith/schema';

/**
 * The built-in `convert` conversions live in the runtime (`conversions` in `@eventsmith/runtime`):
 * generated upcasters call them there, and the generator runs the same functions to compute the
 * expected outputs of the golden tests. The schema package's `CONVERSIONS` names them (with the
 * field types they convert between); the compiler and a unit test keep the two lists equal.
 */

/** A sample input each conversion accepts (used when the converted field is a plain string or number). */
export const CONVERSION_SAMPLES: { readonly [K in ConversionName]: JsonValue } = {
  numberToDecimal: 10.5,
  integerToDecimal: 42,
  stringToDecimal: ' 10.50 ',
  centsToDecimal: 1050,
  decimalToCents: '10.50',
  stringToInteger: '42',
  integerToString: 42,
  numberToString: 10.5,
  stringToNumber: '10.5',
  integerToNumber: 42,
  numberToInteger: 10.5,
  stringToBoolean: 'yes',
  dateToDatetime: '2024-01-15',
  datetimeToDate: '2024-01-15T09:30:00.000Z',
  epochMillisToDatetime: 1705311000000,
  epochSecondsToDatetime: 1705311000,
  stringToUuid: ' 0190A0B4-4A4E-7C3D-8F2A-5B6C7D8E9F01 ',
};

/** Runs a built-in conversion on a JSON value, as a generated upcaster does. */
export function applyConversion(name: ConversionName, value: JsonValue): JsonValue {
  return (conversions[name] as (value: never) => JsonValue)(value as never);
}
