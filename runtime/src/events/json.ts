import { SerializationError } from '../errors.js';
import { LastIsoText } from './iso-time.js';

/** A value that survives `JSON.stringify` → `JSON.parse` unchanged. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/**
 * Converts a payload to plain JSON, losslessly, following eventsmith's serialization rules:
 *
 * - `Date` becomes an ISO-8601 UTC string (`2024-01-15T09:00:00.000Z`); the event schema turns it back.
 * - `bigint` becomes a decimal string, so integers beyond 2^53 keep every digit.
 * - Decimals are strings already (`"10.25"`); they are never converted to binary floating point.
 * - `NaN`, `Infinity` and `-Infinity` are rejected: JSON has no spelling for them.
 * - `undefined` object properties are dropped; `undefined` array items, functions, symbols,
 *   `Map`, `Set` and class instances other than `Date` are rejected.
 *
 * Throws {@link SerializationError} naming the path of the first unsupported value.
 *
 * @example
 * ```ts
 * toJsonValue({ at: new Date(0), big: 2n ** 64n }); // { at: '1970-01-01T00:00:00.000Z', big: '18446744073709551616' }
 * ```
 */
export function toJsonValue(value: unknown, path = ''): JsonValue {
  return convert(value, path, false, 0, value, path);
}

/**
 * {@link toJsonValue} with every object and array of the result frozen, in one pass. Events use it
 * for their metadata.
 *
 * @example
 * ```ts
 * const metadata = toFrozenJsonValue({ ip: '10.0.0.1' }, 'metadata'); // a frozen copy
 * ```
 */
export function toFrozenJsonValue(value: unknown, path = ''): JsonValue {
  return convert(value, path, true, 0, value, path);
}

/**
 * How deeply objects and arrays may nest in a payload, metadata or state: MariaDB's JSON
 * functions refuse deeper documents, and one limit for every store keeps a payload that passes
 * on one store from failing on another. It also stops circular values early.
 */
export const MAX_JSON_DEPTH = 31;

/** `String.prototype.isWellFormed` (ES2024, in every Node this package supports; the `lib` is ES2023). */
type WellFormedText = string & { isWellFormed(): boolean };
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Why an id the stores look events up by (a stream, event or tenant id) cannot be one, beyond
 * {@link textProblem}: it must not end with a space, since MariaDB and MySQL compare these columns
 * with a collation that ignores trailing spaces (`'Order-1'` and `'Order-1 '` are one stream there,
 * two on SQLite and PostgreSQL), so every store refuses it alike. Undefined when it is fine.
 */
export function idEndProblem(value: string): string | undefined {
  // One character compared: this runs on every append.
  return value.charCodeAt(value.length - 1) === 32
    ? 'ends with a space: MariaDB and MySQL cannot tell it apart from the same id without the space, so no store accepts it. Trim the id'
    : undefined;
}

/**
 * Why a string cannot be stored exactly, or undefined when it can: a NUL character (PostgreSQL
 * cannot store U+0000) or a lone surrogate (not Unicode: UTF-8 databases turn it into U+FFFD, so
 * two different strings would read back as one).
 *
 * @example
 * ```ts
 * textProblem('a\u0000b'); // 'contains a NUL character (U+0000) at index 1, which PostgreSQL cannot store; remove it'
 * ```
 */
export function textProblem(value: string): string | undefined {
  // Two native scans: a regular expression costs several times more per string, and every string
  // of every event passes here (a fresh template-literal string: ~160 ns against ~45).
  const nul = value.indexOf('\0');
  if (nul !== -1) return `contains a NUL character (U+0000) at index ${nul}, which PostgreSQL cannot store; remove it`;
  if ((value as WellFormedText).isWellFormed()) return undefined;
  const lone = LONE_SURROGATE.exec(value);
  if (lone) {
    const unit = lone[0].charCodeAt(0).toString(16).toUpperCase();
    return `contains a lone surrogate (\\u${unit} at index ${lone.index}), which is not valid Unicode and which databases would read back as U+FFFD; fix how the text was cut or decoded`;
  }
  return undefined;
}

/**
 * The {@link SerializationError} for a value nested deeper than {@link MAX_JSON_DEPTH}: walks it
 * again (only when that happened) to name where a circular reference closes, or the first path
 * that is too deep. Shared by the JSON conversion and by the payload copy an event makes.
 */
export function nestingError(root: unknown, rootPath: string): SerializationError {
  const ancestors: object[] = [];
  const paths: string[] = [];
  const walk = (value: unknown, path: string): SerializationError | undefined => {
    if (value === null || typeof value !== 'object' || value instanceof Date) return undefined;
    const back = ancestors.indexOf(value);
    if (back !== -1) {
      return new SerializationError(
        path,
        `circular reference: it is the same object as ${paths[back] || '(root)'}; a payload must be a tree`,
      );
    }
    if (ancestors.length >= MAX_JSON_DEPTH) {
      return new SerializationError(
        path,
        `objects and arrays are nested more than ${MAX_JSON_DEPTH} levels deep; flatten the structure`,
      );
    }
    ancestors.push(value);
    paths.push(path);
    try {
      for (const key of Object.keys(value)) {
        const found = walk((value as Record<string, unknown>)[key], join(path, key));
        if (found) return found;
      }
      return undefined;
    } finally {
      ancestors.pop();
      paths.pop();
    }
  };
  return (
    walk(root, rootPath) ??
    new SerializationError(rootPath, `objects and arrays are nested more than ${MAX_JSON_DEPTH} levels deep`)
  );
}

/**
 * Freezes, in place, a value that came straight from `JSON.parse` and that nobody else holds.
 * Returns false, with the value possibly half frozen, when it is not plain JSON after all (a
 * class instance, a non-finite number, `undefined`…); the caller then falls back to
 * {@link toFrozenJsonValue}, which copies and reports the first offending path.
 *
 * @example
 * ```ts
 * const metadata = JSON.parse(text);
 * if (!freezeParsedJson(metadata)) metadata = toFrozenJsonValue(metadata, 'metadata');
 * ```
 */
export function freezeParsedJson(value: unknown): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value);
    case 'object': {
      if (value === null) return true;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) if (!freezeParsedJson(value[i])) return false;
      } else {
        const proto = Object.getPrototypeOf(value);
        if (proto !== Object.prototype && proto !== null) return false;
        for (const key in value) if (!freezeParsedJson((value as Record<string, unknown>)[key])) return false;
      }
      Object.freeze(value);
      return true;
    }
    default:
      return false;
  }
}

/**
 * Payloads often carry the same date, event after event. Made on first use, not when this module
 * loads: iso-time.ts → immutable.ts → json.ts is an import cycle, and when iso-time.ts is the
 * first of them imported this module runs before `LastIsoText` exists.
 */
let dateTexts: LastIsoText | undefined;

/**
 * The ISO text {@link toJsonValue} writes for a valid `Date`.
 *
 * @example
 * ```ts
 * isoTextOf(new Date(0)); // '1970-01-01T00:00:00.000Z'
 * ```
 */
export function isoTextOf(date: Date): string {
  return (dateTexts ??= new LastIsoText()).of(date);
}

function convert(
  value: unknown,
  path: string,
  freeze: boolean,
  depth: number,
  root: unknown,
  rootPath: string,
): JsonValue {
  switch (typeof value) {
    case 'string': {
      const problem = textProblem(value);
      if (problem !== undefined) throw new SerializationError(path, `the string ${problem}`);
      return value;
    }
    case 'boolean':
      return value;
    case 'number':
      if (!Number.isFinite(value)) throw new SerializationError(path, `${value} is not representable in JSON`);
      return value;
    case 'bigint':
      return value.toString();
    case 'undefined':
      throw new SerializationError(path, 'undefined is not representable in JSON');
    case 'object': {
      if (value === null) return null;
      if (value instanceof Date) {
        if (Number.isNaN(value.getTime())) throw new SerializationError(path, 'invalid Date');
        return isoTextOf(value);
      }
      if (depth >= MAX_JSON_DEPTH) throw nestingError(root, rootPath);
      if (Array.isArray(value)) {
        const items = value.map((item, i) => convert(item, join(path, String(i)), freeze, depth + 1, root, rootPath));
        return freeze ? (Object.freeze(items) as JsonValue[]) : items;
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) {
        throw new SerializationError(
          path,
          `${proto?.constructor?.name ?? 'object'} instances are not supported; use plain objects`,
        );
      }
      const out: JsonObject = {};
      const source = value as Record<string, unknown>;
      for (const key of Object.keys(source)) {
        const item = source[key];
        if (item === undefined) continue;
        const problem = textProblem(key);
        if (problem !== undefined) throw new SerializationError(join(path, JSON.stringify(key)), `the key ${problem}`);
        out[key] = convert(item, join(path, key), freeze, depth + 1, root, rootPath);
      }
      return freeze ? Object.freeze(out) : out;
    }
    default:
      throw new SerializationError(path, `${typeof value} values are not supported`);
  }
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

/** Recursively freezes a plain value. Returns it for chaining. */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const item of Object.values(value)) deepFreeze(item);
  }
  return value;
}
