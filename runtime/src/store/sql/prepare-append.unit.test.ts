import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { DuplicateEventError, SerializationError } from '../../errors.js';
import { defineEvent } from '../../events/domain-event.js';
import { EventRegistry } from '../../events/event-registry.js';
import { fields } from '../../events/field-types.js';
import { toJsonValue } from '../../events/json.js';
import { prepareAppend } from './prepare-append.js';

class Noted extends defineEvent({ type: 'PrepNoted', aggregateType: 'Prep', schema: z.object({ n: z.number() }) }) {}
class Rich extends defineEvent({
  type: 'PrepRich',
  schema: z.object({
    at: fields.datetime(),
    big: fields.bigint(),
    price: fields.decimal(),
    note: z.string().optional(),
    lines: z.array(z.object({ sku: z.string(), qty: z.number(), when: fields.datetime().optional() })),
    extra: z.any(),
  }),
}) {}
const registry = EventRegistry.create({ events: [Noted, Rich] });
const rich = (extra: unknown) => ({
  at: new Date('2024-03-10T01:59:59.123Z'),
  big: 2n ** 64n,
  price: '10.25',
  note: undefined,
  lines: [
    { sku: 'a\u{1F600}', qty: -0, when: '2024-03-10T02:00:00+01:00' },
    { sku: '1', qty: 1.5 },
  ],
  extra,
});

describe('prepareAppend', () => {
  it('writes metadata as JSON.stringify does: {} for none, and an empty array stays []', () => {
    const events = [
      new Noted({ n: 1 }),
      new Noted({ n: 2 }, { metadata: { source: 'test' } }),
      new Noted({ n: 3 }, { metadata: [] as never }),
    ];
    const prepared = prepareAppend(registry, 'Prep-1', events, { expectedVersion: 'no_stream' }, undefined);
    expect(prepared.metadataJson).toEqual(events.map((e) => JSON.stringify(e.metadata)));
    expect(prepared.metadataJson).toEqual(['{}', '{"source":"test"}', '[]']);
  });

  it('refuses an event id repeated within one append', () => {
    const event = new Noted({ n: 1 });
    expect(() => prepareAppend(registry, 'Prep-1', [event, event], { expectedVersion: 'any' }, undefined)).toThrow(
      DuplicateEventError,
    );
  });

  it('writes each payload as JSON.stringify(toJsonValue(data)) of the event does', () => {
    const extras: unknown[] = [
      undefined,
      null,
      { nested: [[1, 'two', true, null]], '2': 'b', '1': 'a', skipped: undefined, at: new Date(5) },
      Object.assign(Object.create(null), { bare: 1 }),
      [new Date(0), -0, 'x'],
      'text',
      2n,
    ];
    const events = extras.map((extra) => new Rich(rich(extra)));
    const copies = events.map((event, i) => event.with({ aggregateId: `agg-${i}`, aggregateVersion: 1 }));
    const prepare = (batch: Rich[]) =>
      prepareAppend(registry, 'Prep-rich', batch, { expectedVersion: 'any' }, undefined).dataJson;
    const expected = events.map((e) => JSON.stringify(toJsonValue(e.data, 'data')));
    const prepared = { dataJson: prepare(events) };
    expect(prepared.dataJson).toEqual(expected);
    expect(prepare(copies)).toEqual(expected);
    expect(JSON.parse(prepared.dataJson[2]!)).toMatchObject({
      at: '2024-03-10T01:59:59.123Z',
      big: '18446744073709551616',
      lines: [
        { sku: 'a\u{1F600}', qty: 0, when: '2024-03-10T01:00:00.000Z' },
        { sku: '1', qty: 1.5 },
      ],
      extra: { nested: [[1, 'two', true, null]], '1': 'a', '2': 'b', at: '1970-01-01T00:00:00.005Z' },
    });
  });

  it('writes what the event holds, whatever happens to the input later', () => {
    const input = rich({ list: [1, 2] });
    const event = new Rich(input);
    input.lines[0]!.sku = 'changed';
    (input.extra as { list: number[] }).list.push(3);
    input.at.setTime(0);
    expect(Object.isFrozen(input) || Object.isFrozen(input.lines) || Object.isFrozen(input.extra)).toBe(false);
    const [data] = prepareAppend(registry, 'Prep-rich', [event], { expectedVersion: 'any' }, undefined).dataJson;
    expect(JSON.parse(data!)).toMatchObject({
      at: '2024-03-10T01:59:59.123Z',
      lines: [{ sku: 'a\u{1F600}' }, { sku: '1' }],
      extra: { list: [1, 2] },
    });
  });

  it("builds an event whose payload JSON cannot carry, and refuses it at append with toJsonValue's error", () => {
    const circular: Record<string, unknown> = {};
    circular['self'] = { deeper: circular };
    const bad: unknown[] = [
      'nul \u0000 inside',
      { lone: 'half \uD800 pair' },
      { ['key\u0000']: 1 },
      [1, undefined],
      [1, , 3],
      Number.NaN,
      -Infinity,
      new Map([['a', 1]]),
      new (class Money {})(),
      { when: new Date(Number.NaN) },
      () => 1,
      Symbol('s'),
    ];
    for (const extra of bad) {
      const event = new Rich(rich(extra));
      let expected: unknown;
      try {
        toJsonValue(event.data, 'data');
      } catch (error) {
        expected = error;
      }
      expect(expected).toBeInstanceOf(SerializationError);
      const append = () => prepareAppend(registry, 'Prep-rich', [event], { expectedVersion: 'any' }, undefined);
      expect(append).toThrow(SerializationError);
      expect(append).toThrow((expected as Error).message);
      // The same for its copies.
      expect(() =>
        prepareAppend(
          registry,
          'Prep-rich',
          [event.with({ aggregateVersion: 2 })],
          { expectedVersion: 'any' },
          undefined,
        ),
      ).toThrow((expected as Error).message);
    }
    // A key with NUL whose value is undefined is left out, as toJsonValue leaves it out.
    const skipped = new Rich(rich({ ['key\u0000']: undefined, ok: 1 }));
    expect(
      prepareAppend(registry, 'Prep-rich', [skipped], { expectedVersion: 'any' }, undefined).dataJson[0],
    ).toContain('"extra":{"ok":1}');
    // Circular values are refused when the event is built, as before.
    expect(() => new Rich(rich(circular))).toThrow(SerializationError);
  });
});
