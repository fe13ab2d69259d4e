import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadDomain, type DomainError } from './index.js';

/** The loader's contract: a frozen model, or located, structured errors; never a throw, never an internal error. */
function expectStructured(text: string): ReturnType<typeof loadDomain> {
  const result = loadDomain([{ path: 'random.yaml', text }]);
  if (result.ok) {
    expect(unfrozenPaths(result.value)).toEqual([]);
    return result;
  }
  expect(result.errors.length).toBeGreaterThan(0);
  const lines = text.split('\n').length;
  for (const e of result.errors as DomainError[]) {
    expect(e.code).toMatch(/^[A-Z]+\.[A-Z_]+$/);
    expect(e.code).not.toBe('LOADER.INTERNAL');
    expect(typeof e.message).toBe('string');
    expect(e.message.length).toBeGreaterThan(0);
    expect(e.fix.length).toBeGreaterThan(0);
    expect(e.where.file).toBe('random.yaml');
    expect(e.where.line).toBeGreaterThanOrEqual(1);
    expect(e.where.line).toBeLessThanOrEqual(lines);
    expect(e.where.col).toBeGreaterThanOrEqual(1);
    expect(typeof e.where.path).toBe('string');
  }
  return result;
}

/** Paths of every object or array in the model that is not frozen (the model must be deeply immutable). */
function unfrozenPaths(value: unknown, path = 'model', out: string[] = []): string[] {
  if (typeof value !== 'object' || value === null) return out;
  if (!Object.isFrozen(value)) out.push(path);
  for (const [key, child] of Object.entries(value)) unfrozenPaths(child, `${path}.${key}`, out);
  return out;
}

const SCALARS = ['string', 'integer', 'number', 'decimal', 'boolean', 'uuid', 'datetime', 'date'] as const;
const COLUMN_FOR: Record<(typeof SCALARS)[number], string> = {
  string: 'text', integer: 'bigint', number: 'number', decimal: 'decimal', boolean: 'boolean', uuid: 'uuid', datetime: 'datetime', date: 'date',
};
const NAMES = ['Alpha', 'Beta', 'Gamma', 'Delta', 'Epsilon', 'Zeta', 'Eta', 'Theta', 'Iota', 'Kappa', 'Lambda', 'Omicron'];
const FIELD_NAMES = ['amount', 'note', 'count', 'label', 'flag', 'ref', 'at', 'day', 'size', 'ratio'];

/** A random domain the loader must accept. */
const validDomain = fc
  .record({
    enumValues: fc.uniqueArray(fc.constantFrom('A', 'B', 'C', 'D'), { minLength: 1 }),
    names: fc.shuffledSubarray(NAMES, { minLength: 4, maxLength: 8 }),
    events: fc.array(
      fc.record({
        fields: fc.uniqueArray(fc.record({ name: fc.constantFrom(...FIELD_NAMES), type: fc.constantFrom(...SCALARS, 'Kind', 'list<string>'), optional: fc.boolean() }), { selector: (f) => f.name, maxLength: 6 }),
        droppedInV1: fc.boolean(),
        snapshot: fc.option(fc.integer({ min: 1, max: 1000 }), { nil: undefined }),
      }),
      { minLength: 1, maxLength: 3 },
    ),
  })
  .map(({ enumValues, names, events }) => {
    const [aggregateName, projectionName, ...eventNames] = names as [string, string, ...string[]];
    const aggregateEvents: Record<string, unknown> = {};
    const used = events.slice(0, eventNames.length);
    used.forEach((e, i) => {
      const fields = Object.fromEntries(e.fields.map((f) => [f.name, `${f.type}${f.optional ? '?' : ''}`]));
      const event: Record<string, unknown> = { fields };
      if (e.droppedInV1) {
        // v1 had an extra field that v2 drops, and lacked the optional ones.
        const v1 = Object.fromEntries(e.fields.filter((f) => !f.optional).map((f) => [f.name, `${f.type}`]));
        event.version = 2;
        event.history = { 1: { fields: { ...v1, legacyField: 'string' }, upcast: [{ dropField: 'legacyField' }] } };
      }
      aggregateEvents[eventNames[i]!] = event;
    });
    const first = used[0]!;
    const scalarFields = first.fields.filter((f) => (SCALARS as readonly string[]).includes(f.type));
    const columns: Record<string, string> = { row_id: 'string' };
    const insert: Record<string, string> = { row_id: 'meta.aggregateId' };
    for (const f of scalarFields) {
      columns[`c_${f.name}`] = `${COLUMN_FOR[f.type as (typeof SCALARS)[number]]}${f.optional ? '?' : ''}`;
      insert[`c_${f.name}`] = `data.${f.name}`;
    }
    return {
      domain: 'Random',
      types: { Kind: { enum: enumValues } },
      aggregates: {
        [aggregateName]: {
          ...(first.snapshot ? { snapshot: { every: first.snapshot } } : {}),
          state: { total: 'decimal', kind: { type: 'Kind', initial: enumValues[0] } },
          commands: { doIt: { params: { amount: 'decimal' }, emits: [eventNames[0]] } },
          events: aggregateEvents,
        },
      },
      projections: { [projectionName]: { columns, primaryKey: 'row_id', on: { [eventNames[0]!]: { insert } } } },
    };
  });

/** Small, targeted corruptions of a valid document. */
const mutation = fc.oneof(
  fc.record({ kind: fc.constant('delete' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('replace' as const), pick: fc.nat(), value: fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constantFrom('list<', 'string??', 'data.nope', 'meta.x', 'custom', 'class', 'order', '', null)) }),
  fc.record({ kind: fc.constant('rename' as const), pick: fc.nat(), name: fc.constantFrom('class', 'select', 'Alpha', 'amount', '1x', 'my name', 'Typo', 'history', 'version') }),
);

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

interface Mutation {
  readonly kind: 'delete' | 'replace' | 'rename';
  readonly pick: number;
  readonly value?: unknown;
  readonly name?: string;
}

function mutate(doc: Json, m: Mutation): Json {
  const copy = structuredClone(doc);
  const slots: { parent: Record<string, Json> | Json[]; key: string | number }[] = [];
  const walk = (node: Json) => {
    if (Array.isArray(node)) node.forEach((child, i) => (slots.push({ parent: node, key: i }), walk(child)));
    else if (node && typeof node === 'object') for (const [k, child] of Object.entries(node)) (slots.push({ parent: node, key: k }), walk(child));
  };
  walk(copy);
  const slot = slots[m.pick % Math.max(1, slots.length)];
  if (!slot) return copy;
  const { parent, key } = slot;
  if (m.kind === 'delete') {
    if (Array.isArray(parent)) parent.splice(key as number, 1);
    else delete parent[key as string];
  } else if (m.kind === 'replace') {
    (parent as Record<string | number, Json>)[key] = m.value as Json;
  } else if (!Array.isArray(parent)) {
    const value = parent[key as string]!;
    delete parent[key as string];
    parent[m.name!] = value;
  }
  return copy;
}

describe('loadDomain on random input', () => {
  it('accepts every generated valid domain', () => {
    fc.assert(
      fc.property(validDomain, (doc) => {
        const result = expectStructured(stringify(doc));
        if (!result.ok) throw new Error(result.errors.map((e) => `${e.code} ${e.where.path}: ${e.message}`).join('\n'));
      }),
      { numRuns: 150 },
    );
  });

  it('answers corrupted valid domains with structured errors only', () => {
    fc.assert(
      fc.property(validDomain, fc.array(mutation, { minLength: 1, maxLength: 4 }), (doc, mutations) => {
        let current = doc as unknown as Json;
        for (const m of mutations) current = mutate(current, m);
        expectStructured(stringify(current));
      }),
      { numRuns: 300 },
    );
  });

  it('answers random JSON values as YAML with structured errors only', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 5 }), (value) => {
        expectStructured(stringify(value));
      }),
      { numRuns: 200 },
    );
  });

  it('answers random garbage text with structured errors only', () => {
    const yamlish = fc.array(fc.constantFrom('domain: X\n', 'types:\n', '  ', '- ', ': ', '[', ']', '{', '}', '&a ', '*a ', '!!str ', '? ', '|\n', '"', "'", '#', ',', '\t', 'aggregates:\n', 'x', '\n', '---\n', '%YAML 1.2\n', '<<: *a\n'), { maxLength: 60 }).map((parts) => parts.join(''));
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), yamlish), (text) => {
        expectStructured(text);
      }),
      { numRuns: 400 },
    );
  });
});
