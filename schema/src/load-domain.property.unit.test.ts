import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { validDomain } from '../test/arbitraries.js';
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

/** Small, targeted corruptions of a valid document. */
const mutation = fc.oneof(
  fc.record({ kind: fc.constant('delete' as const), pick: fc.nat() }),
  fc.record({
    kind: fc.constant('replace' as const),
    pick: fc.nat(),
    value: fc.oneof(
      fc.jsonValue({ maxDepth: 2 }),
      fc.constantFrom('list<', 'string??', 'data.nope', 'meta.x', 'custom', 'class', 'order', '', null),
    ),
  }),
  fc.record({
    kind: fc.constant('rename' as const),
    pick: fc.nat(),
    name: fc.constantFrom('class', 'select', 'Alpha', 'amount', '1x', 'my name', 'Typo', 'history', 'version'),
  }),
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
    else if (node && typeof node === 'object')
      for (const [k, child] of Object.entries(node)) (slots.push({ parent: node, key: k }), walk(child));
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

  it('never echoes anything of a file that does not name its domain', () => {
    // Any YAML (or a link to a secret) that ends up among the inputs: its content must not reach a CI log.
    const secret = fc.stringMatching(/^[a-z]{4,8}$/).map((s) => `Zq${s}`);
    const part = (token: string) =>
      fc.constantFrom(
        token,
        `${token}:`,
        `${token}: ${token}`,
        `!${token} `,
        `!!${token} `,
        `&${token} `,
        `*${token}`,
        `%${token}\n`,
        `"\\q${token}"`,
        `|${token}\n`,
        `[${token}, }${token}]`,
        ': ',
        '- ',
        '  ',
        '\n',
        '[',
        '{',
        '}',
        ']',
        ',',
        '"',
        '\t',
        '?',
        '#',
      );
    const text = secret.chain((token) =>
      fc.tuple(
        fc.constant(token),
        fc.array(part(token), { minLength: 1, maxLength: 30 }).map((parts) => parts.join('')),
      ),
    );
    fc.assert(
      fc.property(text, ([token, body]) => {
        const result = expectStructured(body);
        expect(result.ok).toBe(false);
        for (const e of result.ok ? [] : result.errors) {
          for (const shown of [e.message, e.fix, e.where.path, ...(e.related ?? []).map((r) => r.path)])
            expect(shown).not.toContain(token);
        }
      }),
      { numRuns: 400 },
    );
  });

  it('answers random garbage text with structured errors only', () => {
    const yamlish = fc
      .array(
        fc.constantFrom(
          'domain: X\n',
          'types:\n',
          '  ',
          '- ',
          ': ',
          '[',
          ']',
          '{',
          '}',
          '&a ',
          '*a ',
          '!!str ',
          '? ',
          '|\n',
          '"',
          "'",
          '#',
          ',',
          '\t',
          'aggregates:\n',
          'x',
          '\n',
          '---\n',
          '%YAML 1.2\n',
          '<<: *a\n',
        ),
        { maxLength: 60 },
      )
      .map((parts) => parts.join(''));
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), yamlish), (text) => {
        expectStructured(text);
      }),
      { numRuns: 400 },
    );
  });
});
