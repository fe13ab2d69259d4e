import { EventsmithError } from '@eventsmith/runtime';
import { conversions } from '@eventsmith/runtime/conversions';
import { CONVERSIONS, type ConversionName } from '@eventsmith/schema';
import { describe, expect, it } from 'vitest';
import { applyConversion, CONVERSION_SAMPLES } from './conversions.js';

const names = Object.keys(CONVERSIONS) as ConversionName[];

/** A JSON value of the scalar type a conversion produces. */
const OF_TYPE: Record<string, (v: unknown) => boolean> = {
  decimal: (v) => typeof v === 'string' && /^-?(0|[1-9]\d*)(\.\d+)?$/.test(v),
  integer: (v) => Number.isSafeInteger(v),
  number: (v) => typeof v === 'number' && Number.isFinite(v),
  string: (v) => typeof v === 'string',
  boolean: (v) => typeof v === 'boolean',
  date: (v) => typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v),
  datetime: (v) => typeof v === 'string' && !Number.isNaN(Date.parse(v)) && v.endsWith('Z'),
  uuid: (v) => typeof v === 'string' && /^[0-9a-f-]{36}$/.test(v),
};

describe('built-in conversions', () => {
  it('are implemented once, in the runtime, under the names the schema declares', () => {
    expect(Object.keys(conversions).sort()).toEqual([...names].sort());
  });

  it.each(names)('%s turns its sample into a value of the declared target type', (name) => {
    const out = applyConversion(name, CONVERSION_SAMPLES[name]);
    expect(OF_TYPE[CONVERSIONS[name].to]!(out), `${name} → ${JSON.stringify(out)}`).toBe(true);
  });

  it('convert as the FORMAT documents, and refuse what they cannot convert', () => {
    expect(conversions.centsToDecimal(1050)).toBe('10.50');
    expect(conversions.centsToDecimal(-5)).toBe('-0.05');
    expect(conversions.decimalToCents('10.505')).toBe(1051);
    expect(conversions.numberToDecimal(1e21)).toBe('1000000000000000000000');
    expect(conversions.numberToInteger(-2.5)).toBe(-3);
    expect(conversions.dateToDatetime('2024-01-31')).toBe('2024-01-31T00:00:00.000Z');
    const refused = (() => {
      try {
        conversions.stringToDecimal('ten');
      } catch (error) {
        return error;
      }
    })();
    expect(refused).toBeInstanceOf(EventsmithError);
    expect(refused).toMatchObject({ code: 'UPCAST.CONVERSION' });
    expect(() => conversions.stringToUuid('nope')).toThrow('stringToUuid: cannot convert "nope"; expected a UUID.');
  });
});
