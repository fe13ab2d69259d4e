import type { SourceLocation } from './model.js';

/**
 * A problem found in domain YAML: a stable `code` (`NAMESPACE.SUBCODE`), what is wrong
 * (`message`), how to fix it (`fix`) and where (`where`: file, 1-based line and column, YAML path).
 * The loader returns these as values; it never throws.
 *
 * @example
 * ```ts
 * const result = loadDomain(files);
 * if (!result.ok) for (const e of result.errors) console.error(formatDomainError(e));
 * ```
 */
export interface DomainError {
  readonly code: DomainErrorCode;
  readonly message: string;
  readonly fix: string;
  readonly where: SourceLocation;
  /** Other places involved, e.g. the first declaration of a duplicate name. */
  readonly related?: readonly SourceLocation[];
}

/** Every code the loader (and generator stages reporting against the model) may use. */
export type DomainErrorCode =
  | 'FILE.READ'
  | 'FILE.NOT_REGULAR'
  | 'FILE.NONE'
  | 'YAML.SYNTAX'
  | 'YAML.DUPLICATE_KEY'
  | 'YAML.TOO_LARGE'
  | 'YAML.TOO_DEEP'
  | 'YAML.ALIAS_LIMIT'
  | 'YAML.MULTIPLE_DOCUMENTS'
  | 'YAML.NOT_A_MAP'
  | 'YAML.ENCODING'
  | 'SCHEMA.REQUIRED'
  | 'SCHEMA.UNKNOWN_PROPERTY'
  | 'SCHEMA.TYPE'
  | 'SCHEMA.ENUM'
  | 'SCHEMA.PATTERN'
  | 'SCHEMA.RANGE'
  | 'SCHEMA.ONE_OF'
  | 'SCHEMA.INVALID'
  | 'DOMAIN.NAME_MISMATCH'
  | 'DOMAIN.DUPLICATE_NAME'
  | 'NAME.INVALID'
  | 'NAME.RESERVED'
  | 'NAME.TOO_LONG'
  | 'TYPE.INVALID_EXPRESSION'
  | 'TYPE.UNKNOWN'
  | 'TYPE.CYCLE'
  | 'TYPE.INVALID_VALUE'
  | 'TYPE.MISPLACED_PROPERTY'
  | 'AGGREGATE.MISSING_INITIAL'
  | 'AGGREGATE.FOREIGN_EVENT'
  | 'AGGREGATE.RESERVED_MEMBER'
  | 'EVENT.UNKNOWN'
  | 'EVENT.VERSION_GAP'
  | 'EVENT.VERSION_OUT_OF_RANGE'
  | 'EVENT.BREAKING_CHANGE'
  | 'EVENT.INVALID_STEP'
  | 'EVENT.RETIRED'
  | 'EVENT.UNKNOWN_STATE_FIELD'
  | 'EVENT.STATE_TYPE_MISMATCH'
  | 'PROJECTION.UNKNOWN_EVENT'
  | 'PROJECTION.UNKNOWN_COLUMN'
  | 'PROJECTION.UNKNOWN_FIELD'
  | 'PROJECTION.TYPE_MISMATCH'
  | 'PROJECTION.NULLABILITY'
  | 'PROJECTION.MISSING_COLUMN'
  | 'PROJECTION.PRIMARY_KEY'
  | 'PROJECTION.TABLE_OWNER'
  | 'REACTION.UNKNOWN_EVENT'
  | 'REACTION.UNKNOWN_COMMAND'
  | 'REACTION.UNKNOWN_PARAM'
  | 'REACTION.MISSING_PARAM'
  | 'REACTION.UNKNOWN_FIELD'
  | 'REACTION.TYPE_MISMATCH'
  | 'LOADER.INTERNAL';

/** Creates a frozen {@link DomainError}. */
export function domainError(
  code: DomainErrorCode,
  message: string,
  fix: string,
  where: SourceLocation,
  related?: readonly SourceLocation[],
): DomainError {
  return Object.freeze({
    code,
    message,
    fix,
    where,
    ...(related && related.length > 0 ? { related: Object.freeze([...related]) } : {}),
  });
}

/**
 * Formats an error for people: `file:line:col  message`, then the YAML path and the fix.
 *
 * @example
 * ```ts
 * formatDomainError(error);
 * // domain/bank.yaml:12:7  Unknown type "Moneyy". Did you mean "Money"?
 * //   at aggregates.BankAccount.events.MoneyDeposited.fields.amount  [TYPE.UNKNOWN]
 * //   fix: Declare "Moneyy" under types:, or use one of: Money, string, decimal, …
 * ```
 */
export function formatDomainError(error: DomainError): string {
  const { file, line, col, path } = error.where;
  const lines = [
    `${file}:${line}:${col}  ${error.message}`,
    `  at ${shortPath(path) || '(document)'}  [${error.code}]`,
  ];
  if (error.fix) lines.push(`  fix: ${error.fix}`);
  for (const r of error.related ?? [])
    lines.push(`  see: ${r.file}:${r.line}:${r.col}${r.path ? ` (${shortPath(r.path)})` : ''}`);
  return lines.join('\n');
}

/** A YAML path for people: a very long name in it is cut (the JSON form keeps it whole). */
function shortPath(path: string): string {
  return path.replace(/[A-Za-z0-9_$-]{41,}/g, (name) => `${name.slice(0, 32)}…`);
}

/** Formats a list of errors for people, sorted by file and position, with a count at the end. */
export function formatDomainErrors(errors: readonly DomainError[]): string {
  const body = sortDomainErrors(errors).map(formatDomainError).join('\n\n');
  return `${body}\n\n${errors.length} error${errors.length === 1 ? '' : 's'} in domain YAML.`;
}

/**
 * The JSON form for tools (`--format json`): `{ errors: [{ code, message, fix, where, related? }] }`,
 * sorted by file and position, pretty-printed and newline-terminated.
 */
export function domainErrorsToJson(errors: readonly DomainError[]): string {
  return `${JSON.stringify({ errors: sortDomainErrors(errors) }, null, 2)}\n`;
}

/** Sorts by file, line, column, then code (plain `<`, stable across platforms). */
export function sortDomainErrors(errors: readonly DomainError[]): DomainError[] {
  const cmp = (a: string | number, b: string | number) => (a < b ? -1 : a > b ? 1 : 0);
  return [...errors].sort(
    (a, b) =>
      cmp(a.where.file, b.where.file) ||
      cmp(a.where.line, b.where.line) ||
      cmp(a.where.col, b.where.col) ||
      cmp(a.code, b.code) ||
      cmp(a.message, b.message),
  );
}
