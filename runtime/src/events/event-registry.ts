import {
  DuplicateEventTypeError,
  EventTypeNotFoundError,
  EventVersionTooNewError,
  UpcasterChainError,
} from '../errors.js';
import { decodeRecordAt } from './decode-record.js';
import type { DomainEvent, EventClass } from './domain-event.js';
import type { EventRecord } from './event-record.js';
import { parseIsoTime } from './iso-time.js';
import type { JsonValue } from './json.js';
import type { Upcaster } from './upcaster.js';

export interface EventRegistryOptions {
  /** Every event class of the domain. */
  readonly events: readonly EventClass[];
  /** Steps that lift old payloads one version at a time. */
  readonly upcasters?: readonly Upcaster[];
  /** Old type names that now read as another type: `{ AccountCreated: 'AccountOpened' }`. */
  readonly aliases?: Readonly<Record<string, string>>;
}

/**
 * Maps event type names to classes and turns stored records back into events, upcasting old
 * payloads first. Building the registry checks every upcaster chain, so a missing step fails at
 * start-up rather than when the first old event is read.
 *
 * @example
 * ```ts
 * const registry = EventRegistry.create({
 *   events: [AccountOpened, MoneyDeposited],
 *   upcasters: [accountOpenedV1ToV2],
 *   aliases: { AccountCreated: 'AccountOpened' },
 * });
 * const event = registry.decode(record); // an AccountOpened at its current version
 * ```
 */
export class EventRegistry {
  readonly #classes = new Map<string, EventClass>();
  readonly #aliases = new Map<string, string>();
  readonly #upcasters = new Map<string, Map<number, Upcaster>>();

  private constructor() {}

  static create(options: EventRegistryOptions): EventRegistry {
    const registry = new EventRegistry();
    for (const cls of options.events) registry.#register(cls);
    for (const [from, to] of Object.entries(options.aliases ?? {})) registry.#alias(from, to);
    for (const upcaster of options.upcasters ?? []) registry.#addUpcaster(upcaster);
    registry.#checkChains();
    return registry;
  }

  /** A registry holding these registries' events, upcasters and aliases. Duplicates are errors. */
  static merge(...registries: EventRegistry[]): EventRegistry {
    return EventRegistry.create({
      events: registries.flatMap((r) => [...r.#classes.values()]),
      upcasters: registries.flatMap((r) => [...r.#upcasters.values()].flatMap((m) => [...m.values()])),
      aliases: Object.fromEntries(registries.flatMap((r) => [...r.#aliases])),
    });
  }

  /** Type names of every registered class, sorted. */
  get types(): string[] {
    return [...this.#classes.keys()].sort();
  }

  has(eventType: string): boolean {
    return this.#classes.has(this.#aliases.get(eventType) ?? eventType);
  }

  /** The class for a type name or alias. Throws {@link EventTypeNotFoundError}. */
  get(eventType: string): EventClass {
    const cls = this.#classes.get(this.#aliases.get(eventType) ?? eventType);
    if (!cls) throw new EventTypeNotFoundError(eventType, this.types);
    return cls;
  }

  /**
   * Every name stored records of this type may carry: its current name and its old names
   * (aliases), sorted. Stores use it to push an `eventTypes` filter down to the database.
   *
   * @example
   * ```ts
   * registry.typeNamesFor('AccountOpened'); // ['AccountCreated', 'AccountOpened']
   * ```
   */
  typeNamesFor(eventType: string): string[] {
    const current = this.resolveType(eventType);
    const names = [current];
    for (const [alias, target] of this.#aliases) if (target === current) names.push(alias);
    return names.sort();
  }

  /** The current type name for a (possibly old) type name. */
  resolveType(eventType: string): string {
    return this.get(eventType).eventType;
  }

  /**
   * Lifts a stored payload to the current version of its type. Records already at the current
   * version are returned untouched, so the common path costs one map lookup.
   */
  upcast(record: EventRecord): { cls: EventClass; data: JsonValue } {
    const cls = this.get(record.eventType);
    let data = record.data;
    if (record.eventVersion === cls.eventVersion) return { cls, data };
    if (record.eventVersion > cls.eventVersion) {
      throw new EventVersionTooNewError(cls.eventType, record.eventVersion, cls.eventVersion);
    }
    const steps = this.#upcasters.get(cls.eventType);
    for (let v = record.eventVersion; v < cls.eventVersion; v++) {
      // #checkChains guarantees every step from v1; this only guards against a record claiming v0.
      const step = steps?.get(v);
      if (!step)
        throw new UpcasterChainError(
          cls.eventType,
          `No upcaster lifts ${cls.eventType} from v${v} to v${v + 1}; cannot read event ${record.eventId}.`,
        );
      data = step.upcast(data, record);
    }
    return { cls, data };
  }

  /**
   * Rebuilds an event from its stored form: resolve the type, upcast, validate. The record is left
   * as it was: the event holds frozen copies of its payload and metadata.
   */
  decode(record: EventRecord): DomainEvent {
    return this.#decode(record, false);
  }

  /**
   * {@link decode} for a record the caller has just built and hands over, such as one a store
   * parsed from its JSON columns: the event takes its metadata and (validated) payload objects
   * and freezes them in place instead of copying them, which makes read paths cheaper. Do not use
   * the record, or anything in it, afterwards. Validation, upcasting and errors are those of
   * {@link decode}.
   *
   * @example
   * ```ts
   * const event = registry.decodeOwned({ ...columns, metadata: JSON.parse(row.metadata), data: JSON.parse(row.data) });
   * ```
   */
  decodeOwned(record: EventRecord): DomainEvent {
    return this.#decode(record, true);
  }

  #decode(record: EventRecord, owned: boolean): DomainEvent {
    return decodeRecordAt(this, record, parseIsoTime(record.occurredAt), owned);
  }

  #register(cls: EventClass): void {
    if (this.#classes.has(cls.eventType) || this.#aliases.has(cls.eventType)) {
      throw new DuplicateEventTypeError(cls.eventType);
    }
    this.#classes.set(cls.eventType, cls);
  }

  #alias(from: string, to: string): void {
    if (this.#classes.has(from) || this.#aliases.has(from)) throw new DuplicateEventTypeError(from);
    if (!this.#classes.has(to)) throw new EventTypeNotFoundError(to, this.types);
    this.#aliases.set(from, to);
  }

  #addUpcaster(upcaster: Upcaster): void {
    const type = this.#aliases.get(upcaster.eventType) ?? upcaster.eventType;
    const cls = this.#classes.get(type);
    if (!cls) {
      throw new UpcasterChainError(
        upcaster.eventType,
        `Upcaster for unknown event type "${upcaster.eventType}". Known types: ${this.types.join(', ')}.`,
      );
    }
    if (
      !Number.isInteger(upcaster.fromVersion) ||
      upcaster.fromVersion < 1 ||
      upcaster.fromVersion >= cls.eventVersion
    ) {
      throw new UpcasterChainError(
        type,
        `Upcaster ${type} v${upcaster.fromVersion}→v${upcaster.fromVersion + 1} is out of range: the current version is ${cls.eventVersion}, so steps go from v1 to v${cls.eventVersion - 1}.`,
      );
    }
    let steps = this.#upcasters.get(type);
    if (!steps) this.#upcasters.set(type, (steps = new Map()));
    if (steps.has(upcaster.fromVersion)) {
      throw new UpcasterChainError(
        type,
        `Two upcasters for ${type} v${upcaster.fromVersion}→v${upcaster.fromVersion + 1}; keep one.`,
      );
    }
    steps.set(upcaster.fromVersion, upcaster);
  }

  /**
   * Every type at version n > 1 must have a complete chain v1→v2→…→vn, so that any record ever
   * written can be read. A missing step fails here, when the registry is built.
   */
  #checkChains(): void {
    for (const [type, cls] of this.#classes) {
      const steps = this.#upcasters.get(type);
      for (let v = 1; v < cls.eventVersion; v++) {
        if (steps?.has(v)) continue;
        const present = [...(steps?.keys() ?? [])].sort((a, b) => a - b).map((from) => `v${from}→v${from + 1}`);
        throw new UpcasterChainError(
          type,
          `Upcaster chain for ${type} has a gap: v${v}→v${v + 1} is missing (current version ${cls.eventVersion}; ` +
            `registered: ${present.length ? present.join(', ') : 'none'}). Add an upcaster { eventType: '${type}', fromVersion: ${v} }.`,
        );
      }
    }
  }
}
