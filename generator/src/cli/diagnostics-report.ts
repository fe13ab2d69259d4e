import { countDiagnostics, formatDiagnostic, sortDiagnostics, type Diagnostic } from '@eventsmith/schema';
import type { CliIo } from './io.js';
import type { OutputFormat } from './report.js';
import { decorateBlock } from './terminal.js';

/**
 * The JSON form of the flow checks for tools (`--format json`), beside the errors:
 * `{ "errors": [], "warnings": [{ severity, code, message, fix, where, related? }], "info": [...] }`,
 * then the fields of `more` (what `generate` adds about the files).
 */
export function diagnosticsJson(
  diagnostics: readonly Diagnostic[],
  more: Readonly<Record<string, unknown>> = {},
): string {
  const sorted = sortDiagnostics(diagnostics);
  const warnings = sorted.filter((d) => d.severity !== 'info');
  const info = sorted.filter((d) => d.severity === 'info');
  return `${JSON.stringify({ errors: [], warnings, info, ...more }, null, 2)}\n`;
}

/**
 * Prints the flow checks for people on stderr, each as `file:line:col  warning: what`, its YAML
 * path, code and fix. `info: false` leaves out information (what `generate` prints).
 */
export function printDiagnostics(
  io: CliIo,
  diagnostics: readonly Diagnostic[],
  options: { readonly info: boolean },
): void {
  const shown = sortDiagnostics(diagnostics).filter((d) => options.info || d.severity !== 'info');
  const sources = new Map<string, string | undefined>();
  const blocks = shown.map((d) =>
    decorateBlock(formatDiagnostic(d), d.where, { cwd: io.cwd, color: io.color?.err === true, sources }),
  );
  if (shown.length > 0) io.err(`${blocks.join('\n\n')}\n\n`);
}

/** `--strict` refused the warnings: all of them (and the information) as text or JSON, then why. */
export function printStrictRefusal(
  io: CliIo,
  format: OutputFormat,
  diagnostics: readonly Diagnostic[],
  options: { readonly wouldWrite: boolean },
): void {
  if (format === 'json') {
    io.out(diagnosticsJson(diagnostics));
    return;
  }
  printDiagnostics(io, diagnostics, { info: true });
  const refused = diagnostics.filter((d) => d.severity !== 'info');
  io.err(
    `eventsmith: ${countDiagnostics(refused)} in domain YAML; --strict refuses ${refused.length === 1 ? 'it' : 'them'}${options.wouldWrite ? ', so nothing was written' : ''}.\n`,
  );
}

/** What `generate` prints after its report: the warnings (not the information), then their count. */
export function printFlowWarnings(io: CliIo, diagnostics: readonly Diagnostic[]): void {
  const warnings = diagnostics.filter((d) => d.severity !== 'info');
  if (warnings.length === 0) return;
  printDiagnostics(io, warnings, { info: false });
  io.err(`eventsmith: ${countDiagnostics(warnings)} in domain YAML (--strict refuses warnings).\n`);
}

/** The counts after a summary line: ` (1 warning, 1 note)`, or nothing when there are none. */
export function diagnosticsSuffix(diagnostics: readonly Diagnostic[]): string {
  const counts = countDiagnostics(diagnostics);
  return counts ? ` (${counts})` : '';
}
