import type {
  AggregateNode,
  DomainModel,
  EventNode,
  FieldNode,
  FieldType,
  ProjectionNode,
  TypeNode,
} from '@eventsmith/schema';
import { byString } from './naming.js';

/**
 * Lookups over a loaded model. The loader guarantees every reference resolves, so a miss here is
 * a generator bug and throws.
 */
export class DomainIndex {
  readonly #model: DomainModel;
  readonly #lookups: Lookups;

  constructor(model: DomainModel) {
    this.#model = model;
    this.#lookups = lookupsOf(model);
  }

  get model(): DomainModel {
    return this.#model;
  }

  type(name: string): TypeNode {
    return must(this.#lookups.types.get(name), 'type', name);
  }

  event(name: string): EventNode {
    return must(this.#lookups.events.get(name), 'event', name);
  }

  aggregate(name: string): AggregateNode {
    return must(this.#lookups.aggregates.get(name), 'aggregate', name);
  }

  /** The aggregate's events, in declaration order. */
  eventsOf(aggregate: AggregateNode): EventNode[] {
    return aggregate.events.map((name) => this.event(name));
  }

  /** Every event, sorted by name. */
  get events(): EventNode[] {
    return [...this.#lookups.sortedEvents];
  }

  get projections(): readonly ProjectionNode[] {
    return this.model.projections;
  }

  /** The fields of an object-like type (inline object or value object), or undefined. */
  objectFields(type: FieldType): readonly FieldNode[] | undefined {
    if (type.kind === 'ObjectType') return type.fields;
    if (type.kind === 'RefType') {
      const named = this.type(type.name);
      return named.kind === 'ValueObjectNode' ? named.fields : undefined;
    }
    return undefined;
  }

  /** Named types ordered so that each comes after the types it refers to (ties by name). */
  typesInDependencyOrder(): TypeNode[] {
    const out: TypeNode[] = [];
    const done = new Set<string>();
    const visit = (t: TypeNode, stack: Set<string>) => {
      if (done.has(t.name) || stack.has(t.name)) return;
      stack.add(t.name);
      if (t.kind === 'ValueObjectNode') {
        for (const ref of [...new Set(t.fields.flatMap((f) => refsOf(f.type)))].sort(byString))
          visit(this.type(ref), stack);
      }
      stack.delete(t.name);
      done.add(t.name);
      out.push(t);
    };
    for (const t of [...this.model.types].sort((a, b) => byString(a.name, b.name))) visit(t, new Set());
    return out;
  }

  /** Project-relative YAML files declaring these nodes. */
  static sourcesOf(...nodes: readonly { readonly source: { readonly file: string } }[]): string[] {
    return [...new Set(nodes.map((n) => n.source.file))].sort(byString);
  }
}

/** Names of the named types a field type mentions. */
export function refsOf(type: FieldType): string[] {
  switch (type.kind) {
    case 'RefType':
      return [type.name];
    case 'ListType':
      return refsOf(type.items);
    case 'ObjectType':
      return type.fields.flatMap((f) => refsOf(f.type));
    default:
      return [];
  }
}

interface Lookups {
  readonly types: ReadonlyMap<string, TypeNode>;
  readonly events: ReadonlyMap<string, EventNode>;
  readonly aggregates: ReadonlyMap<string, AggregateNode>;
  readonly sortedEvents: readonly EventNode[];
}

/** Every target indexes the same model: build the maps once per model. */
const lookupsByModel = new WeakMap<DomainModel, Lookups>();

function lookupsOf(model: DomainModel): Lookups {
  let lookups = lookupsByModel.get(model);
  if (!lookups) {
    lookups = {
      types: new Map(model.types.map((t) => [t.name, t])),
      events: new Map(model.events.map((e) => [e.name, e])),
      aggregates: new Map(model.aggregates.map((a) => [a.name, a])),
      sortedEvents: [...model.events].sort((a, b) => byString(a.name, b.name)),
    };
    lookupsByModel.set(model, lookups);
  }
  return lookups;
}

function must<T>(value: T | undefined, what: string, name: string): T {
  if (value === undefined) throw new Error(`Internal generator error: unknown ${what} "${name}" in a loaded model.`);
  return value;
}
