import { describe, expect, it } from 'vitest';
import { ConcurrencyError, InvalidArgumentError, PositionDecodeError, PositionForeignError } from '../errors.js';
import { assertExpectedVersion, checkExpectedVersion, matchesExpectedVersion } from './expected-version.js';
import { Position } from './position.js';
import { parseStreamId, streamIdFor } from './stream-id.js';

describe('ExpectedVersion', () => {
  it('matches the four kinds', () => {
    expect([0, 1, 5].map((v) => matchesExpectedVersion('any', v))).toEqual([true, true, true]);
    expect([0, 1].map((v) => matchesExpectedVersion('no_stream', v))).toEqual([true, false]);
    expect([0, 1].map((v) => matchesExpectedVersion('stream_exists', v))).toEqual([false, true]);
    expect([0, 2, 3].map((v) => matchesExpectedVersion(2, v))).toEqual([false, true, false]);
    expect(matchesExpectedVersion(0, 0)).toBe(true);
  });

  it('throws ConcurrencyError carrying stream, expected and actual', () => {
    const error = (() => {
      try {
        checkExpectedVersion('Account-1', 'no_stream', 4);
      } catch (e) {
        return e as ConcurrencyError;
      }
    })();
    expect(error).toBeInstanceOf(ConcurrencyError);
    expect(error).toMatchObject({ streamId: 'Account-1', expected: 'no_stream', actual: 4, code: 'STORE.CONCURRENCY' });
    expect(error!.message).toContain('Reload the aggregate and retry');
  });

  it('rejects invalid expectations', () => {
    for (const bad of [-1, 1.5, Number.NaN, 'latest', undefined]) {
      expect(() => assertExpectedVersion(bad as never)).toThrow(InvalidArgumentError);
    }
    expect(() => assertExpectedVersion(0)).not.toThrow();
  });
});

describe('Position', () => {
  it('serialises and parses, and orders positions of one store', () => {
    const a = Position.of('pg:app', 10);
    const b = Position.of('pg:app', 2n ** 70n);
    expect(Position.parse(a.toString()).equals(a)).toBe(true);
    expect(Position.parse(b.toString()).value).toBe(2n ** 70n);
    expect(JSON.stringify({ a })).toBe('{"a":"pg:app@10"}');
    expect(b.isAfter(a)).toBe(true);
    expect(a.compare(b)).toBeLessThan(0);
    expect(a.compare(Position.of('pg:app', 10))).toBe(0);
    expect(Position.parse('sqlite:/tmp/a@b.db@7').storeId).toBe('sqlite:/tmp/a@b.db');
    expect(Object.isFrozen(a)).toBe(true);
  });

  it('refuses to compare positions of different stores and to parse garbage', () => {
    expect(() => Position.of('a', 1).compare(Position.of('b', 1))).toThrow(PositionForeignError);
    expect(Position.of('a', 1).equals(Position.of('b', 1))).toBe(false);
    for (const bad of ['', '@1', 'store', 'store@', 'store@-1', 'store@1.5']) {
      expect(() => Position.parse(bad)).toThrow(PositionDecodeError);
    }
  });
});

describe('stream ids', () => {
  it('joins and splits type and id at the first dash', () => {
    expect(streamIdFor('BankAccount', 'a-b-c')).toBe('BankAccount-a-b-c');
    expect(parseStreamId('BankAccount-a-b-c')).toEqual({ aggregateType: 'BankAccount', aggregateId: 'a-b-c' });
    expect(() => streamIdFor('Bank-Account', '1')).toThrow(InvalidArgumentError);
    expect(() => streamIdFor('', '1')).toThrow(InvalidArgumentError);
    expect(() => parseStreamId('nodash')).toThrow(InvalidArgumentError);
  });
});
