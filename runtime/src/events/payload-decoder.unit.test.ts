import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { EventValidationError } from '../errors.js';
import { defineEvent } from './domain-event.js';
import { toEventRecord, type EventRecord } from './event-record.js';
import { EventRegistry } from './event-registry.js';
import { fields } from './field-types.js';
import { ImmutableDate, immutableCopyWithJson } from './immutable.js';
import { NO_MATCH, payloadBuilder, payloadDecoder } from './payload-decoder.js';

const schema = z.object({
  text: z.string().min(1).max(50),
  n: fields.integer(),
  ratio: z.number().positive(),
  flag: z.boolean(),
  amount: fields.decimal(),
  day: fields.date(),
  at: fields.datetime(),
  big: fields.bigint(),
  id: fields.uuid(),
  kind: z.enum(['card', 'cash']),
  fixed: z.literal('v'),
  note: z.string().nullable(),
  later: fields.datetime().optional(),
  lines: z.array(z.object({ sku: z.string(), qty: z.number().int(), when: fields.datetime() })),
  extra: z.unknown(),
  country: z.string().prefault('DE'),
  currency: z.enum(['EUR', 'USD']).default('EUR'),
});
class Booked extends defineEvent({ type: 'Booked', schema }) {}
class Checked extends defineEvent({
  type: 'Checked',
  schema: z.object({ a: z.number(), b: z.number() }).refine((v) => v.a < v.b, 'a must be below b'),
}) {}
const registry = EventRegistry.create({ events: [Booked, Checked] });

const payload = {
  text: 'hello',
  n: 7,
  ratio: 0.5,
  flag: true,
  amount: '10.25',
  day: '2024-01-31',
  at: new Date('2024-03-01T10:00:00.000Z'),
  big: 2n ** 64n,
  id: '7f1d7b4e-2a4c-4c1e-9a55-0d6f1c2b3a4d',
  kind: 'card' as const,
  fixed: 'v' as const,
  note: null,
  lines: [{ sku: 'a', qty: 2, when: new Date('2024-03-02T00:00:00.000+02:00') }],
  extra: { tags: ['x'], deep: { y: 1 } },
  country: 'FR',
  currency: 'USD' as const,
};
const stored = JSON.stringify(toEventRecord(new Booked(payload, { aggregateId: 'b-1' })));
/** A freshly parsed record whose payload is changed by `edit`, as a tampered row would read. */
const row = (edit: (data: Record<string, unknown>) => void = () => {}): EventRecord => {
  const record = JSON.parse(stored) as EventRecord & { data: Record<string, unknown> };
  edit(record.data);
  return record;
};
const failure = (decode: () => unknown) => {
  try {
    decode();
  } catch (error) {
    return error;
  }
  return undefined;
};

describe('compiled payload decoder (stored records at the current version)', () => {
  it('compiles the field types of domain YAML and leaves refinements to zod', () => {
    expect(payloadDecoder(Booked.schema)).toBeTypeOf('function');
    expect(payloadDecoder(Checked.schema)).toBeUndefined();
  });

  it('gives what zod gives: typed dates and bigints, deeply frozen', () => {
    const viaZod = registry.decode(row()).data as typeof payload;
    const compiled = registry.decodeOwned(row()).data as typeof payload;
    expect(compiled).toEqual(viaZod);
    expect(compiled).toEqual(payload);
    expect(compiled.at).toBeInstanceOf(ImmutableDate);
    expect(compiled.lines[0]!.when).toBeInstanceOf(ImmutableDate);
    expect(compiled.big).toBe(2n ** 64n);
    expect(Object.isFrozen(compiled)).toBe(true);
    expect(Object.isFrozen(compiled.lines)).toBe(true);
    expect(Object.isFrozen(compiled.lines[0])).toBe(true);
    expect(Object.isFrozen((compiled.extra as { tags: string[] }).tags)).toBe(true);
    expect(() => compiled.at.setTime(0)).toThrow(TypeError);
  });

  it.each([
    ['a bad decimal', (d: Record<string, unknown>) => (d['amount'] = '1e3'), ['amount']],
    ['a fractional integer', (d: Record<string, unknown>) => (d['n'] = 1.5), ['n']],
    ['an impossible date-time', (d: Record<string, unknown>) => (d['at'] = '2024-02-30T00:00:00Z'), ['at']],
    ['a missing field', (d: Record<string, unknown>) => delete d['text'], ['text']],
    ['a value outside the enum', (d: Record<string, unknown>) => (d['kind'] = 'cheque'), ['kind']],
    [
      'a nested wrong type',
      (d: Record<string, unknown>) => ((d['lines'] as { qty: unknown }[])[0]!.qty = '2'),
      ['lines.0.qty'],
    ],
    ['a too long string', (d: Record<string, unknown>) => (d['text'] = 'x'.repeat(51)), ['text']],
  ])('a tampered row with %s still fails validation, as zod reports it', (_name, edit, paths) => {
    const error = failure(() => registry.decodeOwned(row(edit)));
    expect(error).toBeInstanceOf(EventValidationError);
    expect((error as EventValidationError).issues.map((issue) => issue.path)).toEqual(paths);
    expect(failure(() => registry.decode(row(edit)))).toEqual(error);
  });

  it('fills in a default for a key the row lacks, as zod does', () => {
    const event = registry.decodeOwned(row((d) => delete d['country']));
    expect(event.data).toEqual({ ...payload, country: 'DE' });
  });

  it('strips a key the schema does not know, as zod does', () => {
    const event = registry.decodeOwned(row((d) => (d['removed'] = 'old')));
    expect(event.data).not.toHaveProperty('removed');
    expect(event.data).toEqual(payload);
  });

  it('still runs refinements the compiler does not model', () => {
    const record = JSON.parse(JSON.stringify(toEventRecord(new Checked({ a: 1, b: 2 })))) as EventRecord;
    const tampered = { ...record, data: { a: 3, b: 2 } };
    expect(failure(() => registry.decodeOwned(tampered))).toBeInstanceOf(EventValidationError);
  });

  it('answers NO_MATCH without touching a value it does not accept', () => {
    const decode = payloadDecoder(Booked.schema)!;
    const data = row((d) => (d['n'] = 'seven')).data as Record<string, unknown>;
    expect(decode(data)).toBe(NO_MATCH);
    expect(Object.isFrozen(data)).toBe(false);
    expect(data['at']).toBeTypeOf('string');
  });

  it('accepts exactly the date-time texts zod accepts, and reads the same time from them', () => {
    const when = z.object({ at: fields.datetime() });
    const decode = payloadDecoder(when)!;
    const texts = [
      '2024-02-29T23:59:59.999Z',
      '2023-02-29T00:00:00.000Z',
      '2000-02-29T12:00:00.000Z',
      '1900-02-29T12:00:00.000Z',
      '2024-04-31T00:00:00.000Z',
      '2024-13-01T00:00:00.000Z',
      '2024-01-01T24:00:00.000Z',
      '2024-01-01T23:60:00.000Z',
      '2024-01-01T23:59:60.000Z',
      '0050-01-01T00:00:00.000Z',
      '0100-01-01T00:00:00.000Z',
      '9999-12-31T23:59:59.999Z',
      '2024-03-01T10:00:00Z',
      '2024-03-01T10:00:00.5+02:00',
      '2024-03-01T10:00:00.000+02:00',
      '2024-03-01 10:00:00.000Z',
      '2024-03-01T10:00:00.00xZ',
    ];
    // And toISOString's own texts of times spread over years 100-9999.
    for (let i = 0; i < 500; i++) texts.push(new Date(-59_011_459_200_000 + i * 624_827_519_999).toISOString());
    for (const text of texts) {
      const viaZod = when.safeParse({ at: text });
      const compiled = decode({ at: text });
      expect([text, compiled !== NO_MATCH]).toEqual([text, viaZod.success]);
      if (viaZod.success) expect((compiled as { at: Date }).at.getTime()).toBe(viaZod.data.at.getTime());
    }
  });

  it('gives payloads read one after another the same date for the same time, and each other time its own', () => {
    const decode = payloadDecoder(z.object({ at: fields.datetime(), all: z.array(fields.datetime()) }))!;
    type Decoded = { at: Date; all: Date[] };
    const [t1, t2] = ['2024-01-01T00:00:00.000Z', '2024-06-01T00:00:00.000+02:00'];
    const first = decode({ at: t1, all: [t1, t2, t1] }) as Decoded;
    const second = decode({ at: t1, all: [t2] }) as Decoded;
    const third = decode({ at: t2, all: [] }) as Decoded;
    expect(second.at).toBe(first.at);
    expect(second.at).toBeInstanceOf(ImmutableDate);
    expect(() => second.at.setTime(0)).toThrow(TypeError);
    expect(third.at.getTime()).toBe(Date.parse(t2));
    expect(first.all.map((date) => date.getTime())).toEqual([t1, t2, t1].map((text) => Date.parse(text)));
    expect(second.all[0]!.getTime()).toBe(Date.parse(t2));
  });

  it('converts each date-time field to its own time when a payload holds several', () => {
    const decode = payloadDecoder(Booked.schema)!;
    const data = row((d) => ((d['later'] = '2025-01-01T00:00:00.000Z'), (d['at'] = '2024-01-01T00:00:00.000Z')))
      .data as Record<string, unknown>;
    const decoded = decode(data) as { at: Date; later: Date; lines: { when: Date }[] };
    expect(decoded.at.toISOString()).toBe('2024-01-01T00:00:00.000Z');
    expect(decoded.later.toISOString()).toBe('2025-01-01T00:00:00.000Z');
    expect(decoded.lines[0]!.when.toISOString()).toBe('2024-03-01T22:00:00.000Z');
  });
});

/** A value's full shape, for comparing two copies: types, key order, frozenness, immutable dates. */
const anatomy = (value: unknown): unknown => {
  if (value instanceof Date) return ['date', value.getTime(), value instanceof ImmutableDate, Object.isFrozen(value)];
  if (typeof value === 'bigint') return ['bigint', String(value)];
  if (value === null || typeof value !== 'object') return [typeof value, value];
  if (Array.isArray(value)) return ['array', Object.isFrozen(value), value.map(anatomy)];
  const proto = Object.getPrototypeOf(value) as object | null;
  const kind = proto === Object.prototype ? 'object' : proto === null ? 'null-proto' : 'instance';
  return [kind, Object.isFrozen(value), Object.keys(value).map((key) => [key, anatomy((value as never)[key])])];
};

/** What the constructor made of `data` before the builder: zod's parse, copied; undefined if zod refuses it. */
const viaZod = (schema: z.ZodType, data: unknown) => {
  const parsed = schema.safeParse(data);
  return parsed.success ? immutableCopyWithJson(parsed.data) : undefined;
};

describe('compiled payload builder (events built by callers)', () => {
  /** Builds `data` both ways: the builder's result, when it gives one, must be zod's path's exactly. */
  const same = (schema: z.ZodType, data: unknown) => {
    const build = payloadBuilder(schema)!;
    const built = build(data);
    if (built !== undefined) {
      const expected = viaZod(schema, data);
      expect(expected).toBeDefined();
      expect(anatomy(built.data)).toEqual(anatomy(expected!.data));
      expect(built.json).toEqual(expected!.json);
      expect(JSON.stringify(built.json)).toBe(JSON.stringify(expected!.json));
    }
    return built;
  };

  it('builds what zod and the copy give, in one walk: schema key order, immutable dates, bigints, JSON', () => {
    const built = same(Booked.schema, payload)!;
    expect(built).toBeDefined();
    const order = Object.keys(schema.shape).filter((key) => key !== 'later'); // absent: optional
    expect(Object.keys(built.data as object)).toEqual(order);
    const reversed = Object.fromEntries(Object.entries(payload).reverse());
    expect(Object.keys(same(Booked.schema, reversed)!.data as object)).toEqual(order);
    const data = built.data as typeof payload;
    expect(data.at).toBeInstanceOf(ImmutableDate);
    expect(data.at).not.toBe(payload.at);
    expect(Object.isFrozen(data.lines[0])).toBe(true);
    expect(data.extra).not.toBe(payload.extra);
    expect(Object.isFrozen(payload)).toBe(false);
    expect(Object.isFrozen(payload.extra)).toBe(false);
  });

  it('takes date-times as dates or as toISOString texts and bigints as bigints, numbers or texts, as zod does', () => {
    for (const at of [new Date(0), new ImmutableDate(5), '2024-03-01T10:00:00.000Z']) {
      expect(same(Booked.schema, { ...payload, at })).toBeDefined();
    }
    for (const big of [1n, -(2n ** 70n), 42, -7, '123456789012345678901234567890', '-5']) {
      expect(same(Booked.schema, { ...payload, big })).toBeDefined();
    }
    expect(same(Booked.schema, { ...payload, later: new Date(7) })).toBeDefined();
    expect(same(Booked.schema, { ...payload, note: 'n' })).toBeDefined();
  });

  it.each([
    ['an extra key (zod strips it)', { ...payload, removed: 'old' }],
    ['an optional key present as undefined', { ...payload, later: undefined }],
    ['a missing default (zod fills it in)', { ...payload, country: undefined }],
    ['a date-time text in another form', { ...payload, at: '2024-03-01T10:00:00Z' }],
    ['an invalid date', { ...payload, at: new Date(NaN) }],
    ['an impossible date-time text', { ...payload, at: '2024-02-30T00:00:00.000Z' }],
    ['a fractional bigint', { ...payload, big: 1.5 }],
    ['a bad decimal', { ...payload, amount: '1e3' }],
    ['a fractional integer', { ...payload, n: 1.5 }],
    ['an infinite number', { ...payload, ratio: Infinity }],
    ['a value outside the enum', { ...payload, kind: 'cheque' }],
    ['a nested wrong type', { ...payload, lines: [{ sku: 'a', qty: '2', when: new Date(0) }] }],
    ['a nested extra key', { ...payload, lines: [{ sku: 'a', qty: 2, when: new Date(0), x: 1 }] }],
    ['a class instance', Object.assign(new (class Payload {})(), payload)],
    ['a null-prototype object', Object.assign(Object.create(null) as object, payload)],
    ['an array', [payload]],
    ['nothing', undefined],
  ])('leaves %s to zod', (_name, data) => {
    expect(payloadBuilder(Booked.schema)!(data)).toBeUndefined();
  });

  it('leaves what the copy refuses to store out of the JSON form, as the copy does', () => {
    const nul = same(Booked.schema, { ...payload, text: 'a\u0000b' })!;
    expect(nul.json).toBeUndefined();
    const map = same(Booked.schema, { ...payload, extra: new Map([['a', 1]]) })!;
    expect(map.json).toBeUndefined();
    const oddKeys = z.object({ '\uD800': z.string(), '2': z.number(), b: z.string(), '1': z.number() });
    const odd = same(oddKeys, { b: 'x', '\uD800': 'y', '1': 1, '2': 2 })!;
    expect(odd.json).toBeUndefined();
    expect(Object.keys(odd.data as object)).toEqual(['1', '2', '\uD800', 'b']);
    expect(same(oddKeys, { b: 'x', '1': 1, '2': 2, '\uD800': 'y' })).toBeDefined();
  });

  it('leaves a circular or too deep value under an unknown field to zod and the copy, which name where', () => {
    const circular: Record<string, unknown> = {};
    circular['self'] = circular;
    expect(payloadBuilder(Booked.schema)!({ ...payload, extra: circular })).toBeUndefined();
    let deep: unknown = 1;
    for (let i = 0; i < 40; i++) deep = [deep];
    expect(payloadBuilder(Booked.schema)!({ ...payload, extra: deep })).toBeUndefined();
    expect(failure(() => new Booked({ ...payload, extra: circular }))).toMatchObject({ path: 'data.extra.self' });
  });

  it('builds a payload whose containers the caller froze, without freezing anything of the caller', () => {
    const lines = Object.freeze([Object.freeze({ sku: 'a', qty: 1, when: new Date(0) })]);
    expect(same(Booked.schema, Object.freeze({ ...payload, lines }))).toBeDefined();
    const open = { ...payload, lines: [{ sku: 'b', qty: 2, when: new Date(1) }] };
    same(Booked.schema, open);
    expect(Object.isFrozen(open.lines)).toBe(false);
    expect(Object.isFrozen(open.lines[0])).toBe(false);
  });

  it("leaves a class without a schema to fail in zod's path, as before", () => {
    expect(payloadBuilder(undefined as never)).toBeUndefined();
    const Schemaless = defineEvent({ type: 'Schemaless', schema: undefined as never });
    class Bare extends Schemaless {}
    expect(() => new Bare({} as never)).toThrow(/safeParse/);
  });

  it('gives events the payload zod gives them, and zod still reports what it refuses', () => {
    const event = new Booked(payload);
    expect(anatomy(event.data)).toEqual(anatomy(viaZod(Booked.schema, payload)!.data));
    const error = failure(() => new Booked({ ...payload, n: 1.5 } as never));
    expect(error).toBeInstanceOf(EventValidationError);
    expect((error as EventValidationError).issues.map((issue) => issue.path)).toEqual(['n']);
  });
});
