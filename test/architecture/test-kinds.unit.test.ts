import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../..');

/** Every `*.test.ts` under the repository, outside node_modules, dist and fixtures. */
function testFiles(dir: string, rel = ''): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(dir, rel), { withFileTypes: true })) {
    if (
      entry.name === 'node_modules' ||
      entry.name === 'dist' ||
      entry.name === 'fixtures' ||
      entry.name.startsWith('.')
    )
      continue;
    const path = rel ? `${rel}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...testFiles(dir, path));
    else if (entry.name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

describe('test kinds', () => {
  // `npm run test:unit`, `test:int` and `test:e2e` select files by these suffixes: a test file
  // without one would run only under `npm test`.
  it('every test file is named *.unit.test.ts, *.int.test.ts or *.e2e.test.ts', () => {
    const files = testFiles(root);
    expect(files.length).toBeGreaterThan(10);
    expect(files.filter((f) => !/\.(unit|int|e2e)\.test\.ts$/.test(f))).toEqual([]);
  });
});
