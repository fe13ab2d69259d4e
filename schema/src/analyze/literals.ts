import type { ColumnTypeName, FieldType, JsonValue } from '../model.js';
import { didYouMean } from '../suggest.js';
import type { DomainScope } from './build-context.js';
import { resolveType } from './type-utils.js';

export type Coerced =
  { readonly ok: true; readonly value: JsonValue } | { readonly ok: false; readonly problem: string };

const DECIMAL = /^-?(0|[1-9]\d*)(\.\d+)?$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Checks a YAML literal against a field type and normalises it (a number written for a
 * `decimal` becomes its decimal string). Unknown references are accepted; they are reported elsewhere.
 */
export function coerceLiteral(
  value: unknown,
  type: FieldType,
  optional: boolean,
  scope: Pick<DomainScope, 'types'>,
): Coerced {
  return frozen(coerceFieldLiteral(value, type, optional, scope, 0));
}

/** Checks a literal against a column type (for column defaults and `{ value: … }` in handlers). */
export function coerceColumnLiteral(value: unknown, type: ColumnTypeName, nullable: boolean): Coerced {
  return frozen(coerceColumnValue(value, type, nullable));
}

function frozen(result: Coerced): Coerced {
  return result.ok ? { ok: true, value: deepFreeze(result.value) } : result;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

function coerceFieldLiteral(
  value: unknown,
  type: FieldType,
  optional: boolean,
  scope: Pick<DomainScope, 'types'>,
  depth: number,
): Coerced {
  if (depth > 32) return { ok: false, problem: 'the value is nested too deeply' };
  if (value === null || value === undefined) {
    return optional ? { ok: true, value: null } : { ok: false, problem: 'null is only allowed for optional fields' };
  }
  const resolved = resolveType(type, scope.types);
  switch (resolved.kind) {
    case 'RefType':
      return isJson(value) ? { ok: true, value } : { ok: false, problem: 'not a JSON value' };
    case 'ScalarType':
      return coerceScalar(value, resolved.name);
    case 'EnumType':
      if (typeof value === 'string' && resolved.values.includes(value)) return { ok: true, value };
      return {
        ok: false,
        problem:
          `${JSON.stringify(value)} is not one of ${resolved.values.join(', ')}.${didYouMean(String(value), resolved.values)}`.replace(
            /\.$/,
            '',
          ),
      };
    case 'ListType': {
      if (!Array.isArray(value)) return { ok: false, problem: 'expected a list' };
      const items: JsonValue[] = [];
      for (const [i, item] of value.entries()) {
        const c = coerceFieldLiteral(item, resolved.items, false, scope, depth + 1);
        if (!c.ok) return { ok: false, problem: `item ${i}: ${c.problem}` };
        items.push(c.value);
      }
      return { ok: true, value: items };
    }
    case 'ObjectType': {
      if (typeof value !== 'object' || Array.isArray(value)) return { ok: false, problem: 'expected a map' };
      const input = value as Record<string, unknown>;
      const out: Record<string, JsonValue> = {};
      for (const key of Object.keys(input)) {
        if (!resolved.fields.some((f) => f.name === key)) return { ok: false, problem: `unknown field "${key}"` };
      }
      for (const field of resolved.fields) {
        if (!(field.name in input)) {
          if (field.optional || field.default !== undefined) continue;
          return { ok: false, problem: `missing field "${field.name}"` };
        }
        const c = coerceFieldLiteral(input[field.name], field.type, field.optional, scope, depth + 1);
        if (!c.ok) return { ok: false, problem: `${field.name}: ${c.problem}` };
        out[field.name] = c.value;
      }
      return { ok: true, value: out };
    }
  }
}

function coerceScalar(value: unknown, name: string): Coerced {
  const bad = (what: string): Coerced => ({ ok: false, problem: `expected ${what}, found ${JSON.stringify(value)}` });
  switch (name) {
    case 'string':
      return typeof value === 'string' ? { ok: true, value } : bad('a string');
    case 'integer':
      return typeof value === 'number' && Number.isSafeInteger(value) ? { ok: true, value } : bad('an integer');
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) ? { ok: true, value } : bad('a finite number');
    case 'decimal': {
      if (typeof value === 'number' && Number.isFinite(value) && DECIMAL.test(String(value)))
        return { ok: true, value: String(value) };
      return typeof value === 'string' && DECIMAL.test(value) ? { ok: true, value } : bad('a decimal such as "10.50"');
    }
    case 'boolean':
      return typeof value === 'boolean' ? { ok: true, value } : bad('true or false');
    case 'uuid':
      return typeof value === 'string' && UUID.test(value) ? { ok: true, value: value.toLowerCase() } : bad('a UUID');
    case 'datetime':
      return typeof value === 'string' && DATETIME.test(value) && dayExists(value) && !Number.isNaN(Date.parse(value))
        ? { ok: true, value }
        : bad('an ISO-8601 date-time with an offset, such as "2024-01-31T12:00:00Z"');
    case 'date':
      return typeof value === 'string' && DATE.test(value) && dayExists(value)
        ? { ok: true, value }
        : bad('a calendar date such as "2024-01-31" (YYYY-MM-DD)');
    default:
      return bad(name);
  }
}

/**
 * Whether the `YYYY-MM-DD` that `text` starts with is a day that exists, as the runtime's
 * `fields.date()` and `fields.datetime()` check (`Date.parse` takes 2024-02-30 for March 1st).
 */
function dayExists(text: string): boolean {
  const year = Number(text.slice(0, 4));
  const month = Number(text.slice(5, 7));
  const day = Number(text.slice(8, 10));
  if (month < 1 || month > 12 || day < 1) return false;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return day <= (month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1]!);
}

function coerceColumnValue(value: unknown, type: ColumnTypeName, nullable: boolean): Coerced {
  if (value === null || value === undefined)
    return nullable ? { ok: true, value: null } : { ok: false, problem: 'null is only allowed in nullable columns' };
  switch (type) {
    case 'text':
      return coerceScalar(value, 'string');
    case 'bigint':
      if (typeof value === 'string' && /^-?\d+$/.test(value)) return { ok: true, value };
      return coerceScalar(value, 'integer');
    case 'json':
      return isJson(value) ? { ok: true, value } : { ok: false, problem: 'not a JSON value' };
    default:
      return coerceScalar(value, type);
  }
}

function isJson(value: unknown, depth = 0): value is JsonValue {
  if (depth > 64) return false;
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  if (Array.isArray(value)) return value.every((v) => isJson(v, depth + 1));
  if (typeof value === 'object') return Object.values(value).every((v) => isJson(v, depth + 1));
  return false;
}
