import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { SerializationError } from '../errors.js';
import { defineEvent } from './domain-event.js';
import { toEventRecord, type EventRecord } from './event-record.js';
import { EventRegistry } from './event-registry.js';
import { fields } from './field-types.js';
import { toJsonValue } from './json.js';

class Measured extends defineEvent({
  type: 'Measured',
  schema: z.object({
    at: fields.datetime(),
    day: fields.date(),
    price: fields.decimal(),
    counter: fields.bigint(),
    count: fields.integer(),
    ratio: fields.number(),
    id: fields.uuid(),
    note: z.string().optional(),
  }),
}) {}

const registry = EventRegistry.create({ events: [Measured] });

function roundTrip(event: Measured): Measured {
  const json = JSON.stringify(toEventRecord(event));
  return registry.decode(JSON.parse(json) as EventRecord) as Measured;
}

const sample = {
  at: new Date('2024-03-10T01:59:59.123Z'),
  day: '2024-03-10',
  price: '123456789012345678901234567890.000000000000000001',
  counter: 2n ** 63n - 1n,
  count: Number.MAX_SAFE_INTEGER,
  ratio: 0.1 + 0.2,
  id: '0190a000-0000-7000-8000-000000000001',
};

describe('serialization rules', () => {
  it('round-trips dates, decimals, bigints beyond 2^53 and floats exactly', () => {
    const back = roundTrip(new Measured(sample));
    expect(back.data.at).toBeInstanceOf(Date);
    expect(back.data.at.toISOString()).toBe('2024-03-10T01:59:59.123Z');
    expect(back.data.day).toBe('2024-03-10');
    expect(back.data.price).toBe('123456789012345678901234567890.000000000000000001');
    expect(back.data.counter).toBe(9223372036854775807n);
    expect(back.data.count).toBe(9007199254740991);
    expect(back.data.ratio).toBe(0.30000000000000004);
    expect(back.data.note).toBeUndefined();
  });

  it('stores dates as UTC ISO strings and bigints and decimals as strings', () => {
    const record = toEventRecord(new Measured({ ...sample, at: new Date('2024-03-10T03:59:59.123+02:00') }));
    expect(record.data).toMatchObject({
      at: '2024-03-10T01:59:59.123Z',
      counter: '9223372036854775807',
      price: sample.price,
    });
    expect(record.data).not.toHaveProperty('note');
  });

  it('accepts ISO strings with an offset and integer strings on input', () => {
    const event = new Measured({
      ...sample,
      at: '2024-03-10T03:00:00+02:00' as never,
      counter: '-18446744073709551616' as never,
    });
    expect(event.data.at.toISOString()).toBe('2024-03-10T01:00:00.000Z');
    expect(event.data.counter).toBe(-(2n ** 64n));
  });

  it('rejects inexact or unrepresentable numbers at the schema', () => {
    expect(() => new Measured({ ...sample, ratio: Number.NaN })).toThrow(/ratio/);
    expect(() => new Measured({ ...sample, ratio: Number.POSITIVE_INFINITY })).toThrow(/ratio/);
    expect(() => new Measured({ ...sample, count: 2 ** 53 })).toThrow(/count/);
    expect(() => new Measured({ ...sample, counter: 2 ** 60 })).toThrow(/counter/);
    expect(() => new Measured({ ...sample, price: 10.5 as never })).toThrow(/price/);
    expect(() => new Measured({ ...sample, price: '1e5' })).toThrow(/price/);
    expect(() => new Measured({ ...sample, at: '2024-03-10T03:00:00' as never })).toThrow(/at/);
    expect(() => new Measured({ ...sample, day: '10/03/2024' })).toThrow(/day/);
  });

  it('toJsonValue rejects NaN, Infinity and non-JSON values, naming the path', () => {
    const fail = (value: unknown) => {
      try {
        toJsonValue(value, 'data');
      } catch (e) {
        return e as SerializationError;
      }
      throw new Error('expected a SerializationError');
    };
    expect(fail({ a: [1, Number.NaN] }).path).toBe('data.a.1');
    expect(fail({ b: Number.NEGATIVE_INFINITY }).path).toBe('data.b');
    expect(fail({ c: new Map() }).message).toContain('Map instances are not supported');
    expect(fail({ d: () => 1 }).path).toBe('data.d');
    expect(fail({ e: Symbol('x') }).path).toBe('data.e');
    expect(fail([undefined]).path).toBe('data.0');
    expect(fail({ f: new Date(Number.NaN) }).message).toContain('invalid Date');
    expect(fail(Number.NaN)).toBeInstanceOf(SerializationError);
  });

  it('toJsonValue converts dates and bigints and drops undefined properties', () => {
    expect(toJsonValue({ at: new Date(0), big: 2n ** 64n, gone: undefined, list: [null, true, 'x'] })).toEqual({
      at: '1970-01-01T00:00:00.000Z',
      big: '18446744073709551616',
      list: [null, true, 'x'],
    });
    expect(toJsonValue(Object.assign(Object.create(null), { a: 1 }))).toEqual({ a: 1 });
  });
});
