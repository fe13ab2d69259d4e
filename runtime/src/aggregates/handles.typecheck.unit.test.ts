import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFile } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = join(here, '../../..');
const fixture = join(here, 'fixtures/handles-typed.fixture.ts');

/** A diagnostic of the fixture, as the checker process reports it. */
interface FixtureDiagnostic {
  readonly line: number;
  readonly code: number;
  readonly message: string;
}

/**
 * Type-checks the fixture, and a copy of it without the wrong handlers, with the repository's compiler
 * options in one program, in a child process: the check is seconds of synchronous work (over a minute on a
 * busy 2-core machine), which in the test worker itself would starve vitest's RPC and fail the run.
 */
const checked = new Promise<{ fixture: FixtureDiagnostic[]; clean: FixtureDiagnostic[] }>((resolve, reject) => {
  const script = `
    import ts from 'typescript';
    import { readFileSync } from 'node:fs';
    const [repoRoot, fixture] = process.argv.slice(1);
    const clean = fixture.replace(/\\.fixture\\.ts$/, '.clean.fixture.ts');
    const config = ts.readConfigFile(repoRoot + '/tsconfig.base.json', (p) => ts.sys.readFile(p));
    const { options } = ts.parseJsonConfigFileContent(config.config, ts.sys, repoRoot);
    const host = ts.createCompilerHost(options);
    const original = host.getSourceFile.bind(host);
    host.getSourceFile = (name, version, onError, create) =>
      name === clean
        ? ts.createSourceFile(name, readFileSync(fixture, 'utf8').split('  // EXPECT-ERROR')[0] + '}\\n', version, true)
        : original(name, version, onError, create);
    host.fileExists = ((exists) => (name) => name === clean || exists(name))(host.fileExists.bind(host));
    const program = ts.createProgram({ rootNames: [fixture, clean], options: { ...options, noEmit: true }, host });
    const of = (file) => ts.getPreEmitDiagnostics(program).filter((d) => d.file?.fileName === file).map((d) => ({
      line: d.file.getLineAndCharacterOfPosition(d.start).line + 1,
      code: d.code,
      message: ts.flattenDiagnosticMessageText(d.messageText, '\\n'),
    }));
    process.stdout.write(JSON.stringify({ fixture: of(fixture), clean: of(clean) }));
  `;
  execFile(process.execPath, ['--input-type=module', '-e', script, repoRoot, fixture], { cwd: repoRoot, maxBuffer: 16 << 20 }, (error, stdout, stderr) =>
    error ? reject(new Error(`type-checking the fixture failed: ${error.message}\n${stderr}`)) : resolve(JSON.parse(stdout)),
  );
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
    const diagnostics = (await checked).fixture;
    const messages = diagnostics.map((d) => `${d.line}: ${d.message}`);
    expect(diagnostics.map((d) => d.line).sort((a, b) => a - b), messages.join('\n')).toEqual(expectedErrorLines(source));
    const wrongEvent = diagnostics.find((d) => d.line === expectedErrorLines(source)[0])!;
    expect(wrongEvent.code).toBe(1241); // Unable to resolve signature of method decorator
    expect(wrongEvent.message).toContain("Type 'Opened' is not assignable to type 'Closed'");
    const wrongResult = diagnostics.find((d) => d.line === expectedErrorLines(source)[1])!;
    expect(wrongResult.message).toContain("Type 'string' is not assignable to type 'State'");
  });

  it('accepts the fixture once the wrong handlers are removed', async () => {
    expect((await checked).clean.map((d) => d.message)).toEqual([]);
  });
});
