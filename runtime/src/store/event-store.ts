import type { DomainEvent } from '../events/domain-event.js';
import type { EventRegistry } from '../events/event-registry.js';
import type { ExpectedVersion } from './expected-version.js';
import type { Position } from './position.js';

/** An event as read back from a store. */
export interface StoredEvent<E extends DomainEvent = DomainEvent> {
  /** The event, upcast to its current schema version. */
  readonly event: E;
  readonly streamId: string;
  /** Equal to `event.aggregateVersion`. */
  readonly streamVersion: number;
  readonly position: Position;
  /** When the store committed it (may differ from `event.occurredAt`). */
  readonly storedAt: Date;
}

export interface AppendOptions {
  readonly expectedVersion: ExpectedVersion;
}

export interface AppendResult {
  /** The stream's version after the append: the version of its last event. */
  readonly nextVersion: number;
  /** The global position of the last appended event. */
  readonly position: Position;
}

export interface ReadStreamOptions {
  /** First version to read, inclusive. Default: 1 (forward) or the last version (backward). */
  readonly from?: number;
  /** Last version to read, inclusive. */
  readonly to?: number;
  readonly direction?: 'forward' | 'backward';
  /** At most this many events. */
  readonly limit?: number;
}

export interface ReadAllOptions {
  /** Resume strictly after this position; `null`/absent starts at the beginning. */
  readonly after?: Position | null;
  /** At most this many events. */
  readonly limit?: number;
  /**
   * Only these event types, by current name. Records stored under an old name (an alias in the
   * registry) match too: adapters expand the list with `registry.typeNamesFor(type)`.
   */
  readonly eventTypes?: readonly string[];
  readonly aggregateTypes?: readonly string[];
  readonly tenantId?: string;
}

/** Writes events to streams. */
export interface EventAppender {
  /**
   * Appends a batch atomically. Throws `ConcurrencyError` when the stream does not match
   * `expectedVersion`, `DuplicateEventError` when an event id is already stored (nothing from the
   * batch is written), and `InvalidArgumentError` for an empty batch.
   */
  appendToStream(streamId: string, events: readonly DomainEvent[], options: AppendOptions): Promise<AppendResult>;
}

/** Reads one stream. */
export interface StreamReader {
  /** The stream's events, oldest first unless `direction: 'backward'`. Streams lazily, page by page. */
  readStream(streamId: string, options?: ReadStreamOptions): AsyncIterable<StoredEvent>;
  /** The stream's current version; 0 if it has no events. */
  getStreamVersion(streamId: string): Promise<number>;
}

/** Reads every stream in one global order. */
export interface GlobalEventFeed {
  /**
   * Events in global order, strictly after `options.after`. Never skips: an event whose
   * transaction commits after a later position became visible is still returned after it.
   */
  readAll(options?: ReadAllOptions): AsyncIterable<StoredEvent>;
  /** The position of the last event a reader can see, or `null` for an empty store. */
  currentPosition(): Promise<Position | null>;
}

export interface EventLookup {
  eventExists(eventId: string): Promise<boolean>;
}

/**
 * Work done inside one store transaction: appends plus, on SQL stores, other writes through
 * `sql` (projection rows, checkpoints, outbox rows), all committed or rolled back together.
 */
export interface EventStoreTransaction extends EventAppender {
  /**
   * The adapter's transaction handle. SQL stores expose their Kysely `Transaction`; the in-memory
   * store exposes `undefined`.
   */
  readonly sql: unknown;
  /**
   * Runs `fn` after the transaction commits (never if it rolls back), in registration order.
   * If a callback throws, `transaction()` rejects with its error, although the commit stands.
   */
  afterCommit(fn: () => void | Promise<void>): void;
}

/** The whole store port. Every adapter implements it and passes the store conformance suite. */
export interface EventStore extends EventAppender, StreamReader, GlobalEventFeed, EventLookup {
  /** Identifies this store in positions, e.g. `"memory:1"` or `"pg:app"`. */
  readonly storeId: string;
  /** The registry used to decode (and upcast) what is read. */
  readonly registry: EventRegistry;
  /** Runs `fn` in one transaction. Appends made through `tx` are atomic with the rest of its work. */
  transaction<T>(fn: (tx: EventStoreTransaction) => Promise<T>): Promise<T>;
  /** A view that reads and writes only `tenantId`'s events. */
  forTenant(tenantId: string): EventStore;
  /**
   * The tenant of this view (made with `forTenant`), or `undefined` for the store itself. Wrappers
   * of a store must pass it through: `AggregateRepository` reads its snapshots in this tenant.
   */
  readonly tenantId: string | undefined;
  /** Releases connections the store owns. */
  close(): Promise<void>;
}
