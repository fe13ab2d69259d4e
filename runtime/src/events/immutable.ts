import { MAX_JSON_DEPTH, nestingError } from './json.js';

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
