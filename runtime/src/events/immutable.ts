import { MAX_JSON_DEPTH, isoTextOf, nestingError, textProblem, type JsonObject, type JsonValue } from './json.js';

/**
 * A `Date` whose setters throw. `Object.freeze` cannot stop `setTime()` (a date keeps its time in
 * an internal slot), so events hold their dates as `ImmutableDate`s. It is still a `Date`:
 * `instanceof Date`, `toISOString()` and comparisons work as usual.
 */
export class ImmutableDate extends Date {
  constructor(time: number) {
    super(time);
    Object.freeze(this);
  }
}

for (const name of Object.getOwnPropertyNames(Date.prototype)) {
  if (!name.startsWith('set')) continue;
  Object.defineProperty(ImmutableDate.prototype, name, {
    value(this: Date): never {
      throw new TypeError(
        `Cannot call ${name}() on a date of an event: events are immutable. Copy it with new Date(date) first.`,
      );
    },
    writable: false,
    configurable: false,
  });
}

/**
 * The {@link ImmutableDate} made last, handed out again for the same time: nothing can change it,
 * so events can share it. Events built one after another often carry the same date in their
 * payload, and those of one batch their occurred time.
 *
 * @example
 * ```ts
 * const dates = new LastImmutableDate();
 * dates.at(0) === dates.at(0); // true
 * ```
 */
export class LastImmutableDate {
  #time = NaN;
  #date: ImmutableDate | undefined;

  at(time: number): ImmutableDate {
    if (time !== this.#time || this.#date === undefined) {
      this.#date = new ImmutableDate(time);
      this.#time = time;
    }
    return this.#date;
  }
}

/**
 * A deeply frozen copy of a payload: plain objects and arrays are copied, dates become
 * {@link ImmutableDate}s, other objects (Map, class instances) are frozen in place. The caller's
 * value is never frozen or aliased, so changing it later cannot change the event. A value nested
 * deeper than `MAX_JSON_DEPTH` (or circular) is a `SerializationError` naming its path under `path`.
 */
export function immutableCopy<T>(value: T, path = 'data'): T {
  return copyAt(value, 0, value, path);
}

function copyAt<T>(value: T, depth: number, root: unknown, path: string): T {
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof ImmutableDate) return value;
  if (value instanceof Date) return new ImmutableDate(value.getTime()) as T;
  // A circular or very deep value would overflow the stack here; name where instead.
  if (depth >= MAX_JSON_DEPTH) throw nestingError(root, path);
  if (Array.isArray(value)) {
    const items: unknown[] = new Array(value.length);
    for (let i = 0; i < value.length; i++) items[i] = copyAt(value[i], depth + 1, root, path);
    return Object.freeze(items) as T;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return Object.freeze(value);
  const copy: Record<string, unknown> = proto === null ? Object.create(null) : {};
  const source = value as Record<string, unknown>;
  for (const key of Object.keys(source)) copy[key] = copyAt(source[key], depth + 1, root, path);
  return Object.freeze(copy) as T;
}

/** An event payload's deeply frozen copy, and the JSON form `toJsonValue` gives for that copy. */
export interface FrozenPayload<T> {
  readonly data: T;
  /** Undefined when `toJsonValue` would refuse the copy: converting it again reports why. */
  readonly json: JsonValue | undefined;
}

/**
 * {@link immutableCopy}, building in the same walk the JSON form that `toJsonValue` would give for
 * the copy (dates as ISO text, bigints as decimal text, `undefined` properties left out, text
 * checked). An event keeps it, so that a store writes the payload without walking it again.
 * Anything `toJsonValue` refuses (a NUL or a lone surrogate, a non-finite number, a Map, an
 * `undefined` array item…) leaves `json` undefined instead of throwing here: the event is valid,
 * and only storing it fails, with `toJsonValue`'s error, as before.
 *
 * @example
 * ```ts
 * const { data, json } = immutableCopyWithJson({ at: new Date(0) }); // json: { at: '1970-01-01T00:00:00.000Z' }
 * ```
 */
export function immutableCopyWithJson<T>(value: T, path = 'data'): FrozenPayload<T> {
  const walk = new JsonCopy(value, path);
  const data = walk.copy(value, 0) as T;
  return { data, json: walk.ok ? walk.json : undefined };
}

/** Dates in payloads built one after another share their `ImmutableDate` when their times are equal. */
const payloadDates = new LastImmutableDate();

/**
 * One walk of {@link immutableCopyWithJson}: each `copy` leaves the JSON form of its value in
 * `json`. The compiled payload builder (payload-decoder.ts) walks a payload by its schema and
 * hands each value zod would return as it is to `copy`.
 */
export class JsonCopy {
  json: JsonValue = null;
  ok = true;

  constructor(
    private readonly root: unknown,
    private readonly path: string,
  ) {}

  copy(value: unknown, depth: number): unknown {
    switch (typeof value) {
      case 'string':
        if (textProblem(value) !== undefined) this.ok = false;
        this.json = value;
        return value;
      case 'number':
        if (!Number.isFinite(value)) this.ok = false;
        this.json = value;
        return value;
      case 'boolean':
        this.json = value;
        return value;
      case 'bigint':
        this.json = value.toString();
        return value;
      case 'object':
        break;
      default: // undefined (as an array item or the payload), functions, symbols
        this.ok = false;
        return value;
    }
    if (value === null) {
      this.json = null;
      return value;
    }
    if (value instanceof Date) {
      const date = value instanceof ImmutableDate ? value : payloadDates.at(value.getTime());
      if (Number.isNaN(date.getTime())) this.ok = false;
      else this.json = isoTextOf(date);
      return date;
    }
    // A circular or very deep value would overflow the stack here; name where instead.
    if (depth >= MAX_JSON_DEPTH) throw nestingError(this.root, this.path);
    if (Array.isArray(value)) {
      const items: unknown[] = new Array(value.length);
      const json: JsonValue[] = new Array(value.length);
      for (let i = 0; i < value.length; i++) {
        items[i] = this.copy(value[i], depth + 1);
        json[i] = this.json;
      }
      this.json = json;
      return Object.freeze(items);
    }
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      this.ok = false; // a Map, a class instance: frozen as it is, and refused when stored
      return Object.freeze(value);
    }
    const copy: Record<string, unknown> = proto === null ? Object.create(null) : {};
    const json: JsonObject = {};
    const source = value as Record<string, unknown>;
    for (const key of Object.keys(source)) {
      const item = source[key];
      if (item === undefined) {
        copy[key] = item; // kept in the copy, left out of JSON
        continue;
      }
      if (textProblem(key) !== undefined) this.ok = false;
      copy[key] = this.copy(item, depth + 1);
      json[key] = this.json;
    }
    this.json = json;
    return Object.freeze(copy);
  }
}

/**
 * {@link immutableCopy} for a payload nobody else holds, such as one just parsed from a stored
 * record: plain objects and arrays are frozen in place rather than copied, and dates inside them
 * are replaced by {@link ImmutableDate}s. A container that is frozen already is copied instead.
 *
 * @example
 * ```ts
 * const data = freezeOwned({ at: new Date(0), lines: [{ sku: 'a' }] }); // the same object, now deeply immutable
 * ```
 */
export function freezeOwned<T>(value: T): T {
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Date) return (value instanceof ImmutableDate ? value : new ImmutableDate(value.getTime())) as T;
  if (Object.isFrozen(value)) return immutableCopy(value);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (item !== null && typeof item === 'object') {
        const frozen = freezeOwned(item);
        if (frozen !== item) value[i] = frozen;
      }
    }
    return Object.freeze(value);
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return Object.freeze(value);
  const object = value as Record<string, unknown>;
  for (const key of Object.keys(object)) {
    const item = object[key];
    if (item !== null && typeof item === 'object') {
      const frozen = freezeOwned(item);
      if (frozen !== item) object[key] = frozen;
    }
  }
  return Object.freeze(value);
}
