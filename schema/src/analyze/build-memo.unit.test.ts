import { describe, expect, it } from 'vitest';
import { loadDomain, type DomainSourceFile } from '../index.js';

const TYPES = 'domain: Shop\ntypes:\n  Kind: { enum: [A, B] }\n';
const ORDER = `domain: Shop
aggregates:
  Order:
    state: { total: decimal }
    commands:
      place: { params: { total: decimal }, emits: OrderPlaced }
    events:
      OrderPlaced:
        fields: { total: decimal, kind: Kind }
      OrderShipped:
        fields: { at: datetime }
`;
const REPORT = `domain: Shop
projections:
  OrderReport:
    columns: { id: string, kind: string? }
    primaryKey: id
    on:
      OrderPlaced: { insert: { id: meta.aggregateId, kind: data.kind } }
`;

const files = (types: string, order: string, report: string): DomainSourceFile[] => [
  { path: 'domain/types.yaml', text: types },
  { path: 'domain/order.yaml', text: order },
  { path: 'domain/report.yaml', text: report },
];

/**
 * A load that shares nothing with earlier ones: the same files under new paths (parse results,
 * and so built entities, are kept per path), with the paths put back for comparing.
 */
let loads = 0;
const cold = (sources: DomainSourceFile[]) => {
  const prefix = `cold-${++loads}/`;
  const result = loadDomain(sources.map((s) => ({ path: `${prefix}${s.path}`, text: s.text })));
  return JSON.parse(JSON.stringify(result).replaceAll(prefix, '')) as unknown;
};

describe('reloading a domain reuses what did not change', () => {
  it('keeps the nodes of untouched files and rebuilds those of the edited one', () => {
    const first = loadDomain(files(TYPES, ORDER, REPORT));
    const second = loadDomain(files(TYPES, ORDER.replace('at: datetime', 'at: datetime, by: string'), REPORT));
    if (!first.ok || !second.ok) throw new Error('expected valid domains');
    expect(second.value.types[0]).toBe(first.value.types[0]);
    expect(second.value.events.find((e) => e.name === 'OrderShipped')).not.toBe(
      first.value.events.find((e) => e.name === 'OrderShipped'),
    );
    expect(second.value.events.find((e) => e.name === 'OrderShipped')!.fields.map((f) => f.name)).toEqual(['at', 'by']);
  });

  // Each step edits one file in a way that changes what entities of *other* files build to.
  const steps: { readonly what: string; readonly sources: DomainSourceFile[] }[] = [
    { what: 'the starting domain', sources: files(TYPES, ORDER, REPORT) },
    { what: 'a type an event refers to is renamed', sources: files(TYPES.replace('Kind', 'Sort'), ORDER, REPORT) },
    { what: 'the type is back', sources: files(TYPES, ORDER, REPORT) },
    {
      what: 'an enum an event field uses gains a value',
      sources: files(TYPES.replace('[A, B]', '[A, B, C]'), ORDER, REPORT),
    },
    {
      what: 'the event a projection handles is renamed',
      sources: files(TYPES, ORDER.replace('OrderPlaced:\n', 'OrderOpened:\n'), REPORT),
    },
    {
      what: 'the event is renamed, with its old name kept',
      sources: files(
        TYPES,
        ORDER.replace('OrderPlaced:\n', 'OrderOpened:\n        renamedFrom: OrderPlaced\n'),
        REPORT,
      ),
    },
    {
      what: 'the field a projection reads is removed',
      sources: files(TYPES, ORDER.replace(', kind: Kind }', ' }'), REPORT),
    },
    { what: 'the starting domain again', sources: files(TYPES, ORDER, REPORT) },
  ];

  it('gives the same model or the same errors as a load from scratch after each edit', () => {
    const outcomes: boolean[] = [];
    for (const step of steps) {
      const incremental = loadDomain(step.sources);
      expect(JSON.parse(JSON.stringify(incremental)), step.what).toEqual(cold(step.sources));
      outcomes.push(incremental.ok);
    }
    // The sequence goes through valid and invalid domains both, so both paths are compared.
    expect(outcomes).toEqual([true, false, true, true, false, false, false, true]);
  });
});
