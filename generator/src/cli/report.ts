import { createTwoFilesPatch } from 'diff';
import { formatDomainError, sortDomainErrors, type DomainError } from '@eventsmith/schema';
import type { FileChange, WriteReport } from '../write/write-files.js';
import { formatCliError, type CliError } from './cli-error.js';
import type { CliIo } from './io.js';
import { decorateBlock, styleFor } from './terminal.js';

export type OutputFormat = 'text' | 'json';

/**
 * Prints loader and CLI errors: for people as `file:line:col  what` / `fix: how`, or for tools
 * as `{ "errors": [...] }` on stdout. Never a stack trace. `outcome` follows the count (`2 errors;
 * nothing was written.`); null for commands that only read, which print the count alone.
 */
export function printErrors(
  io: CliIo,
  format: OutputFormat,
  domainErrors: readonly DomainError[],
  cliErrors: readonly CliError[],
  outcome: string | null = 'nothing was written',
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
  const color = io.color?.err === true;
  const sources = new Map<string, string | undefined>();
  const decorate = (block: string, where: DomainError['where'] | CliError['where']) =>
    decorateBlock(block, where, { cwd: io.cwd, color, sources });
  const blocks = [
    ...cliErrors.map((e) => decorate(formatCliError(e), e.where)),
    ...sortDomainErrors(domainErrors).map((e) => decorate(formatDomainError(e), e.where)),
  ];
  const count = domainErrors.length + cliErrors.length;
  io.err(
    `${blocks.join('\n\n')}\n\n${styleFor(color).red(`${count} error${count === 1 ? '' : 's'}`)}${domainErrors.length ? ' in domain YAML' : ''}${outcome === null ? '' : `; ${outcome}`}.\n`,
  );
}

/** One line per written or removed file, then warnings. */
export function printWriteReport(io: CliIo, report: WriteReport, domains: readonly string[], ms: number): void {
  const s = styleFor(io.color?.out);
  const tint = { create: s.green, update: s.yellow, remove: s.red };
  const lines = report.changes.map(
    (c) => `  ${tint[c.kind](verb(c))} ${c.path}${c.added?.length ? ` (added ${c.added.join(', ')})` : ''}`,
  );
  // `3 files created, 2 updated, 7 unchanged`: the noun agrees with the first count.
  const counts = (['create', 'update', 'remove'] as const)
    .map((kind) => ({ kind, count: report.changes.filter((c) => c.kind === kind).length }))
    .filter((c) => c.count > 0)
    .map((c, i) => `${i === 0 ? plural(c.count, 'file') : c.count} ${verb(c)}`);
  const summary = report.changes.length
    ? [...counts, ...(report.unchanged ? [`${report.unchanged} unchanged`] : [])].join(', ')
    : `up to date (${plural(report.unchanged, 'file')})`;
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
    const patch = createTwoFilesPatch(from, to, change.before, change.after, '', '', { context: 3 });
    io.out(colorPatch(patch.replace(/^=+\n/, ''), styleFor(io.color?.out)));
  }
  printWarnings(io, report.warnings);
  if (report.changes.length === 0) {
    io.out(`eventsmith: ${subject.what} up to date (${plural(report.unchanged, 'file')} checked).\n`);
  } else {
    io.err(
      `eventsmith: ${plural(report.changes.length, 'file')} would change:\n${report.changes.map((c) => `  ${verb(c, true)} ${c.path}`).join('\n')}\n` +
        `Run \`${subject.command}\` and commit the result.\n`,
    );
  }
}

function verb(change: Pick<FileChange, 'kind'>, future = false): string {
  const words = future
    ? { create: 'would create', update: 'would update', remove: 'would remove' }
    : { create: 'created', update: 'updated', remove: 'removed' };
  return words[change.kind];
}

/** `1 file`, `2 files`: a count that agrees with its noun (`nouns`: an irregular plural, `2 entries`). */
export function plural(count: number, noun: string, nouns = `${noun}s`): string {
  return `${count} ${count === 1 ? noun : nouns}`;
}

/** A unified diff with added lines in green, removed in red and hunk headers in cyan. */
function colorPatch(patch: string, s: ReturnType<typeof styleFor>): string {
  return patch
    .split('\n')
    .map((l) =>
      l.startsWith('+++') || l.startsWith('---')
        ? s.bold(l)
        : l.startsWith('+')
          ? s.green(l)
          : l.startsWith('-')
            ? s.red(l)
            : l.startsWith('@@')
              ? s.cyan(l)
              : l,
    )
    .join('\n');
}
