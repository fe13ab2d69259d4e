import type { z } from 'zod';
import { EventValidationError, InvalidArgumentError } from '../errors.js';
import { readingStored } from './calendar-date.js';
import { newEventId } from './ids.js';
import { ImmutableDate, LastImmutableDate, freezeOwned, immutableCopy, immutableCopyWithJson } from './immutable.js';
import { freezeParsedJson, toFrozenJsonValue, toJsonValue, type JsonObject, type JsonValue } from './json.js';
import { NO_MATCH, payloadBuilder, payloadDecoder } from './payload-decoder.js';

/** The envelope of an event: everything but its payload. */
export interface EventEnvelope {
  readonly eventId: string;
  readonly eventType: string;
  /** The schema version of `data`. Records read from a store are upcast to the current one. */
  readonly eventVersion: number;
  readonly aggregateId: string;
  readonly aggregateType: string;
  /** The event's position in its aggregate's stream, from 1. 0 until an aggregate raises it. */
  readonly aggregateVersion: number;
  readonly occurredAt: Date;
  readonly tenantId?: string | undefined;
  readonly actorId?: string | undefined;
  readonly correlationId: string;
  readonly causationId?: string | undefined;
  readonly metadata: Readonly<JsonObject>;
}

/** Envelope fields a caller may set when building an event. Anything left out gets a default. */
export type EventInit = Partial<Omit<EventEnvelope, 'eventType' | 'eventVersion'>>;

/** Fields of the envelope that provenance stamping may fill in when the event did not set them. */
export type ProvenanceField = 'tenantId' | 'actorId' | 'correlationId' | 'causationId';

/**
 * `decodeEvent` and `with()` build events from payloads that are checked and immutable already:
 * they park the parts here and call the class with this token, so the event still gets its
 * private fields from the constructor but skips validation and copying.
 */
const PREPARED = Symbol('eventsmith.prepared');
interface Prepared {
  readonly data: unknown;
  readonly init: EventInit;
  readonly explicit: ReadonlySet<ProvenanceField>;
  /** The metadata is nobody else's: freeze it in place rather than copying it. */
  readonly ownedMetadata: boolean;
  /** The JSON form of `data`, if known (see {@link payloadJson}). */
  readonly json: JsonValue | undefined;
}
/**
 * The parts of {@link decodeEvent}'s event: an instance of a class, not an object literal, made for
 * every event read, so without an allocation site that V8 could decide to allocate in the old
 * generation (see `store/plain-objects.ts`).
 */
class DecodedParts implements Prepared {
  constructor(
    readonly data: unknown,
    readonly init: EventInit,
    readonly explicit: ReadonlySet<ProvenanceField>,
    readonly ownedMetadata: boolean,
    readonly json: JsonValue | undefined,
  ) {}
}
let prepared: Prepared | undefined;
/** Reads an event's `#json` (set by the class's static block): for {@link payloadJson}. */
let jsonOf: (event: object) => JsonValue | undefined;

/**
 * An immutable fact. Subclasses are made with {@link defineEvent}, which fixes the type name,
 * the schema version and the zod schema of `data`.
 */
export abstract class DomainEvent<TData = unknown> implements EventEnvelope {
  declare readonly eventId: string;
  declare readonly eventType: string;
  declare readonly eventVersion: number;
  declare readonly aggregateId: string;
  declare readonly aggregateType: string;
  declare readonly aggregateVersion: number;
  declare readonly occurredAt: Date;
  declare readonly tenantId?: string | undefined;
  declare readonly actorId?: string | undefined;
  declare readonly correlationId: string;
  declare readonly causationId?: string | undefined;
  declare readonly metadata: Readonly<JsonObject>;
  declare readonly data: Readonly<TData>;
  readonly #explicit: ReadonlySet<ProvenanceField>;
  readonly #json: JsonValue | undefined;

  static {
    jsonOf = (event) => (#json in event ? event.#json : undefined);
  }

  /**
   * Builds an event, validating `data` against the class schema.
   * Throws {@link EventValidationError} listing every failing field path.
   */
  constructor(data: unknown, init: EventInit = {}) {
    const cls = new.target as unknown as EventClass;
    if (data === PREPARED && prepared !== undefined) {
      const parts = prepared;
      prepared = undefined;
      this.#explicit = parts.explicit;
      this.#json = parts.json;
      assign(this, parts.data, cls, parts.init, parts.ownedMetadata);
    } else {
      if (typeof cls.eventType !== 'string') {
        throw new InvalidArgumentError(
          `${cls.name} is not an event class; create it with defineEvent({ type, version, schema }).`,
        );
      }
      // The schema's compiled builder copies a payload it accepts exactly, in one walk; anything
      // else is zod's to check, report and transform, and its output is copied.
      const payload = payloadBuilder(cls.schema)?.(data) ?? immutableCopyWithJson(validate(cls, data));
      this.#explicit = explicitFieldsOf(init);
      this.#json = payload.json;
      assign(this, payload.data, cls, init, false);
    }
    // Plain assignments in a fixed order, then one freeze: every event gets the same hidden class,
    // and freezing makes each property read-only. Much faster than defineProperty per field.
    Object.freeze(this);
  }

  /** Whether a provenance field was set by whoever built the event (rather than defaulted). */
  isExplicit(field: ProvenanceField): boolean {
    return this.#explicit.has(field);
  }

  /**
   * A copy with some envelope fields changed. The payload is not re-validated.
   *
   * @example
   * ```ts
   * const stamped = event.with({ aggregateId: 'acc-1', aggregateVersion: 3 });
   * ```
   */
  with(changes: EventInit): this {
    const init: { -readonly [K in keyof EventInit]: EventInit[K] } = {};
    for (const key of ENVELOPE_KEYS) {
      const value = changes[key];
      (init as Record<string, unknown>)[key] = value === undefined ? this[key] : value;
    }
    return construct(this.constructor as unknown as EventClass, {
      data: this.data,
      init,
      explicit: explicitWith(this.#explicit, changes),
      ownedMetadata: changes.metadata === undefined,
      json: this.#json,
    }) as this;
  }

  /** The payload and envelope as one plain object (for logging and debugging). */
  toJSON(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const key of ENVELOPE_KEYS) out[key] = this[key];
    out['eventType'] = this.eventType;
    out['eventVersion'] = this.eventVersion;
    // As stored: a bigint or a Date in the payload would otherwise break JSON.stringify(event).
    out['data'] = toJsonValue(this.data, 'data');
    return out;
  }
}

/**
 * The JSON form of an event's payload, as `toJsonValue(event.data)` gives it, made in the walk
 * that copied the payload when the event was built; undefined for events whose payload was not
 * copied that way (read from a store) or that `toJsonValue` would refuse. For stores, which write
 * `JSON.stringify` of it instead of converting the payload again. Never hand it out: it is not
 * frozen, and the event's copies made by `with()` share it.
 */
export function payloadJson(event: DomainEvent): JsonValue | undefined {
  return jsonOf(event);
}

const ENVELOPE_KEYS = [
  'eventId',
  'aggregateId',
  'aggregateType',
  'aggregateVersion',
  'occurredAt',
  'tenantId',
  'actorId',
  'correlationId',
  'causationId',
  'metadata',
] as const satisfies readonly (keyof EventInit)[];
const EMPTY_METADATA: Readonly<JsonObject> = Object.freeze({});
const PROVENANCE_KEYS = [
  'tenantId',
  'actorId',
  'correlationId',
  'causationId',
] as const satisfies readonly ProvenanceField[];

/**
 * Rebuilds an event of `cls` from a stored record's payload and envelope, for
 * `EventRegistry.decode`: validates like the constructor, without running it. With `owned`, the
 * payload and metadata are nobody else's (just parsed from JSON), so they are frozen in place
 * instead of copied.
 */
export function decodeEvent(
  cls: EventClass,
  data: unknown,
  init: EventInit,
  owned: boolean,
  /** `data` is the stored payload itself, at the class's version: no upcaster returned it. */
  asStored = false,
): DomainEvent {
  // A stored payload nobody else holds is checked and frozen in place by the schema's compiled
  // decoder; anything it does not accept exactly goes through zod, which decides and reports.
  const decoder = owned && asStored ? payloadDecoder(cls.schema) : undefined;
  let payload = decoder ? decoder(data) : NO_MATCH;
  if (payload === NO_MATCH) {
    // Read as stored: a check added to a field type since (such as dates on the calendar) must
    // not make an event that was written unreadable.
    const parsed = readingStored(() => validate(cls, data));
    payload = owned ? freezeOwned(parsed) : immutableCopy(parsed);
  }
  return construct(cls, new DecodedParts(payload, init, explicitFieldsOf(init), owned, undefined));
}

function construct(cls: EventClass, parts: Prepared): DomainEvent {
  prepared = parts;
  try {
    return new cls(PREPARED as never);
  } finally {
    prepared = undefined;
  }
}

function validate(cls: EventClass, data: unknown): unknown {
  const parsed = cls.schema.safeParse(data);
  if (!parsed.success) {
    throw new EventValidationError(
      cls.eventType,
      cls.eventVersion,
      parsed.error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message })),
    );
  }
  return parsed.data;
}

/**
 * The sets of explicit provenance fields, one per combination, shared by every event that has it.
 * Nothing changes them: `with()` picks the set of its copy's fields.
 */
const EXPLICIT_SETS: ReadonlySet<ProvenanceField>[] = Array.from(
  { length: 1 << PROVENANCE_KEYS.length },
  (_, mask) => new Set(PROVENANCE_KEYS.filter((_key, i) => (mask & (1 << i)) !== 0)),
);

function explicitFieldsOf(init: EventInit): ReadonlySet<ProvenanceField> {
  const mask =
    (init.tenantId !== undefined ? 1 : 0) |
    (init.actorId !== undefined ? 2 : 0) |
    (init.correlationId !== undefined ? 4 : 0) |
    (init.causationId !== undefined ? 8 : 0);
  return EXPLICIT_SETS[mask]!;
}

/** The explicit provenance fields of a copy made by `with(changes)`: the original's and those `changes` sets. */
function explicitWith(explicit: ReadonlySet<ProvenanceField>, changes: EventInit): ReadonlySet<ProvenanceField> {
  let mask = 0;
  for (let i = 0; i < PROVENANCE_KEYS.length; i++) {
    const key = PROVENANCE_KEYS[i]!;
    if (explicit.has(key) || changes[key] !== undefined) mask |= 1 << i;
  }
  return EXPLICIT_SETS[mask]!;
}

function frozenMetadata(metadata: Readonly<JsonObject> | undefined, owned: boolean): Readonly<JsonObject> {
  if (metadata === undefined || (typeof metadata === 'object' && metadata !== null && isEmptyPlainObject(metadata)))
    return EMPTY_METADATA;
  if (
    owned &&
    freezeParsedJson(metadata) &&
    metadata !== null &&
    typeof metadata === 'object' &&
    !Array.isArray(metadata)
  ) {
    return metadata;
  }
  return toFrozenJsonValue(metadata, 'metadata') as Readonly<JsonObject>;
}

function isEmptyPlainObject(value: object): boolean {
  if (Object.getPrototypeOf(value) !== Object.prototype) return false;
  for (const _key in value) return false;
  return true;
}

/** Events built in the same millisecond share their occurred time (it cannot change). */
const occurredDates = new LastImmutableDate();

/** Sets the envelope and payload of a new event; the constructor freezes it afterwards. */
function assign(
  target: DomainEvent<unknown>,
  data: unknown,
  cls: EventClass,
  init: EventInit,
  ownedMetadata: boolean,
): void {
  const occurredAt = init.occurredAt ?? occurredDates.at(Date.now());
  if (!(occurredAt instanceof Date) || Number.isNaN(occurredAt.getTime())) {
    throw new InvalidArgumentError(`${cls.eventType}: occurredAt must be a valid Date.`);
  }
  const aggregateVersion = init.aggregateVersion ?? 0;
  if (!Number.isSafeInteger(aggregateVersion) || aggregateVersion < 0) {
    throw new InvalidArgumentError(
      `${cls.eventType}: aggregateVersion must be an integer ≥ 0, got ${String(aggregateVersion)}.`,
    );
  }
  const t = target as unknown as Record<string | symbol, unknown>;
  const eventId = init.eventId ?? newEventId();
  t['eventId'] = eventId;
  t['eventType'] = cls.eventType;
  t['eventVersion'] = cls.eventVersion;
  t['aggregateId'] = init.aggregateId ?? '';
  t['aggregateType'] = init.aggregateType ?? cls.aggregateType ?? '';
  t['aggregateVersion'] = aggregateVersion;
  t['occurredAt'] = occurredAt instanceof ImmutableDate ? occurredAt : occurredDates.at(occurredAt.getTime());
  t['tenantId'] = init.tenantId;
  t['actorId'] = init.actorId;
  t['correlationId'] = init.correlationId || eventId;
  t['causationId'] = init.causationId;
  // Metadata must be JSON already; checking here fails at the call site rather than at append.
  t['metadata'] = frozenMetadata(init.metadata, ownedMetadata);
  t['data'] = data;
}

/** A class made by {@link defineEvent}. */
export interface EventClass<E extends DomainEvent = DomainEvent> {
  new (data: never, init?: EventInit): E;
  readonly eventType: string;
  readonly eventVersion: number;
  readonly aggregateType?: string | undefined;
  readonly schema: z.ZodType;
  readonly name: string;
}

/** The event instance type of an event class. */
export type EventOf<C> = C extends abstract new (...args: never[]) => infer E ? E : never;

export interface EventSpec<TType extends string, TSchema extends z.ZodType> {
  /** The type name stored with every event; keep it stable, or declare the old name as an alias. */
  readonly type: TType;
  /** The current schema version, from 1. Older versions are lifted by upcasters on read. */
  readonly version?: number;
  /** The aggregate type that raises it, if it belongs to one. */
  readonly aggregateType?: string;
  readonly schema: TSchema;
}

/**
 * The class {@link defineEvent} returns; extend it to name the event. Spelled out so that published declarations
 * name {@link DomainEvent} (and its private state) instead of copying its members into every event class.
 */
export type DefinedEventClass<TType extends string, TSchema extends z.ZodType> = (abstract new (
  data: z.input<TSchema>,
  init?: EventInit,
) => DomainEvent<z.output<TSchema>> & { readonly eventType: TType }) & {
  readonly eventType: TType;
  readonly eventVersion: number;
  readonly aggregateType: string | undefined;
  readonly schema: TSchema;
};

/**
 * Makes an event class. Extend the result to give the class its name.
 *
 * @example
 * ```ts
 * export class MoneyDeposited extends defineEvent({
 *   type: 'MoneyDeposited',
 *   version: 1,
 *   aggregateType: 'BankAccount',
 *   schema: z.object({ amount: fields.decimal() }),
 * }) {}
 *
 * const event = new MoneyDeposited({ amount: '10.00' });
 * event.data.amount; // '10.00'
 * ```
 */
export function defineEvent<const TType extends string, TSchema extends z.ZodType>(
  spec: EventSpec<TType, TSchema>,
): DefinedEventClass<TType, TSchema> {
  if (!/^[A-Za-z_][A-Za-z0-9_.]*$/.test(spec.type)) {
    throw new InvalidArgumentError(
      `Event type "${spec.type}" must start with a letter and use only letters, digits, "_" and ".".`,
    );
  }
  const version = spec.version ?? 1;
  if (!Number.isInteger(version) || version < 1) {
    throw new InvalidArgumentError(`Event ${spec.type}: version must be an integer ≥ 1, got ${String(spec.version)}.`);
  }
  abstract class Defined extends DomainEvent<z.output<TSchema>> {
    static readonly eventType: TType = spec.type;
    static readonly eventVersion: number = version;
    static readonly aggregateType: string | undefined = spec.aggregateType;
    static readonly schema: TSchema = spec.schema;
    declare readonly eventType: TType;
    constructor(data: z.input<TSchema>, init?: EventInit) {
      super(data, init);
    }
  }
  return Defined;
}
