import { describe, expect, it } from 'vitest';
import { decimal } from './decimal.js';

describe('decimal', () => {
  it('adds and subtracts exactly where floats would not', () => {
    expect(decimal.add('0.1', '0.2')).toBe('0.3');
    expect(decimal.subtract('1234668.34', '0.01')).toBe('1234668.33');
    expect(decimal.add('99999999999999999999.99', '0.01')).toBe('100000000000000000000');
    expect(decimal.multiply('19.99', '3')).toBe('59.97');
  });

  it('compares and classifies', () => {
    expect(decimal.compare('5', '10.00')).toBe(-1);
    expect(decimal.compare('10.0', '10')).toBe(0);
    expect(decimal.isPositive('0.01')).toBe(true);
    expect(decimal.isNegative('-0.01')).toBe(true);
    expect(decimal.isZero('0.000')).toBe(true);
  });

  it('formats without exponent notation', () => {
    expect(decimal.add('0.0000001', '0')).toBe('0.0000001');
    expect(decimal.toFixed('85.5', 2)).toBe('85.50');
    expect(decimal.toFixed('0.005', 2)).toBe('0.01');
  });

  it('rejects what is not a number', () => {
    expect(() => decimal.add('abc', '1')).toThrow();
  });
});
