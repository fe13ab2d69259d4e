import type { z } from 'zod';
import { AggregateMismatchError, EventSequenceError, InvalidArgumentError, UnhandledEventError } from '../errors.js';
import { readingStored } from '../events/calendar-date.js';
import type { DomainEvent, EventInit, ProvenanceField } from '../events/domain-event.js';
import { toJsonValue, type JsonValue } from '../events/json.js';
import { currentTenant } from '../tenancy/tenant-context.js';
import { currentCommandContext, type CommandContext } from './command-context.js';
import { handlerTable, type HandlerTable } from './handles.js';
import { parseCommand } from './parse-command.js';

/** What to do with an event that has no `@handles` method. */
export type UnhandledEventPolicy = 'error' | 'ignore';

/** The static side of an aggregate class, as the repository needs it. */
export interface AggregateClass<A extends AggregateRoot<unknown> = AggregateRoot<unknown>> {
  new (id: string): A;
  readonly aggregateType: string;
  readonly stateVersion: number;
  /** See {@link AggregateRoot.snapshotFingerprint}. */
  readonly snapshotFingerprint?: string | undefined;
  readonly name: string;
}

/**
 * An event-sourced aggregate. Its state changes only by applying events, through methods marked
 * with {@link handles}. Commands are methods that check the state and `raise` events.
 *
 * @example
 * ```ts
 * class Counter extends AggregateRoot<{ count: number }> {
 *   static override readonly aggregateType = 'Counter';
 *   protected initialState() { return { count: 0 }; }
 *   increment() { this.raise(new Incremented({ by: 1 })); }
 *   @handles(Incremented)
 *   onIncremented(e: Incremented) { return { count: this.state.count + e.data.by }; }
 * }
 * ```
 */
export abstract class AggregateRoot<State> {
  /** The aggregate's type name; becomes the stream category. Subclasses must set it. */
  static readonly aggregateType: string = '';
  /**
   * Version of what the handlers compute. Snapshots taken under another one are ignored (the
   * aggregate replays in full). Bump it when a handler's logic changes what it makes of the events,
   * or, in a hand-written aggregate without {@link snapshotFingerprint}, when the state changes
   * shape. A generated aggregate's fingerprint already covers what its YAML declares.
   */
  static readonly stateVersion: number = 1;
  /**
   * What snapshots depend on that a schema can see: the generator sets it to a hash of the state
   * schema and the aggregate's event versions and upcast steps. A snapshot stored with another
   * fingerprint (or none, when the class has one) is ignored and the aggregate replays in full, as
   * for another `stateVersion`. Undefined in hand-written aggregates unless you set it.
   */
  static readonly snapshotFingerprint: string | undefined = undefined;
  /** `'error'` (default) throws on an event without a handler; `'ignore'` skips it. */
  static readonly unhandledEvents: UnhandledEventPolicy = 'error';
  /** Optional schema used to restore snapshot state (turning ISO strings back into dates, etc.). */
  static readonly stateSchema: z.ZodType | undefined = undefined;
  /**
   * Event types the class must apply through `@handles` methods. The first instance of a class
   * throws an `InvalidArgumentError` when one of them has no decorated method: the compiler sees a
   * handler method, but only the runtime sees its decorator. Generated aggregates list their events.
   */
  static readonly handledEventTypes: readonly string[] = [];
  /**
   * Command (method) name → the schema of its parameters. Each listed method of an instance is
   * called with its parameters checked and their defaults applied (`parseCommand`): bad input
   * throws a `CommandValidationError` with field paths before the method runs. Generated
   * aggregates list their commands' generated schemas.
   */
  static readonly commandSchemas: Readonly<Record<string, z.ZodType>> = {};

  readonly #id: string;
  #version = 0;
  #state: State;
  #uncommitted: DomainEvent[] = [];
  readonly #handlers: HandlerTable;

  constructor(id: string) {
    if (typeof id !== 'string' || id.length === 0)
      throw new InvalidArgumentError('An aggregate id must be a non-empty string.');
    const cls = this.constructor as typeof AggregateRoot;
    if (!cls.aggregateType) {
      throw new InvalidArgumentError(`${cls.name} must declare "static override readonly aggregateType = '…'".`);
    }
    this.#id = id;
    this.#handlers = handlerTable(cls);
    if (!DECORATED.has(cls)) checkDecorated(cls, this.#handlers);
    validateCommands(this, cls);
    this.#state = this.initialState();
  }

  /** The state before any event. */
  protected abstract initialState(): State;

  get id(): string {
    return this.#id;
  }

  get aggregateType(): string {
    return (this.constructor as typeof AggregateRoot).aggregateType;
  }

  /** The version of the last applied event, 0 for a new aggregate. */
  get version(): number {
    return this.#version;
  }

  get state(): State {
    return this.#state;
  }

  /** Events raised since the last save, oldest first. */
  get uncommittedEvents(): readonly DomainEvent[] {
    return [...this.#uncommitted];
  }

  /**
   * Stamps a new event with this aggregate's id, type, next version and provenance, applies it,
   * and queues it for the next save. If the handler throws, nothing changes.
   */
  protected raise(event: DomainEvent, context: CommandContext | undefined = currentCommandContext()): void {
    this.raiseAll([event], context);
  }

  /**
   * Raises several events as one step: each is stamped and applied in order, and if any of them is
   * rejected or its handler throws, the state, the version and the uncommitted events are left as
   * they were before the call.
   */
  protected raiseAll(
    events: readonly DomainEvent[],
    context: CommandContext | undefined = currentCommandContext(),
  ): void {
    const before = { state: this.#state, version: this.#version };
    const stamped: DomainEvent[] = [];
    try {
      for (const event of events) {
        this.#checkOwner(event);
        const next = event.with(this.#stampFor(event, context, this.#uncommitted.length + stamped.length));
        this.#apply(next);
        stamped.push(next);
      }
    } catch (error) {
      this.#state = before.state;
      this.#version = before.version;
      throw error;
    }
    this.#uncommitted.push(...stamped);
  }

  /**
   * The state after `event`. By default the class's `@handles` method for the event type computes
   * it; the decider style overrides this with `evolve`.
   */
  protected evolveState(event: DomainEvent): State {
    const method = this.#handlers.get(event.eventType);
    if (method === undefined) {
      if ((this.constructor as typeof AggregateRoot).unhandledEvents === 'error') {
        throw new UnhandledEventError(this.aggregateType, event.eventType);
      }
      return this.#state;
    }
    const handler = (this as unknown as Record<string | symbol, (e: DomainEvent) => State>)[method]!;
    return handler.call(this, event);
  }

  /** Rebuilds state from stored events. Each must be the next version of this aggregate. */
  loadFromHistory(events: Iterable<DomainEvent>): void {
    for (const event of events) this.replay(event);
  }

  /** Applies one stored event. */
  replay(event: DomainEvent): void {
    this.#checkOwner(event);
    if (event.aggregateVersion !== this.#version + 1) {
      throw new EventSequenceError(this.#id, this.#version + 1, event.aggregateVersion);
    }
    this.#apply(event);
  }

  /**
   * Called by the repository once the uncommitted events are stored. With `events`, only those
   * are dropped (events raised meanwhile stay uncommitted); without, all of them.
   */
  markCommitted(events?: readonly DomainEvent[]): void {
    if (events === undefined) {
      this.#uncommitted = [];
      return;
    }
    const stored = new Set(events);
    this.#uncommitted = this.#uncommitted.filter((event) => !stored.has(event));
  }

  /** The state as JSON, for snapshots. */
  snapshotState(): JsonValue {
    return toJsonValue(this.#state, 'state');
  }

  /** Restores state and version from a snapshot. Throws if the state does not fit `stateSchema`. */
  restoreSnapshot(state: JsonValue, version: number): void {
    const schema = (this.constructor as typeof AggregateRoot).stateSchema;
    this.#state = (schema ? readingStored(() => schema.parse(state)) : state) as State;
    this.#version = version;
  }

  #checkOwner(event: DomainEvent): void {
    if (event.aggregateId !== '' && event.aggregateId !== this.#id) {
      throw new AggregateMismatchError('aggregateId', this.#id, event.aggregateId);
    }
    if (event.aggregateType !== '' && event.aggregateType !== this.aggregateType) {
      throw new AggregateMismatchError('aggregateType', this.aggregateType, event.aggregateType);
    }
  }

  #apply(event: DomainEvent): void {
    this.#state = this.evolveState(event);
    this.#version = event.aggregateVersion;
  }

  #stampFor(event: DomainEvent, context: CommandContext | undefined, index: number): EventInit {
    const stamp: { -readonly [K in keyof EventInit]: EventInit[K] } = {
      aggregateId: this.#id,
      aggregateType: this.aggregateType,
      aggregateVersion: this.#version + 1,
    };
    if (context?.eventId) stamp.eventId = context.eventId(index);
    for (const field of PROVENANCE) {
      if (event.isExplicit(field)) continue;
      const value = context?.[field] ?? (field === 'tenantId' ? currentTenant() : undefined);
      if (value !== undefined) stamp[field] = value;
    }
    return stamp;
  }
}

const PROVENANCE: readonly ProvenanceField[] = ['tenantId', 'actorId', 'correlationId', 'causationId'];

/**
 * Gives `aggregate` an own method per entry of `commandSchemas` that parses its first argument
 * with the schema, then calls the class's method with the parsed parameters.
 */
function validateCommands(aggregate: object, cls: typeof AggregateRoot): void {
  for (const [command, schema] of Object.entries(cls.commandSchemas)) {
    const method = (aggregate as Record<string, unknown>)[command];
    if (typeof method !== 'function') continue;
    const target = { aggregate: cls.aggregateType, command };
    Object.defineProperty(aggregate, command, {
      configurable: true,
      writable: true,
      value(this: unknown, input: unknown, ...rest: unknown[]): unknown {
        return (method as (...args: unknown[]) => unknown).call(this, parseCommand(schema, input, target), ...rest);
      },
    });
  }
}

/** Classes whose `handledEventTypes` all have a decorated handler: checked once per class. */
const DECORATED = new WeakSet<object>();

function checkDecorated(cls: typeof AggregateRoot, handlers: HandlerTable): void {
  const missing = cls.handledEventTypes.filter((type) => !handlers.has(type));
  if (missing.length > 0) {
    throw new InvalidArgumentError(
      `${cls.name} has no @handles(…) handler for ${missing.join(', ')}. Decorate ${missing.map((type) => `on${type}`).join(', ')} with @handles(<Event>).`,
    );
  }
  DECORATED.add(cls);
}
