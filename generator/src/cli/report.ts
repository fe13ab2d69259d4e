import { createTwoFilesPatch } from 'diff';
import { formatDomainError, sortDomainErrors, type DomainError } from '@eventsmith/schema';
import type { FileChange, WriteReport } from '../write/write-files.js';
import { formatCliError, type CliError } from './cli-error.js';
import type { CliIo } from './io.js';

export type OutputFormat = 'text' | 'json';

/**
 * Prints loader and CLI errors: for people as `file:line:col  what` / `fix: how`, or for tools
 * as `{ "errors": [...] }` on stdout. Never a stack trace.
 */
export function printErrors(
  io: CliIo,
  format: OutputFormat,
  domainErrors: readonly DomainError[],
  cliErrors: readonly CliError[],
): void {
  if (format === 'json') {
    const errors = [
      ...cliErrors.map((e) => ({
        code: e.code,
        message: e.message,
        fix: e.fix,
        ...(e.where ? { where: e.where } : {}),
      })),
      ...sortDomainErrors(domainErrors),
    ];
    io.out(`${JSON.stringify({ errors }, null, 2)}\n`);
    return;
  }
  const blocks = [...cliErrors.map(formatCliError), ...sortDomainErrors(domainErrors).map(formatDomainError)];
  const count = domainErrors.length + cliErrors.length;
  io.err(
    `${blocks.join('\n\n')}\n\n${count} error${count === 1 ? '' : 's'}${domainErrors.length ? ' in domain YAML' : ''}; nothing was written.\n`,
  );
}

/** One line per written or removed file, then warnings. */
export function printWriteReport(io: CliIo, report: WriteReport, domains: readonly string[], ms: number): void {
  const lines = report.changes.map(
    (c) => `  ${verb(c)} ${c.path}${c.added?.length ? ` (added ${c.added.join(', ')})` : ''}`,
  );
  const summary = report.changes.length
    ? `${report.changes.length} file${report.changes.length === 1 ? '' : 's'} changed, ${report.unchanged} unchanged`
    : `up to date (${report.unchanged} files)`;
  io.out(
    `eventsmith: ${domains.join(', ')}: ${summary} in ${Math.round(ms)} ms.${lines.length ? `\n${lines.join('\n')}` : ''}\n`,
  );
  printWarnings(io, report.warnings);
}

export function printWarnings(io: CliIo, warnings: readonly string[]): void {
  for (const w of warnings) io.err(`warning: ${w}\n`);
}

/** `--check`: a unified diff per file that would change, then a summary. */
export function printCheckReport(
  io: CliIo,
  report: WriteReport,
  subject: { readonly what: string; readonly command: string } = {
    what: 'generated code is',
    command: 'eventsmith generate',
  },
): void {
  for (const change of report.changes) {
    const from = change.kind === 'create' ? '/dev/null' : `a/${change.path}`;
    const to = change.kind === 'remove' ? '/dev/null' : `b/${change.path}`;
    io.out(createTwoFilesPatch(from, to, change.before, change.after, '', '', { context: 3 }).replace(/^=+\n/, ''));
  }
  printWarnings(io, report.warnings);
  if (report.changes.length === 0) {
    io.out(`eventsmith: ${subject.what} up to date (${report.unchanged} files checked).\n`);
  } else {
    io.err(
      `eventsmith: ${report.changes.length} file${report.changes.length === 1 ? '' : 's'} would change:\n${report.changes.map((c) => `  ${verb(c, true)} ${c.path}`).join('\n')}\n` +
        `Run \`${subject.command}\` and commit the result.\n`,
    );
  }
}

function verb(change: FileChange, future = false): string {
  const words = future
    ? { create: 'would create', update: 'would update', remove: 'would remove' }
    : { create: 'created', update: 'updated', remove: 'removed' };
  return words[change.kind];
}
