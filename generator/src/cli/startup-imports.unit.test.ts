import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';

// `eventsmith --help` and `--version` must start fast, so main.ts's static import graph holds only
// the small CLI modules; every heavy module (emitters, prettier, ts-morph, chokidar, handlebars,
// the schema loader, the YAML parser, the database drivers) is loaded by the command that needs it.
// (The whole-process time is measured in `npm run bench`, not here.)
const HEAVY = /^(ts-morph|prettier|handlebars|chokidar|yaml|diff|ajv|kysely|better-sqlite3|pg|mysql2|@eventsmith\/)/;

function staticImports(file: string, seen = new Set<string>()): { files: Set<string>; packages: Set<string> } {
  const packages = new Set<string>();
  if (seen.has(file)) return { files: seen, packages };
  seen.add(file);
  const source = readFileSync(file, 'utf8');
  // `import x from '…'` and `export … from '…'`, but not `import type` / `export type` (erased).
  for (const match of source.matchAll(/^(?:import|export)\s+(?!type\b)[^;]*?from\s+'([^']+)';/gms)) {
    const specifier = match[1]!;
    if (specifier.startsWith('.')) {
      for (const p of staticImports(join(dirname(file), specifier.replace(/\.js$/, '.ts')), seen).packages)
        packages.add(p);
    } else {
      packages.add(specifier);
    }
  }
  for (const match of source.matchAll(/^import\s+'([^']+)';/gm)) packages.add(match[1]!);
  return { files: seen, packages };
}

describe('CLI startup', () => {
  it('main.ts statically imports only node built-ins and small CLI modules', () => {
    const { files, packages } = staticImports(join(import.meta.dirname, 'main.ts'));
    expect([...packages].filter((p) => HEAVY.test(p))).toEqual([]);
    expect([...packages].every((p) => p.startsWith('node:'))).toBe(true);
    expect(files.size).toBeLessThan(10);
  });

  it('generate loads ts-morph only to merge into a user file that may lack something', () => {
    // ts-morph brings the TypeScript compiler (~0.5 s to load): a run whose user files are complete,
    // or not there yet, never needs it (write-files.ts imports merge-user-file.ts when it does).
    const { packages } = staticImports(join(import.meta.dirname, '..', 'generate-project.ts'));
    expect(packages).toContain('prettier/standalone');
    expect([...packages].filter((p) => p.startsWith('ts-morph'))).toEqual([]);
  });
});
