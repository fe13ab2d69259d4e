import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadDomain } from '@eventsmith/schema';
import { describe, expect, it } from 'vitest';
import { fitsPrintWidth } from '../generate-project.js';
import { formatSource, PRETTIER_OPTIONS } from '../format/format-source.js';
import { PRINT_WIDTH, printJson } from './common/print-width.js';
import { emitDomain } from './index.js';

const REPO = join(fileURLToPath(import.meta.url), '..', '..', '..', '..');

/** Nested objects, lists of objects, quotes in defaults, multi-line descriptions, history, renames. */
const TRICKY = `domain: Tricky
types:
  Kind: { enum: [A, B] }
  Address:
    fields:
      street: { type: string, description: "The street, with the house number." }
      city: string
aggregates:
  Thing:
    description: A thing, with "quotes" and 'apostrophes'.
    snapshot: { every: 50 }
    state:
      total: decimal
      status: { type: enum, values: [open, done], initial: open }
      where: { type: object, fields: { street: string, tags: list<string> }, initial: { street: "it's", tags: [] } }
      names: list<string>
    commands:
      make: { params: { label: string, where: Address, count: { type: integer, default: 1 } }, emits: [Made, Empty], description: Makes it. }
      poke: { emits: Empty }
    events:
      Made:
        version: 2
        renamedFrom: [Created]
        description: |
          Made a thing.
          Over two lines, with a */ inside.
        fields:
          label: { type: string, default: "it's here" }
          quoted: { type: string, default: 'say "hi"' }
          mixed: { type: string, default: "a'b\\"c" }
          kind: { type: Kind, default: B }
          where: Address
          inline: &inline
            type: object
            fields:
              deep: { type: object, fields: { x: integer, y: { type: list, items: { type: object, fields: { z: boolean? } } } } }
              note: { type: string, description: Nested doc. }
          items: list<Address>
          ratio: { type: number, default: -1.5 }
          flags: { type: list, items: string, default: [a, "b'c"] }
          at: datetime?
        history:
          1:
            fields: { label: string, where: Address, inline: *inline, items: list<Address> }
            upcast:
              - addField: { field: quoted, default: 'say "hi"' }
      Empty: { fields: {} }
  Other:
    state: { n: integer }
    events:
      Listed:
        fields:
          maybe: { type: list, items: { type: object, fields: { a: string } }, optional: true }
          perhaps: { type: object, fields: { a: string }, optional: true }
      Placed:
        version: 2
        fields:
          total: decimal
          kind: Kind
          address: Address
          placedBy: string?
          count: integer
          extra: { type: object, fields: { a: string } }
        history:
          1:
            fields: { amount: number, street: string, city: string, legacy: string, count: string, extra: { type: object, fields: { a: string } }, nested: { type: object, fields: { b: string } } }
            upcast:
              - renameField: { from: amount, to: total }
              - convert: { field: total, using: numberToDecimal }
              - addField: { field: kind, default: B }
              - addField: { field: placedBy, fromMetadata: actorId }
              - nest: { fields: [street, city], into: address }
              - dropField: legacy
              - convert: { field: count, using: stringToInteger }
              - flatten: { field: nested }
              - dropField: b
${manyEvents()}`;

/** An aggregate whose import, union and class lists are too long for one line. */
function manyEvents(): string {
  const events = Array.from({ length: 12 }, (_, i) => `      Happened${i}: { fields: { n: integer } }`);
  return `  Many:\n    state: { n: integer }\n    events:\n${events.join('\n')}\n`;
}

function domainFiles(sources: { path: string; text: string }[]) {
  const result = loadDomain(sources);
  if (!result.ok) throw new Error(result.errors.map((e) => e.message).join('\n'));
  return emitDomain(result.value, { outDir: 'gen', userDir: 'src' });
}

function exampleSources(name: string) {
  const dir = join(REPO, 'examples', name, 'domain');
  return readdirSync(dir, { recursive: true })
    .map(String)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => ({ path: `examples/${name}/domain/${f}`, text: readFileSync(join(dir, f), 'utf8') }));
}

describe('preformatted emitters', () => {
  const cases = {
    tricky: () => domainFiles([{ path: 'd.yaml', text: TRICKY }]),
    bank: () => domainFiles(exampleSources('bank')),
    shop: () => domainFiles(exampleSources('shop')),
  };
  for (const [name, files] of Object.entries(cases)) {
    it(`print exactly what prettier prints when every line fits (${name})`, async () => {
      const preformatted = files().filter((f) => f.preformatted);
      expect(preformatted.length).toBeGreaterThan(0);
      let checked = 0;
      for (const file of preformatted) {
        const raw = file.render();
        const kind = file.format === 'json' ? 'json' : 'typescript';
        if (kind === 'typescript' && !fitsPrintWidth(raw)) continue;
        expect(raw, file.path).toBe(await formatSource(file.path, raw, kind));
        checked++;
      }
      expect(checked).toBeGreaterThan(1);
    });
  }

  it("does not claim prettier's shape for a modifier after a multi-line call", () => {
    const files = new Map(cases.tricky().map((f) => [f.path, f]));
    expect(files.get('gen/events/thing.ts')?.preformatted).toBe(true);
    expect(files.get('gen/events/other.ts')?.preformatted).toBe(false);
  });

  it('breaks lists where prettier breaks them', () => {
    expect(PRINT_WIDTH).toBe(PRETTIER_OPTIONS.printWidth);
    const files = new Map(cases.tricky().map((f) => [f.path, f]));
    for (const path of [
      'gen/aggregates/many.ts',
      'src/aggregates/many.ts',
      'gen/aggregates/thing.ts',
      'src/aggregates/thing.ts',
      'gen/upcasters/placed.ts',
      'gen/upcasters/made.ts',
      'gen/registry.ts',
    ]) {
      expect(files.get(path)?.preformatted, path).toBe(true);
      expect(fitsPrintWidth(files.get(path)!.render()), path).toBe(true);
    }
    expect(files.get('gen/aggregates/many.ts')!.render()).toContain('export type ManyEvent =\n  | Happened0\n');
    expect(files.get('gen/registry.ts')!.render()).toContain('export type TrickyEvent =\n  | Empty\n');
  });

  it('prints JSON as prettier does', async () => {
    const long = Array.from({ length: 12 }, (_, i) => `column_number_${i}`);
    const value = {
      $comment: `A string longer than the print width stays on its line: ${'x'.repeat(120)}`,
      empty: { list: [], object: {} },
      short: ['id'],
      fits: ['a'.repeat(105)], // 120 characters with indentation, key and comma
      over: ['a'.repeat(106)],
      long,
      nested: [['a'], ['b']],
      pairs: [
        ['a', 'b'],
        ['c', 'd'],
      ],
      objects: [{ name: 'x', columns: ['a', 'b'], unique: false, default: 0.5 }, { n: null }],
      deep: { deeper: { deepest: [long.slice(0, 5), 1, true, null] } },
    };
    const printed = printJson(value);
    expect(printed).toBe(await formatSource('x.json', printed, 'json'));
    expect(printed).toBe(await formatSource('x.json', `${JSON.stringify(value, null, 2)}\n`, 'json'));
    expect(printed).toContain('"short": ["id"],');
    expect(printed).toContain(`"fits": ["${'a'.repeat(105)}"],`);
    expect(printed).toContain('"over": [\n');
  });

  it('leaves files with a line over the print width to prettier', () => {
    expect(fitsPrintWidth(`a\n${'x'.repeat(120)}\n`)).toBe(true);
    expect(fitsPrintWidth(`a\n${'x'.repeat(121)}\nb`)).toBe(false);
    expect(fitsPrintWidth(`// ${'x'.repeat(121)}\nb`)).toBe(true);
    expect(fitsPrintWidth(`a\n  // ${'x'.repeat(121)}\nb`)).toBe(false);
  });
});
