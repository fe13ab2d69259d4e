// Part of `npm run build`: copies the non-TypeScript files the CLI loads at run time (templates, static files)
// from src/ to the same place under dist/, where the compiled modules look for them.
import { cpSync, readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SKIP_DIRS = new Set(['fixtures', 'test-support', '__snapshots__']);

function copyAssets(from, to) {
  for (const name of readdirSync(from)) {
    const source = join(from, name);
    if (statSync(source).isDirectory()) {
      if (!SKIP_DIRS.has(name)) copyAssets(source, join(to, name));
    } else if (extname(name) !== '.ts') {
      cpSync(source, join(to, name));
    }
  }
}

copyAssets(fileURLToPath(new URL('../src', import.meta.url)), fileURLToPath(new URL('../dist', import.meta.url)));
