import { loadDomain, type DomainSourceFile } from '@eventsmith/schema';
import { describe, expect, it } from 'vitest';
import { emitDomain } from '../index.js';

const TYPES = 'domain: Shop\ntypes:\n  Kind: { enum: [A, B] }\n';
const ORDER = `domain: Shop
aggregates:
  Order:
    state: { total: decimal }
    commands:
      place: { params: { total: decimal }, emits: OrderPlaced }
    events:
      OrderPlaced:
        version: 2
        fields: { total: decimal, kind: Kind, note: string }
        history:
          1:
            fields: { total: decimal, kind: Kind, note: string, legacy: string }
            upcast:
              - dropField: legacy
      OrderShipped:
        fields: { at: datetime }
`;
const CUSTOMER = `domain: Shop
aggregates:
  Customer:
    state: { name: string }
    events:
      CustomerRegistered:
        fields: { name: string }
`;
const REPORT = `domain: Shop
projections:
  OrderReport:
    columns: { id: string, note: string? }
    primaryKey: id
    on:
      OrderPlaced: { insert: { id: meta.aggregateId, note: data.note } }
`;

const domain = (types = TYPES, order = ORDER): DomainSourceFile[] => [
  { path: 'domain/types.yaml', text: types },
  { path: 'domain/order.yaml', text: order },
  { path: 'domain/customer.yaml', text: CUSTOMER },
  { path: 'domain/report.yaml', text: REPORT },
];

function emitted(sources: DomainSourceFile[], prefix = '') {
  const loaded = loadDomain(sources.map((s) => ({ path: `${prefix}${s.path}`, text: s.text })));
  if (!loaded.ok) throw new Error(loaded.errors.map((e) => e.message).join('\n'));
  const files = emitDomain(loaded.value, { outDir: `${prefix}gen`, userDir: `${prefix}src` });
  return { files, text: new Map(files.map((f) => [f.path.slice(prefix.length), f.render().replaceAll(prefix, '')])) };
}

/** The same emission from scratch: new paths make the loader and the emitters share nothing with earlier runs. */
let runs = 0;
const cold = (sources: DomainSourceFile[]) => emitted(sources, `cold-${++runs}/`).text;

describe('emitting a reloaded model', () => {
  // Each edit changes the output of a file whose own YAML did not change.
  const steps = [
    { what: 'the starting domain', sources: domain() },
    {
      what: 'a field the projection reads becomes optional',
      sources: domain(TYPES, ORDER.replace('note: string }', 'note: string? }')),
    },
    {
      what: 'the enum an event uses becomes a value object',
      sources: domain(TYPES.replace('{ enum: [A, B] }', '{ fields: { code: string } }')),
    },
    { what: 'the starting domain again', sources: domain() },
  ];

  it('gives the files a fresh emission gives, after each edit', () => {
    const outputs = steps.map((step) => {
      const incremental = emitted(step.sources).text;
      const fresh = cold(step.sources);
      expect(incremental, step.what).toEqual(fresh);
      return fresh;
    });
    expect(outputs[1]!.get('gen/projections/order-report.ts')).not.toBe(
      outputs[0]!.get('gen/projections/order-report.ts'),
    );
    expect(outputs[2]!.get('gen/events/order.ts')).not.toBe(outputs[1]!.get('gen/events/order.ts'));
    expect(outputs[3]).toEqual(outputs[0]);
  });

  it('hands out the same files for parts the edit did not touch', () => {
    const before = emitted(domain()).files;
    const after = emitted(domain(TYPES, ORDER.replace('at: datetime', 'at: datetime, by: string'))).files;
    const find = (files: typeof before, path: string) => files.find((f) => f.path === path);
    expect(find(after, 'gen/events/customer.ts')).toBe(find(before, 'gen/events/customer.ts'));
    expect(find(after, 'src/aggregates/customer.ts')).toBe(find(before, 'src/aggregates/customer.ts'));
    expect(find(after, 'gen/events/order.ts')).not.toBe(find(before, 'gen/events/order.ts'));
  });
});
