import type { z } from 'zod';
import { LOCAL_DATE, isCalendarDate } from './calendar-date.js';
import { JsonCopy, freezeOwned, type FrozenPayload } from './immutable.js';
import { LastParsedTime, canonicalIsoTime, parseIsoTime } from './iso-time.js';
import { MAX_JSON_DEPTH, textProblem, type JsonObject, type JsonValue } from './json.js';

/**
 * A payload schema compiled for the read path. Stored payloads are JSON that was valid when
 * written, so most reads only need to confirm that and turn the typed fields (date-times,
 * bigints) back into their types. `check` is a pure test that the JSON value is exactly what the
 * schema accepts, with no key the schema would strip and nothing it would transform except the
 * typed fields; `convert` then does in place what zod's parse and a deep freeze would: typed
 * fields become `ImmutableDate`s or bigints, and every object and array is frozen.
 *
 * Anything the compiler does not know exactly (refinements, defaults, transforms, unions,
 * records, passthrough objects…) makes the whole schema unsupported, and values that fail
 * `check` take zod's path, so errors, stripping and output are zod's own.
 *
 * The same nodes build the payloads of events that callers make ({@link payloadBuilder}): `build`
 * checks a caller's value as `check` does (dates and bigints in the forms a caller passes) and
 * copies it, never touching the caller's value.
 */
interface Node {
  check(value: unknown): boolean;
  convert(value: unknown): unknown;
  /**
   * The build path (see {@link payloadBuilder}): the deeply frozen copy of what zod's parse would
   * return for a caller's `value`, with `walk.json` left holding its JSON form, as
   * `immutableCopyWithJson` of zod's output gives them; or {@link NO_MATCH} for zod to decide.
   */
  build(value: unknown, walk: JsonCopy, depth: number): unknown;
}

/** Decodes a JSON payload nobody else holds, or returns {@link NO_MATCH} for zod to decide. */
export type PayloadDecoder = (data: unknown) => unknown;
export const NO_MATCH: unique symbol = Symbol('eventsmith.noMatch');

type FieldKind = 'datetime' | 'bigint' | 'date';
/**
 * Field schemas the decoder reads itself: `fields.datetime()` and `fields.bigint()`, whose stored
 * form it converts, and `fields.date()`, which reads any stored `YYYY-MM-DD` (see `readingStored`).
 */
const fieldKinds = new WeakMap<z.ZodType, FieldKind>();

/** Marks a schema made by `fields.datetime()`, `fields.bigint()` or `fields.date()`, for {@link payloadDecoder}. */
export function tagField<S extends z.ZodType>(schema: S, kind: FieldKind): S {
  fieldKinds.set(schema, kind);
  return schema;
}

const compiled = new WeakMap<z.ZodType, PayloadDecoder | null>();

/**
 * The compiled decoder of a payload schema, or undefined when the schema uses something the
 * compiler does not model (then zod decodes every payload).
 */
export function payloadDecoder(schema: z.ZodType): PayloadDecoder | undefined {
  let decoder = compiled.get(schema);
  if (decoder === undefined) {
    const node = compile(schema, 0);
    decoder = node
      ? (data: unknown) => {
          if (!node.check(data)) return NO_MATCH;
          return node.convert(data);
        }
      : null;
    compiled.set(schema, decoder);
  }
  return decoder ?? undefined;
}

/** Builds a caller's payload, or returns undefined for zod to decide (see {@link payloadBuilder}). */
export type PayloadBuilder = (data: unknown) => FrozenPayload<unknown> | undefined;

const builders = new WeakMap<z.ZodType, PayloadBuilder | null>();

/**
 * The compiled builder of a payload schema, for events built by callers: for a payload the
 * compiled check accepts exactly (plain objects with no key the schema would strip, no refinement
 * or transform but the typed fields'), it gives in one walk what `immutableCopyWithJson` of zod's
 * parse gives: the deeply frozen copy, keys in the schema's order, with `Date`s as `ImmutableDate`s
 * and its JSON form. Anything else gives undefined, and the constructor asks zod, which decides,
 * reports and transforms as ever. Undefined when the schema uses what the compiler does not model.
 */
export function payloadBuilder(schema: z.ZodType): PayloadBuilder | undefined {
  // Not a schema (a class made without defineEvent's checks): zod's path fails as it always has.
  if (typeof schema !== 'object' || schema === null) return undefined;
  let builder = builders.get(schema);
  if (builder === undefined) {
    const node = compile(schema, 0);
    builder = node
      ? (data: unknown) => {
          const walk = new JsonCopy(data, 'data');
          let built: unknown;
          try {
            built = node.build(data, walk, 0);
          } catch {
            return undefined; // too deep or circular under an unknown field: zod's path reports it
          }
          return built === NO_MATCH ? undefined : { data: built, json: walk.ok ? walk.json : undefined };
        }
      : null;
    builders.set(schema, builder);
  }
  return builder ?? undefined;
}

interface Def {
  readonly type: string;
  readonly checks?: readonly { readonly _zod: { readonly def: CheckDef } }[];
  readonly shape?: Record<string, z.ZodType>;
  readonly catchall?: unknown;
  readonly element?: z.ZodType;
  readonly innerType?: z.ZodType;
  readonly format?: string;
  readonly pattern?: RegExp;
}
interface CheckDef {
  readonly check: string;
  readonly format?: string;
  readonly pattern?: RegExp;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly length?: number;
  readonly value?: unknown;
  readonly inclusive?: boolean;
}

/** String formats whose whole test is their pattern. */
const PATTERN_FORMATS = new Set(['uuid', 'guid', 'datetime', 'date', 'email', 'regex']);
const BIGINT_TEXT = /^-?\d+$/;
const MAX_DEPTH = 32;

const same = (value: unknown) => value;
/** A value zod returns as it is (a string, a number, an enum member…): checked, then copied as any value. */
const leaf = (check: (value: unknown) => boolean): Node => ({
  check,
  convert: same,
  build: (value, walk, depth) => (check(value) ? walk.copy(value, depth) : NO_MATCH),
});

function defOf(schema: z.ZodType): Def | undefined {
  return (schema as unknown as { _zod?: { def?: Def } })._zod?.def;
}

function compile(schema: z.ZodType, depth: number): Node | undefined {
  if (depth > MAX_DEPTH) return undefined;
  const kind = fieldKinds.get(schema);
  if (kind === 'datetime') return datetimeNode(schema);
  if (kind === 'bigint') return bigintNode();
  if (kind === 'date') {
    // Read: any stored YYYY-MM-DD (see readingStored). Built from a caller's value: a real day.
    const node = leaf((v) => typeof v === 'string' && LOCAL_DATE.test(v));
    const written = leaf((v) => typeof v === 'string' && isCalendarDate(v));
    return { ...node, build: written.build };
  }
  const def = defOf(schema);
  if (!def) return undefined;
  const checks = (def.checks ?? []).map((c) => c._zod.def);
  switch (def.type) {
    case 'string':
      return stringNode(def, checks);
    case 'number':
      return numberNode(checks);
    case 'boolean':
      return checks.length ? undefined : leaf((v) => typeof v === 'boolean');
    case 'null':
    case 'enum':
    case 'literal': {
      const values = (schema as unknown as { _zod: { values?: ReadonlySet<unknown> } })._zod.values;
      return values && !checks.length ? leaf((v) => values.has(v)) : undefined;
    }
    case 'nullable':
    case 'optional': {
      const inner = !checks.length && def.innerType ? compile(def.innerType, depth + 1) : undefined;
      if (!inner) return undefined;
      const empty = def.type === 'nullable' ? null : undefined;
      if (inner.convert === same) return leaf((v) => v === empty || inner.check(v));
      return {
        check: (v) => v === empty || inner.check(v),
        convert: (v) => (v === empty ? v : inner.convert(v)),
        build: (v, walk, depth) => (v === empty ? walk.copy(v, depth) : inner.build(v, walk, depth)),
      };
    }
    case 'default':
    case 'prefault': {
      // Stored rows were written with the default applied; an absent key is left to zod.
      const inner = !checks.length && def.innerType ? compile(def.innerType, depth + 1) : undefined;
      return (
        inner && {
          check: (v) => v !== undefined && inner.check(v),
          convert: inner.convert,
          build: (v, walk, jsonDepth) => (v === undefined ? NO_MATCH : inner.build(v, walk, jsonDepth)),
        }
      );
    }
    case 'unknown':
    case 'any':
      // Any JSON; an absent key is left to zod (its optionality differs between the two).
      // Built: zod returns the caller's value itself, which the copy then walks as any value.
      return checks.length
        ? undefined
        : {
            check: (v) => v !== undefined,
            convert: freezeOwned,
            build: (v, walk, jsonDepth) => (v === undefined ? NO_MATCH : walk.copy(v, jsonDepth)),
          };
    case 'array':
      return checks.length || !def.element ? undefined : arrayNode(def.element, depth);
    case 'object':
      return checks.length || def.catchall !== undefined || !def.shape ? undefined : objectNode(def.shape, depth);
    default:
      return undefined;
  }
}

function stringNode(def: Def, checks: readonly CheckDef[]): Node | undefined {
  const tests: ((s: string) => boolean)[] = [];
  if (def.format !== undefined) {
    if (!PATTERN_FORMATS.has(def.format) || !def.pattern) return undefined;
    const pattern = def.pattern;
    tests.push((s) => pattern.test(s));
  }
  for (const c of checks) {
    if (c.check === 'string_format' && c.format === 'regex' && c.pattern) {
      const pattern = c.pattern;
      tests.push((s) => {
        pattern.lastIndex = 0;
        return pattern.test(s);
      });
    } else if (c.check === 'min_length' && typeof c.minimum === 'number') {
      const min = c.minimum;
      tests.push((s) => s.length >= min);
    } else if (c.check === 'max_length' && typeof c.maximum === 'number') {
      const max = c.maximum;
      tests.push((s) => s.length <= max);
    } else if (c.check === 'length_equals' && typeof c.length === 'number') {
      const length = c.length;
      tests.push((s) => s.length === length);
    } else return undefined;
  }
  if (tests.length === 0) return leaf((v) => typeof v === 'string');
  if (tests.length === 1) {
    const [test] = tests as [(s: string) => boolean];
    return leaf((v) => typeof v === 'string' && test(v));
  }
  return leaf((v) => typeof v === 'string' && tests.every((test) => test(v)));
}

function numberNode(checks: readonly CheckDef[]): Node | undefined {
  // One test per number, with the bounds folded together (fields.integer() has three checks).
  let integer = false;
  let min = -Infinity;
  let minInclusive = true;
  let max = Infinity;
  let maxInclusive = true;
  for (const c of checks) {
    if (c.check === 'number_format' && c.format === 'safeint') integer = true;
    else if (c.check === 'greater_than' && typeof c.value === 'number') {
      if (c.value > min || (c.value === min && !c.inclusive)) [min, minInclusive] = [c.value, c.inclusive === true];
    } else if (c.check === 'less_than' && typeof c.value === 'number') {
      if (c.value < max || (c.value === max && !c.inclusive)) [max, maxInclusive] = [c.value, c.inclusive === true];
    } else return undefined;
  }
  return leaf(
    (v) =>
      typeof v === 'number' &&
      (integer ? Number.isSafeInteger(v) : Number.isFinite(v)) &&
      (minInclusive ? v >= min : v > min) &&
      (maxInclusive ? v <= max : v < max),
  );
}

function datetimeNode(schema: z.ZodType): Node | undefined {
  // fields.datetime(): union([date, iso string → Date]) refined to valid dates. JSON holds the string.
  const options = (defOf(schema) as { options?: z.ZodType[] } | undefined)?.options;
  const pipe = options?.[1] && (defOf(options[1]) as { in?: z.ZodType } | undefined);
  const pattern = pipe?.in && defOf(pipe.in)?.pattern;
  if (!pattern) return undefined;
  // toISOString's form with its fields in range, how stores keep times, is a text zod's pattern
  // accepts (it checks the same ranges, leap days included): only other forms are tested against it.
  const times = new LastParsedTime((text) => {
    const time = canonicalIsoTime(text);
    return Number.isNaN(time) && pattern.test(text) ? parseIsoTime(text) : time;
  });
  // The text read last, and its date, are kept: `convert`, which runs after the whole payload was
  // checked, converts the text just checked without parsing it again, and payloads read one after
  // another that carry the same time share one date, as those built one after another do
  // (nothing can change it).
  return {
    check: (v) => typeof v === 'string' && !Number.isNaN(times.millis(v)),
    convert: (v) => times.immutableDate(v as string),
    // A caller passes a valid Date (zod returns it as it is) or text in toISOString's form (zod
    // returns `new Date(text)`); the copy turns either into an ImmutableDate. Other text is zod's.
    build(v, walk, jsonDepth) {
      if (v instanceof Date) return Number.isNaN(v.getTime()) ? NO_MATCH : walk.copy(v, jsonDepth);
      if (typeof v !== 'string') return NO_MATCH;
      const time = canonicalIsoTime(v);
      return Number.isNaN(time) ? NO_MATCH : walk.copy(new Date(time), jsonDepth);
    },
  };
}

function bigintNode(): Node {
  // fields.bigint(): JSON holds a decimal string (how bigints are stored) or a safe integer.
  const check = (v: unknown) => (typeof v === 'string' && BIGINT_TEXT.test(v)) || Number.isSafeInteger(v);
  return {
    check,
    convert: (v) => BigInt(v as string | number),
    // A caller may pass a bigint too, which zod returns as it is.
    build(v, walk, jsonDepth) {
      if (typeof v === 'bigint') return walk.copy(v, jsonDepth);
      return check(v) ? walk.copy(BigInt(v as string | number), jsonDepth) : NO_MATCH;
    },
  };
}

function arrayNode(elementSchema: z.ZodType, depth: number): Node | undefined {
  const element = compile(elementSchema, depth + 1);
  if (!element) return undefined;
  return {
    check(v) {
      if (!Array.isArray(v) || Object.isFrozen(v)) return false;
      for (let i = 0; i < v.length; i++) if (!element.check(v[i])) return false;
      return true;
    },
    convert(v) {
      const items = v as unknown[];
      if (element.convert !== same) for (let i = 0; i < items.length; i++) items[i] = element.convert(items[i]);
      return Object.freeze(items);
    },
    build(v, walk, jsonDepth) {
      // Too deep: zod's path, whose copy names where.
      if (!Array.isArray(v) || jsonDepth >= MAX_JSON_DEPTH) return NO_MATCH;
      const items: unknown[] = new Array(v.length);
      const json: JsonValue[] = new Array(v.length);
      for (let i = 0; i < v.length; i++) {
        const item = element.build(v[i], walk, jsonDepth + 1);
        if (item === NO_MATCH) return NO_MATCH;
        items[i] = item;
        json[i] = walk.json;
      }
      walk.json = json;
      return Object.freeze(items);
    },
  };
}

function objectNode(shape: Record<string, z.ZodType>, depth: number): Node | undefined {
  const keys = Object.keys(shape);
  const fields: { key: string; node: Node; optional: boolean; badKey: boolean }[] = [];
  for (const key of keys) {
    const node = compile(shape[key]!, depth + 1);
    if (!node) return undefined;
    fields.push({
      key,
      node,
      optional: defOf(shape[key]!)?.type === 'optional',
      badKey: textProblem(key) !== undefined,
    });
  }
  const converting = fields.filter((f) => f.node.convert !== same);
  const count = fields.length;
  return {
    check(v) {
      if (typeof v !== 'object' || v === null || Array.isArray(v) || Object.isFrozen(v)) return false;
      if (Object.getPrototypeOf(v) !== Object.prototype) return false;
      const object = v as Record<string, unknown>;
      let present = 0;
      for (let i = 0; i < count; i++) {
        const field = fields[i]!;
        const value = object[field.key];
        if (value === undefined) {
          if (!field.optional || Object.hasOwn(object, field.key)) return false;
        } else {
          if (!field.node.check(value)) return false;
          present++;
        }
      }
      // A key the schema does not know: zod would strip it, so let zod build the output.
      let keys = 0;
      for (const _key in object) keys++;
      return keys === present;
    },
    convert(v) {
      const object = v as Record<string, unknown>;
      for (const field of converting) {
        const value = object[field.key];
        if (value !== undefined) object[field.key] = field.node.convert(value);
      }
      return Object.freeze(object);
    },
    build(v, walk, jsonDepth) {
      // zod accepts any non-array object and returns a new plain one; only plain ones are built here.
      if (typeof v !== 'object' || v === null || Object.getPrototypeOf(v) !== Object.prototype) return NO_MATCH;
      if (jsonDepth >= MAX_JSON_DEPTH) return NO_MATCH;
      const object = v as Record<string, unknown>;
      // Keys in the schema's order, as zod's output has them.
      const copy: Record<string, unknown> = {};
      const json: JsonObject = {};
      let present = 0;
      for (let i = 0; i < count; i++) {
        const field = fields[i]!;
        const value = object[field.key];
        if (value === undefined) {
          if (!field.optional || Object.hasOwn(object, field.key)) return NO_MATCH;
          continue;
        }
        const item = field.node.build(value, walk, jsonDepth + 1);
        if (item === NO_MATCH) return NO_MATCH;
        if (field.badKey) walk.ok = false;
        copy[field.key] = item;
        json[field.key] = walk.json;
        present++;
      }
      // A key the schema does not know: zod would strip it, so let zod build the output.
      let keys = 0;
      for (const _key in object) keys++;
      if (keys !== present) return NO_MATCH;
      walk.json = json;
      return Object.freeze(copy);
    },
  };
}
