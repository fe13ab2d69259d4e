import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = join(here, '../../..');
const fixture = join(here, 'fixtures/handles-typed.fixture.ts');

/** Type-checks `fixture` in-process with the repository's compiler options. */
function diagnosticsOf(file: string, replace?: (source: string) => string): ts.Diagnostic[] {
  const configPath = join(repoRoot, 'tsconfig.base.json');
  const config = ts.readConfigFile(configPath, (p) => ts.sys.readFile(p));
  const { options } = ts.parseJsonConfigFileContent(config.config, ts.sys, repoRoot);
  const host = ts.createCompilerHost(options);
  if (replace) {
    const original = host.getSourceFile.bind(host);
    host.getSourceFile = (name, languageVersion, onError, shouldCreate) =>
      name === file ? ts.createSourceFile(name, replace(readFileSync(file, 'utf8')), languageVersion, true) : original(name, languageVersion, onError, shouldCreate);
  }
  const program = ts.createProgram({ rootNames: [file], options: { ...options, noEmit: true }, host });
  return ts.getPreEmitDiagnostics(program).filter((d) => d.file?.fileName === file);
}

function lineOf(d: ts.Diagnostic): number {
  return d.file!.getLineAndCharacterOfPosition(d.start!).line + 1;
}

/** Line numbers of the decorators that follow an `EXPECT-ERROR` comment. */
function expectedErrorLines(source: string): number[] {
  const lines = source.split('\n');
  return lines.flatMap((line, i) => (line.includes('// EXPECT-ERROR') ? [i + 2] : []));
}

describe('@handles typing', () => {
  it('rejects a handler whose parameter is another event, or whose result is not the state', () => {
    const source = readFileSync(fixture, 'utf8');
    const diagnostics = diagnosticsOf(fixture);
    const messages = diagnostics.map((d) => `${lineOf(d)}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
    expect(diagnostics.map(lineOf).sort((a, b) => a - b), messages.join('\n')).toEqual(expectedErrorLines(source));
    const wrongEvent = diagnostics.find((d) => lineOf(d) === expectedErrorLines(source)[0])!;
    const text = ts.flattenDiagnosticMessageText(wrongEvent.messageText, '\n');
    expect(wrongEvent.code).toBe(1241); // Unable to resolve signature of method decorator
    expect(text).toContain("Type 'Opened' is not assignable to type 'Closed'");
    const wrongResult = diagnostics.find((d) => lineOf(d) === expectedErrorLines(source)[1])!;
    expect(ts.flattenDiagnosticMessageText(wrongResult.messageText, '\n')).toContain("Type 'string' is not assignable to type 'State'");
  });

  it('accepts the fixture once the wrong handlers are removed', () => {
    const diagnostics = diagnosticsOf(fixture, (source) => source.split('  // EXPECT-ERROR')[0]! + '}\n');
    expect(diagnostics.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'))).toEqual([]);
  });
});
