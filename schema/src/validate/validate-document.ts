import { createRequire } from 'node:module';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { domainError, type DomainError, type DomainErrorCode } from '../domain-error.js';
import { COLUMN_TYPES, METADATA_KEYS } from '../model.js';
import { closestMatch, closestType, didYouMean, listChoices } from '../suggest.js';
import type { ParsedYamlFile } from '../yaml/parse-yaml-file.js';
import { fromJsonPointer, type PathSegment } from '../yaml/yaml-path.js';

/** A JSON Schema violation located in its file, with the path it concerns. */
export interface SchemaViolation {
  readonly error: DomainError;
  readonly path: readonly PathSegment[];
}

/** Validates one parsed file against `domain.schema.json`, reporting every violation. */
export function validateDocument(file: ParsedYamlFile): SchemaViolation[] {
  const validate = compiled();
  if (validate(file.value)) return [];
  return mapAjvErrors(validate.errors ?? [], file);
}

let validator: ValidateFunction | undefined;

function compiled(): ValidateFunction {
  // strict: false because the schema uses `if`/`then` with `required` the way editors expect.
  // Loaded by path, not imported: the built dist/ sits at the same depth as src/, next to the package's
  // domain.schema.json, and an import would pull the JSON file into the compiled output.
  validator ??= new Ajv({ allErrors: true, strict: false, verbose: true }).compile(
    createRequire(import.meta.url)('../../domain.schema.json') as object,
  );
  return validator;
}

function mapAjvErrors(errors: readonly ErrorObject[], file: ParsedYamlFile): SchemaViolation[] {
  const anyOfPaths = errors.filter((e) => e.keyword === 'anyOf').map((e) => `${e.instancePath}|${e.schemaPath}`);
  const kept = errors.filter((e) => {
    if (e.keyword === 'if') return false;
    // Errors inside `propertyNames` carry `propertyName`; the propertyNames error itself says it better.
    if (e.keyword !== 'propertyNames' && (e.propertyName !== undefined || e.schemaPath.includes('/propertyNames/')))
      return false;
    // Branch errors of an anyOf are summarised by the anyOf error itself.
    return !anyOfPaths.some((p) => {
      const [instancePath, schemaPath] = p.split('|') as [string, string];
      return e.keyword !== 'anyOf' && e.instancePath === instancePath && e.schemaPath.startsWith(`${schemaPath}/`);
    });
  });
  // `evry: 5` yields "missing every" and "unknown evry"; the second one (with did-you-mean) says it all.
  const misspelt = new Set(
    kept
      .filter((e) => e.keyword === 'additionalProperties')
      .map((e) => {
        const extra = String((e.params as { additionalProperty: string }).additionalProperty);
        const allowed = Object.keys((e.parentSchema as { properties?: object } | undefined)?.properties ?? {});
        return `${e.instancePath}|${closestMatch(extra, allowed) ?? ''}`;
      }),
  );
  const { slipped, absorbed } = keysBelowAnEmptyKey(kept, file);
  const seen = new Set<string>();
  const out: SchemaViolation[] = [];
  for (const e of kept) {
    if (absorbed.has(e)) continue;
    const slip = slipped.get(e);
    if (slip) {
      out.push(slip);
      continue;
    }
    if (
      e.keyword === 'required' &&
      misspelt.has(`${e.instancePath}|${String((e.params as { missingProperty: string }).missingProperty)}`)
    )
      continue;
    const violation = mapOne(e, file);
    const key = `${violation.error.where.line}:${violation.error.where.col}:${violation.error.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(violation);
  }
  return out;
}

/**
 * A key left empty with the keys meant for it at its own indentation (`fields:` then `owner: string`
 * on the next line, not indented) yields "must be a map, not empty" and one "unknown property" per
 * key. Those become one error at the empty key, saying to indent the keys below it. The keys taken
 * are the unknown ones right after it in its map, up to the next key the map does accept.
 */
function keysBelowAnEmptyKey(
  errors: readonly ErrorObject[],
  file: ParsedYamlFile,
): { slipped: Map<ErrorObject, SchemaViolation>; absorbed: Set<ErrorObject> } {
  const slipped = new Map<ErrorObject, SchemaViolation>();
  const absorbed = new Set<ErrorObject>();
  for (const empty of errors) {
    if (empty.keyword !== 'type' || empty.data !== null) continue;
    if (!String((empty.params as { type: unknown }).type).includes('object')) continue;
    const path = fromJsonPointer(empty.instancePath);
    const name = path[path.length - 1];
    if (name === undefined) continue;
    const parentPointer = empty.instancePath.slice(0, empty.instancePath.lastIndexOf('/'));
    const unknown = new Map<string, ErrorObject>();
    for (const e of errors) {
      if (e.keyword === 'additionalProperties' && e.instancePath === parentPointer)
        unknown.set(String((e.params as { additionalProperty: string }).additionalProperty), e);
    }
    if (unknown.size === 0) continue;
    const parentPath = path.slice(0, -1);
    const at = file.locate(path, 'key');
    const siblings = Object.keys(valueAt(file.value, parentPath) ?? {})
      .map((key) => ({ key, where: file.locate([...parentPath, key], 'key') }))
      .filter((k) => k.where.line > at.line)
      .sort((a, b) => a.where.line - b.where.line);
    const below: { key: string; error: ErrorObject }[] = [];
    for (const sibling of siblings) {
      const error = unknown.get(sibling.key);
      if (!error || sibling.where.col !== at.col) break;
      below.push({ key: sibling.key, error });
    }
    if (below.length === 0) continue;
    for (const b of below) absorbed.add(b.error);
    const keys = below.map((b) => `"${b.key}"`).join(', ');
    slipped.set(empty, {
      error: domainError(
        'SCHEMA.TYPE',
        `${describe(path)} is empty, and the ${below.length === 1 ? 'key' : 'keys'} below it (${keys}) ${below.length === 1 ? 'is' : 'are'} at its indentation, so ${below.length === 1 ? 'it is' : 'they are'} read as ${below.length === 1 ? 'a property' : 'properties'} of ${describe(parentPath)}.`,
        `Indent ${below.length === 1 ? 'it' : 'them'} under \`${String(name)}:\` (two more spaces), or write \`${String(name)}: {}\` if it is meant to be empty.`,
        file.locate(path, 'key'),
      ),
      path,
    });
  }
  return { slipped, absorbed };
}

function valueAt(value: unknown, path: readonly PathSegment[]): Record<string, unknown> | undefined {
  let node = value;
  for (const segment of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[String(segment)];
  }
  return node !== null && typeof node === 'object' && !Array.isArray(node)
    ? (node as Record<string, unknown>)
    : undefined;
}

function mapOne(e: ErrorObject, file: ParsedYamlFile): SchemaViolation {
  const path: PathSegment[] = fromJsonPointer(e.instancePath);
  const parent = (e.parentSchema ?? {}) as {
    description?: string;
    properties?: Record<string, { description?: string }>;
  };
  const hint = parent.description ?? 'See schema/FORMAT.md for the format.';
  const make = (
    code: DomainErrorCode,
    message: string,
    fix: string,
    at: readonly PathSegment[],
    target: 'key' | 'value' = 'value',
  ) => ({
    error: domainError(code, message, fix, file.locate(at, target)),
    path: at,
  });
  const value = e.data;
  switch (e.keyword) {
    case 'required': {
      const missing = String((e.params as { missingProperty: string }).missingProperty);
      const about = parent.properties?.[missing]?.description;
      return make(
        'SCHEMA.REQUIRED',
        `${describe(path)} is missing "${missing}".`,
        `Add \`${missing}:\`${about ? ` (${about})` : ''}.`,
        path,
        path.length > 0 ? 'key' : 'value',
      );
    }
    case 'additionalProperties': {
      const extra = String((e.params as { additionalProperty: string }).additionalProperty);
      const allowed = Object.keys(parent.properties ?? {});
      return make(
        'SCHEMA.UNKNOWN_PROPERTY',
        `${path.length === 0 ? `Unknown top-level property "${extra}"` : `Unknown property "${extra}" in ${describe(path)}`}.${didYouMean(extra, allowed)}`,
        `Remove it, or use one of: ${listChoices(allowed, 12)}.`,
        [...path, extra],
        'key',
      );
    }
    case 'propertyNames': {
      const name = String((e.params as { propertyName: string }).propertyName);
      return make(
        'NAME.INVALID',
        `"${name}" is not a valid name here.`,
        path[path.length - 1] === 'history'
          ? 'History keys are the older version numbers: 1, 2, …'
          : 'Use letters, digits and "_" only, not starting with a digit (e.g. "MoneyDeposited", "owner_name").',
        [...path, name],
        'key',
      );
    }
    case 'type': {
      const expected = String((e.params as { type: string | string[] }).type).replace(/,/g, ' or ');
      return make('SCHEMA.TYPE', `${describe(path)} must be ${article(expected)}, not ${kindOf(value)}.`, hint, path);
    }
    case 'enum': {
      const allowed = ((e.params as { allowedValues: unknown[] }).allowedValues ?? []).map(String);
      // `type: bool` in a long form: suggest by alias too, as for the short form.
      const suggestion =
        path[path.length - 1] === 'type' ? closestType(String(value), allowed) : closestMatch(String(value), allowed);
      return make(
        'SCHEMA.ENUM',
        `"${String(value)}" is not allowed for ${describe(path)}.${suggestion === undefined ? '' : ` Did you mean "${suggestion}"?`}`,
        `Use one of: ${listChoices(allowed, 20)}.`,
        path,
      );
    }
    case 'const': {
      const allowed = String((e.params as { allowedValue: unknown }).allowedValue);
      return make(
        'SCHEMA.ENUM',
        `"${String(value)}" is not allowed for ${describe(path)}; the only word accepted here is "${allowed}".`,
        hint,
        path,
      );
    }
    case 'anyOf':
      return make('SCHEMA.TYPE', `"${String(value)}" is not valid for ${describe(path)}.`, hint, path);
    case 'pattern':
      return patternError(String(value), path, hint, make);
    case 'minimum':
    case 'maximum':
      return make(
        'SCHEMA.RANGE',
        `${describe(path)} ${e.message ?? 'is out of range'}, found ${String(value)}.`,
        hint,
        path,
      );
    case 'minProperties':
    case 'maxProperties': {
      const choices = Object.keys(parent.properties ?? {});
      const exactlyOne = (parent as { maxProperties?: number }).maxProperties === 1;
      return exactlyOne
        ? make('SCHEMA.ONE_OF', `${describe(path)} must have exactly one of: ${choices.join(', ')}.`, hint, path)
        : make('SCHEMA.INVALID', `${describe(path)} must not be empty.`, hint, path);
    }
    default:
      return make('SCHEMA.INVALID', `${describe(path)} ${e.message ?? 'is invalid'}.`, hint, path);
  }
}

type Make = (code: DomainErrorCode, message: string, fix: string, at: readonly PathSegment[]) => SchemaViolation;

/** A value that should be an expression of a projection handler or a reaction (`item` for `forEach`). */
function expressionError(value: string, path: readonly PathSegment[], make: Make, item: boolean): SchemaViolation {
  if (value.startsWith('meta.')) {
    const key = value.slice(5);
    return make(
      'SCHEMA.PATTERN',
      `"${value}" is not a metadata field.${didYouMean(key, METADATA_KEYS).replace(/"([^"]+)"/, '"meta.$1"')}`,
      `Use one of: ${METADATA_KEYS.map((k) => `meta.${k}`).join(', ')}.`,
      path,
    );
  }
  const forItem = item ? '`item.<field>` for the item of `forEach`, ' : '';
  return make(
    'SCHEMA.PATTERN',
    `"${value}" is not an expression.`,
    `Write \`data.${value}\` for a field of the event, \`meta.<key>\` for an envelope field, ${forItem}or \`{ value: ${JSON.stringify(value)} }\` for a literal string.`,
    path,
  );
}

function patternError(value: string, path: readonly PathSegment[], hint: string, make: Make): SchemaViolation {
  const last = path[path.length - 1];
  const inHandler = path.includes('on') && path[0] === 'projections';
  if (inHandler && typeof value === 'string') return expressionError(value, path, make, false);
  if (last === 'from' && path.includes('fields')) {
    return make(
      'SCHEMA.PATTERN',
      `"${value}" is not a state reference.`,
      `Write \`from: state.<field>\` with a state field of the aggregate that raises the event${/^[A-Za-z_]\w*$/.test(value) ? `, e.g. \`from: state.${value}\`` : ''}.`,
      path,
    );
  }
  if (path[0] === 'reactions' && (last === 'when' || last === 'run' || last === 'forEach')) {
    const fix = {
      when: 'Name the triggering event, `BookBorrowed`, or with its aggregate, `Loan.BookBorrowed`.',
      run: 'Name the command as `Aggregate.command` (e.g. `Member.recordLoan`), or write `custom` for a hand-written handler.',
      forEach: 'Name a list field of the event, e.g. `data.lines`.',
    }[last];
    return make('SCHEMA.PATTERN', `"${value}" is not valid for "${last}".`, fix, path);
  }
  if (path[0] === 'reactions' && typeof value === 'string') return expressionError(value, path, make, true);
  if (path.includes('columns') && path[0] === 'projections') {
    const optional = value.trimEnd().endsWith('?') ? '?' : '';
    const suggestion = closestType(optional ? value.trimEnd().slice(0, -1).trim() : value, COLUMN_TYPES);
    return make(
      'SCHEMA.PATTERN',
      `"${value}" is not a column type.${suggestion === undefined ? '' : ` Did you mean "${suggestion}${optional}"?`}`,
      `Use one of: ${listChoices(COLUMN_TYPES, COLUMN_TYPES.length)}; add \`?\` for a nullable column.`,
      path,
    );
  }
  const isTypeExpression =
    last === 'type' || path.includes('fields') || path.includes('state') || path.includes('params') || last === 'items';
  if (isTypeExpression) return make('TYPE.INVALID_EXPRESSION', `"${value}" is not a type expression.`, hint, path);
  return make(
    'NAME.INVALID',
    `"${value}" is not a valid name.`,
    'Use letters, digits and "_" only, not starting with a digit.',
    path,
  );
}

/** A short description of what is at `path`, for messages. */
export function describe(path: readonly PathSegment[]): string {
  if (path.length === 0) return 'The document';
  const [section, name, sub, subName] = path;
  if (path.length === 2 && section === 'types') return `type "${String(name)}"`;
  if (path.length === 2 && section === 'aggregates') return `aggregate "${String(name)}"`;
  if (path.length === 2 && section === 'projections') return `projection "${String(name)}"`;
  if (path.length === 2 && section === 'reactions') return `reaction "${String(name)}"`;
  if (path.length === 4 && section === 'aggregates' && sub === 'events') return `event "${String(subName)}"`;
  if (path.length === 4 && section === 'aggregates' && sub === 'commands') return `command "${String(subName)}"`;
  if (path.length === 4 && section === 'projections' && sub === 'on') return `the handler of "${String(subName)}"`;
  if (path.length === 6 && section === 'aggregates' && sub === 'events' && path[4] === 'history')
    return `version ${String(path[5])} of event "${String(subName)}"`;
  const last = path[path.length - 1]!;
  return typeof last === 'number' ? `item ${last} of "${String(path[path.length - 2])}"` : `"${String(last)}"`;
}

function kindOf(value: unknown): string {
  if (value === null || value === undefined) return 'empty';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map';
  return `${typeof value === 'string' ? 'the string' : `the ${typeof value}`} ${JSON.stringify(value)}`;
}

function article(expected: string): string {
  return expected
    .split(' or ')
    .map((t) => (t === 'object' ? 'a map' : t === 'array' ? 'a list' : t === 'null' ? 'empty' : `a ${t}`))
    .join(' or ');
}
