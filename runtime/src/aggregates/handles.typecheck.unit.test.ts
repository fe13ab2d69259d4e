import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { typeCheck } from '@eventsmith/test/support/type-check';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = join(here, '../../..');
const fixture = join(here, 'fixtures/handles-typed.fixture.ts');

/** The fixture, and a copy of it without the wrong handlers, type-checked in one program with the repository's options. */
const clean = fixture.replace(/\.fixture\.ts$/, '.clean.fixture.ts');
const checked = typeCheck({
  tsconfig: { extends: join(repoRoot, 'tsconfig.base.json'), files: [fixture] },
  basePath: repoRoot,
  overrides: { [clean]: readFileSync(fixture, 'utf8').split('  // EXPECT-ERROR')[0] + '}\n' },
  reportUnder: [fixture, clean],
});
checked.catch(() => {}); // reported by the tests that await it

/** Line numbers of the decorators that follow an `EXPECT-ERROR` comment. */
function expectedErrorLines(source: string): number[] {
  const lines = source.split('\n');
  return lines.flatMap((line, i) => (line.includes('// EXPECT-ERROR') ? [i + 2] : []));
}

// Waits for the checker process (over a minute on a busy 2-core machine); nothing here is timed.
describe('@handles typing', { timeout: 300_000 }, () => {
  it('rejects a handler whose parameter is another event, or whose result is not the state', async () => {
    const source = readFileSync(fixture, 'utf8');
    const diagnostics = (await checked).filter((d) => d.file === fixture);
    const messages = diagnostics.map((d) => `${d.line}: ${d.message}`);
    expect(
      diagnostics.map((d) => d.line).sort((a, b) => a - b),
      messages.join('\n'),
    ).toEqual(expectedErrorLines(source));
    const wrongEvent = diagnostics.find((d) => d.line === expectedErrorLines(source)[0])!;
    expect(wrongEvent.code).toBe(1241); // Unable to resolve signature of method decorator
    expect(wrongEvent.message).toContain("Type 'Opened' is not assignable to type 'Closed'");
    const wrongResult = diagnostics.find((d) => d.line === expectedErrorLines(source)[1])!;
    expect(wrongResult.message).toContain("Type 'string' is not assignable to type 'State'");
  });

  it('accepts the fixture once the wrong handlers are removed', async () => {
    expect((await checked).filter((d) => d.file === clean).map((d) => d.message)).toEqual([]);
  });
});
