import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import domainSchema from '../domain.schema.json' with { type: 'json' };
import { CONVERSIONS } from './model.js';

// The conversion names have one source, CONVERSIONS in model.ts. The shipped JSON Schema (static
// JSON, for editors) and FORMAT.md repeat them for their readers; these tests keep the copies equal.
const names = Object.keys(CONVERSIONS);

/** Every `enum` under a `using` property of a `convert` object in the JSON Schema. */
function convertEnums(node: unknown, parent = ''): unknown[][] {
  if (typeof node !== 'object' || node === null) return [];
  const found: unknown[][] = [];
  for (const [key, child] of Object.entries(node)) {
    if (parent === 'convert' && key === 'properties') {
      const using = (child as { using?: { enum?: unknown[] } }).using;
      if (using?.enum) found.push(using.enum);
    }
    found.push(...convertEnums(child, key));
  }
  return found;
}

describe('conversion names', () => {
  it('are the same in domain.schema.json as in the model', () => {
    const enums = convertEnums(domainSchema);
    expect(enums.length).toBeGreaterThan(0);
    for (const list of enums) expect(list).toEqual(names);
  });

  it('are all listed, and only they, in FORMAT.md', () => {
    const format = readFileSync(new URL('../FORMAT.md', import.meta.url), 'utf8');
    const row = format.split('\n').find((line) => line.startsWith('| `convert:'));
    expect(row).toBeDefined();
    const listed = [...row!.split('|')[2]!.matchAll(/`(\w+)`/g)].map((m) => m[1]);
    expect(listed).toEqual(names);
  });
});
