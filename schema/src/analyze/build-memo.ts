import type { DomainError } from '../domain-error.js';
import type { ParsedYamlFile } from '../yaml/parse-yaml-file.js';
import type { DomainScope } from './build-context.js';

/** What building one entity produced: the node (undefined when invalid) and its errors. */
export interface Built<T> {
  readonly node: T | undefined;
  readonly errors: readonly DomainError[];
}

/** Everything a builder may look up besides its own file: the scope, and event owners for aggregates. */
export interface BuildInputs {
  readonly scope: DomainScope;
  readonly owners: ReadonlyMap<string, string>;
}

/**
 * Remembers what each entity built to, and what it looked up while building, so that a reload
 * (`generate --watch`) rebuilds only entities of changed files and entities whose lookups now
 * answer differently. The result is the same as building afresh: a builder reads nothing but its
 * file (the same parsed object while the text is unchanged) and {@link BuildInputs}, and every
 * lookup is replayed against the new inputs before a node is reused; nodes compare by identity,
 * so an unchanged entity keeps its node object and whatever depends on it can be reused too.
 */
export class BuildMemo {
  /** Per parsed file; a changed file is parsed into a new object, and its entries go with the old one. */
  readonly #byFile = new WeakMap<ParsedYamlFile, Map<string, Entry>>();

  /**
   * The memoised result of `build` for the entity at `key` of `file`, or `build`'s result over
   * recording inputs. `key` must name the entity and the build pass uniquely within the file.
   */
  build<T>(file: ParsedYamlFile, key: string, inputs: BuildInputs, build: (inputs: BuildInputs) => Built<T>): Built<T> {
    let entries = this.#byFile.get(file);
    if (!entries) this.#byFile.set(file, (entries = new Map()));
    const hit = entries.get(key);
    if (hit && hit.reads.every((read) => replays(read, inputs))) return hit.built as Built<T>;
    const reads: Read[] = [];
    const built = build(recording(inputs, reads));
    entries.set(key, { built, reads });
    return built;
  }
}

// ---------------------------------------------------------------------------------------------

type Part = keyof DomainScope | 'owners';

/** One lookup: a key and what it found, or a whole collection in iteration order. */
type Read =
  | { readonly part: Part; readonly key: string; readonly found: unknown }
  | { readonly part: Part; readonly all: readonly unknown[] };

interface Entry {
  readonly built: Built<unknown>;
  readonly reads: readonly Read[];
}

type Collection = ReadonlyMap<string, unknown> | ReadonlySet<string>;

function partOf(inputs: BuildInputs, part: Part): Collection {
  return part === 'owners' ? inputs.owners : inputs.scope[part];
}

function lookup(collection: Collection, key: string): unknown {
  return collection instanceof Map ? collection.get(key) : (collection as ReadonlySet<string>).has(key);
}

function flatten(collection: Collection): unknown[] {
  return collection instanceof Map ? [...collection].flat() : [...collection];
}

function replays(read: Read, inputs: BuildInputs): boolean {
  const collection = partOf(inputs, read.part);
  if ('key' in read) return lookup(collection, read.key) === read.found;
  const now = flatten(collection);
  return now.length === read.all.length && now.every((value, i) => value === read.all[i]);
}

function recording(inputs: BuildInputs, reads: Read[]): BuildInputs {
  const map = <V>(part: Part, inner: ReadonlyMap<string, V>) => new RecordingMap(part, inner, reads);
  const set = (part: Part, inner: ReadonlySet<string>) => new RecordingSet(part, inner, reads);
  const { scope } = inputs;
  return {
    scope: {
      typeNames: set('typeNames', scope.typeNames),
      types: map('types', scope.types),
      eventNames: set('eventNames', scope.eventNames),
      events: map('events', scope.events),
      renamedEvents: map('renamedEvents', scope.renamedEvents),
      duplicateNames: set('duplicateNames', scope.duplicateNames),
    },
    owners: map('owners', inputs.owners),
  };
}

/** A map that notes every lookup; sizing or iterating it notes the whole map. */
class RecordingMap<V> implements ReadonlyMap<string, V> {
  constructor(
    readonly part: Part,
    readonly inner: ReadonlyMap<string, V>,
    readonly reads: Read[],
  ) {}

  get(key: string): V | undefined {
    const found = this.inner.get(key);
    this.reads.push({ part: this.part, key, found });
    return found;
  }
  has(key: string): boolean {
    return this.get(key) !== undefined;
  }
  get size(): number {
    return this.#all().size;
  }
  forEach(fn: (value: V, key: string, map: ReadonlyMap<string, V>) => void, thisArg?: unknown): void {
    this.#all().forEach((value, key) => fn.call(thisArg, value, key, this));
  }
  entries(): MapIterator<[string, V]> {
    return this.#all().entries();
  }
  keys(): MapIterator<string> {
    return this.#all().keys();
  }
  values(): MapIterator<V> {
    return this.#all().values();
  }
  [Symbol.iterator](): MapIterator<[string, V]> {
    return this.entries();
  }
  #all(): ReadonlyMap<string, V> {
    this.reads.push({ part: this.part, all: flatten(this.inner) });
    return this.inner;
  }
}

/** A set that notes every membership test; sizing or iterating it notes the whole set. */
class RecordingSet implements ReadonlySet<string> {
  constructor(
    readonly part: Part,
    readonly inner: ReadonlySet<string>,
    readonly reads: Read[],
  ) {}

  has(key: string): boolean {
    const found = this.inner.has(key);
    this.reads.push({ part: this.part, key, found });
    return found;
  }
  get size(): number {
    return this.#all().size;
  }
  forEach(fn: (value: string, key: string, set: ReadonlySet<string>) => void, thisArg?: unknown): void {
    this.#all().forEach((value) => fn.call(thisArg, value, value, this));
  }
  entries(): SetIterator<[string, string]> {
    return this.#all().entries();
  }
  keys(): SetIterator<string> {
    return this.#all().keys();
  }
  values(): SetIterator<string> {
    return this.#all().values();
  }
  [Symbol.iterator](): SetIterator<string> {
    return this.values();
  }
  #all(): ReadonlySet<string> {
    this.reads.push({ part: this.part, all: flatten(this.inner) });
    return this.inner;
  }
}
