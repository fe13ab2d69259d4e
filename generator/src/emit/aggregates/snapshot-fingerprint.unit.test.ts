import { loadDomain, type DomainModel } from '@eventsmith/schema';
import { describe, expect, it } from 'vitest';
import { DomainIndex } from '../common/domain-index.js';
import { emitDomain } from '../index.js';
import { snapshotFingerprint } from './snapshot-fingerprint.js';

const BASE = `domain: Shop
types:
  Currency: { enum: [EUR, USD] }
aggregates:
  Order:
    description: An order.
    snapshot: { every: 50 }
    state:
      total: integer
      currency: { type: Currency, initial: EUR }
      status: { type: enum, values: [open, done], initial: open }
    commands:
      add: { params: { price: integer }, emits: ItemAdded }
    events:
      ItemAdded:
        description: An item went into the order.
        version: 2
        fields: { price: integer, currency: Currency }
        history:
          1:
            fields: { priceCents: integer }
            upcast:
              - renameField: { from: priceCents, to: price }
              - addField: { field: currency, default: EUR }
      Closed: { fields: { at: datetime } }
  Customer:
    state: { name: string }
    commands: {}
    events:
      Registered: { fields: { name: string } }
projections:
  Orders:
    columns: { id: string, total: integer }
    primaryKey: id
    on:
      ItemAdded:
        upsert: { id: meta.aggregateId, total: { increment: data.price } }
`;

function model(yaml: string): DomainModel {
  const result = loadDomain([{ path: 'shop.yaml', text: yaml }]);
  if (!result.ok) throw new Error(result.errors.map((e) => e.message).join('\n'));
  return result.value;
}

function fingerprint(yaml: string, aggregate = 'Order'): string {
  const index = new DomainIndex(model(yaml));
  return snapshotFingerprint(index, index.aggregate(aggregate));
}

/** BASE with one exact piece of text replaced (and a check that it was there). */
function edit(from: string, to: string): string {
  expect(BASE).toContain(from);
  return BASE.replace(from, to);
}

describe('snapshotFingerprint', () => {
  const base = fingerprint(BASE);

  it('is 16 hex digits, the same on every run for the same YAML', () => {
    expect(base).toMatch(/^[0-9a-f]{16}$/);
    expect(fingerprint(BASE)).toBe(base);
  });

  const changes: [string, string, string][] = [
    ['a state field type', 'total: integer', 'total: number'],
    ['a state field made optional', 'total: integer', 'total: integer?'],
    ['a state field added', 'total: integer\n', 'total: integer\n      note: string?\n'],
    [
      'a state initial value',
      'currency: { type: Currency, initial: EUR }',
      'currency: { type: Currency, initial: USD }',
    ],
    ['an inline enum of the state', 'values: [open, done]', 'values: [open, done, void]'],
    ['a named type the state uses', 'Currency: { enum: [EUR, USD] }', 'Currency: { enum: [EUR, USD, GBP] }'],
    ['an event version (with its step)', 'version: 2', 'version: 3'],
    ['an upcast step', 'addField: { field: currency, default: EUR }', 'addField: { field: currency, default: USD }'],
    [
      'an older version field',
      'fields: { priceCents: integer }',
      'fields: { priceCents: { type: integer, default: 0 } }',
    ],
    ['a current event field', 'Closed: { fields: { at: datetime } }', 'Closed: { fields: { at: date } }'],
  ];
  for (const [what, from, to] of changes) {
    it(`changes with ${what}`, () => {
      let yaml = edit(from, to);
      if (what.startsWith('an event version')) {
        // v3 needs a v2 entry in history: declare it with no steps (same fields).
        yaml = yaml.replace(
          '        history:\n',
          '        history:\n          2:\n            fields: { price: integer, currency: Currency }\n            upcast: []\n',
        );
      }
      expect(fingerprint(yaml)).not.toBe(base);
    });
  }

  it('changes when an upcast step becomes custom', () => {
    const yaml = BASE.replace(
      /upcast:\n\s+- renameField: \{ from: priceCents, to: price \}\n\s+- addField: \{ field: currency, default: EUR \}\n/,
      'upcast: custom\n',
    );
    expect(yaml).not.toBe(BASE);
    expect(fingerprint(yaml)).not.toBe(base);
  });

  const unchanged: [string, string, string][] = [
    ['a description', 'description: An item went into the order.', 'description: Something else.'],
    ['the aggregate description', 'description: An order.', 'description: A customer order.'],
    ['a projection', 'total: { increment: data.price }', 'total: data.price'],
    ['the snapshot policy', 'snapshot: { every: 50 }', 'snapshot: { every: 10 }'],
    [
      'a command',
      'add: { params: { price: integer }, emits: ItemAdded }',
      'add: { params: { price: integer, note: string? }, emits: ItemAdded }',
    ],
    [
      'another aggregate',
      'Registered: { fields: { name: string } }',
      'Registered: { fields: { name: string, email: string? } }',
    ],
    ['the layout of the YAML', 'total: integer\n', '\n      total:   integer\n'],
  ];
  for (const [what, from, to] of unchanged) {
    it(`does not change with ${what}`, () => {
      expect(fingerprint(edit(from, to))).toBe(base);
    });
  }

  it('is emitted on the generated base class, so a regenerated aggregate invalidates old snapshots', () => {
    const text = (yaml: string) => {
      const file = emitDomain(model(yaml), { outDir: 'gen', userDir: 'src' }).find((f) =>
        f.path.endsWith('aggregates/order.ts'),
      )!;
      return file.render();
    };
    expect(text(BASE)).toContain(`static override readonly snapshotFingerprint: string = '${base}';`);
    expect(text(edit('total: integer', 'total: number'))).not.toContain(base);
  });
});
