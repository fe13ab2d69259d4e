/**
 * `npm run bench [filter]`: runs every `test/bench/*.bench.ts` (or those whose file name contains
 * `filter`). Each module's default export prints its own table of figures and ratios, all measured
 * in the same run. Benchmarks that need a service skip themselves, saying why, when it is down.
 */
import { readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const filter = process.argv[2];
const files = (await readdir(here)).filter((f) => f.endsWith('.bench.ts') && (!filter || f.includes(filter))).sort();
if (files.length === 0) {
  console.error(
    `No benchmark matches "${filter}". Available: ${(await readdir(here)).filter((f) => f.endsWith('.bench.ts')).join(', ')}`,
  );
  process.exit(1);
}
for (const file of files) {
  console.log(`\n=== ${file.replace(/\.bench\.ts$/, '')} ===`);
  const module = (await import(pathToFileURL(join(here, file)).href)) as { default: () => Promise<void> };
  await module.default();
}
process.exit(0);
