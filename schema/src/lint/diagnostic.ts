import type { SourceLocation } from '../model.js';

/** How much a {@link Diagnostic} matters: `validate --strict` refuses warnings, never information. */
export type DiagnosticSeverity = 'error' | 'warning' | 'info';

/** Every code the lint stage may report. */
export type DiagnosticCode = 'FLOW.UNUSED_TYPE' | 'FLOW.COLUMN_NEVER_SET' | 'FLOW.EVENT_UNREAD';

/**
 * Something in a valid domain that is probably not what its author meant, found by
 * {@link lintDomain}: like a {@link DomainError} (a stable `code`, `message`, `fix`, `where`),
 * plus a `severity`. The domain still loads; `eventsmith validate --strict` refuses warnings.
 *
 * @example
 * ```ts
 * const diagnostics = lintDomain(model);
 * for (const d of diagnostics) console.error(formatDiagnostic(d));
 * ```
 */
export interface Diagnostic {
  readonly severity: DiagnosticSeverity;
  readonly code: DiagnosticCode;
  readonly message: string;
  readonly fix: string;
  readonly where: SourceLocation;
  /** Other places involved, e.g. each event a domain-wide note lists. */
  readonly related?: readonly SourceLocation[];
}

/** Creates a frozen {@link Diagnostic}. */
export function diagnostic(
  severity: DiagnosticSeverity,
  code: DiagnosticCode,
  message: string,
  fix: string,
  where: SourceLocation,
  related?: readonly SourceLocation[],
): Diagnostic {
  return Object.freeze({
    severity,
    code,
    message,
    fix,
    where,
    ...(related && related.length > 0 ? { related: Object.freeze([...related]) } : {}),
  });
}

/**
 * Formats a diagnostic for people: `file:line:col  warning: message`, then the YAML path, the
 * fix and the related places.
 *
 * @example
 * ```ts
 * formatDiagnostic(d);
 * // domain/bank.yaml:4:3  warning: Type "Currency" is declared, but nothing uses it.
 * //   at types.Currency  [FLOW.UNUSED_TYPE]
 * //   fix: Use it as the type of a field, or delete it from types:.
 * ```
 */
export function formatDiagnostic(d: Diagnostic): string {
  const { file, line, col, path } = d.where;
  const lines = [`${file}:${line}:${col}  ${d.severity}: ${d.message}`, `  at ${path || '(document)'}  [${d.code}]`];
  if (d.fix) lines.push(`  fix: ${d.fix}`);
  for (const r of d.related ?? []) lines.push(`  see: ${r.file}:${r.line}:${r.col}${r.path ? ` (${r.path})` : ''}`);
  return lines.join('\n');
}

/** Sorts by severity (errors first), then file, line, column and code (plain `<`). */
export function sortDiagnostics(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  const rank = { error: 0, warning: 1, info: 2 } as const;
  const cmp = (a: string | number, b: string | number) => (a < b ? -1 : a > b ? 1 : 0);
  return [...diagnostics].sort(
    (a, b) =>
      cmp(rank[a.severity], rank[b.severity]) ||
      cmp(a.where.file, b.where.file) ||
      cmp(a.where.line, b.where.line) ||
      cmp(a.where.col, b.where.col) ||
      cmp(a.code, b.code) ||
      cmp(a.message, b.message),
  );
}

/**
 * `1 warning`, `2 warnings, 1 note`: the counts of a list of diagnostics with their nouns, or
 * an empty string when there are none. Information counts as notes.
 */
export function countDiagnostics(diagnostics: readonly Diagnostic[]): string {
  const nouns = { error: 'error', warning: 'warning', info: 'note' } as const;
  const parts: string[] = [];
  for (const severity of ['error', 'warning', 'info'] as const) {
    const n = diagnostics.filter((d) => d.severity === severity).length;
    if (n > 0) parts.push(`${n} ${nouns[severity]}${n === 1 ? '' : 's'}`);
  }
  return parts.join(', ');
}
