import { AggregateNotFoundError, ConcurrencyError, InvalidArgumentError, TenantMismatchError } from '../errors.js';
import type { DomainEvent } from '../events/domain-event.js';
import type { Snapshot, SnapshotPolicy, SnapshotStore } from '../snapshots/snapshot-store.js';
import type { AppendResult, EventAppender, EventStore, EventStoreTransaction } from '../store/event-store.js';
import { streamIdFor } from '../store/stream-id.js';
import { readStreamPage, type StreamPage, type StreamPageReader } from '../store/stream-page.js';
import type { Attributes, Span } from '@opentelemetry/api';
import { instruments, MetricAttributes } from '../telemetry/metrics.js';
import { activeTraceContext, SpanAttributes, tracing, withSpan } from '../telemetry/tracing.js';
import type { AggregateClass, AggregateRoot } from './aggregate-root.js';
import type { OutboxWriter } from '../outbox/outbox-store.js';

export interface SnapshotOptions {
  readonly store: SnapshotStore;
  /** When to take one; default: never (call `snapshot()` yourself). */
  readonly policy?: SnapshotPolicy;
}

export interface AggregateRepositoryOptions {
  readonly snapshots?: SnapshotOptions;
  /** Called when a snapshot cannot be read or written. Snapshot problems never fail a load or save. */
  readonly onSnapshotProblem?: (problem: SnapshotProblem) => void;
  /**
   * Transactional outbox: every save writes one outbox row per event in the same transaction as
   * the append (in a transaction of its own unless `save` is given one).
   */
  readonly outbox?: OutboxWriter;
}

/** Why a load replayed everything instead of starting from a snapshot, or why saving one failed. */
export interface SnapshotProblem {
  readonly kind: 'read-failed' | 'outdated' | 'corrupt' | 'write-failed';
  readonly aggregateType: string;
  readonly aggregateId: string;
  /**
   * With `outdated`: what differs between the snapshot and the aggregate class. `stateVersion`:
   * the class's `stateVersion` (handler logic); `fingerprint`: its `snapshotFingerprint` (the state
   * schema, event versions or upcast steps in the YAML).
   */
  readonly outdatedBy?: 'stateVersion' | 'fingerprint';
  readonly error?: unknown;
}

export interface SaveOptions {
  /**
   * Append inside this store transaction instead of a transaction of its own. With an
   * `EventStoreTransaction`, the events are marked committed (and a snapshot is taken) only once
   * the transaction commits; if it rolls back, the aggregate keeps its uncommitted events.
   */
  readonly transaction?: EventAppender | EventStoreTransaction;
}

export interface UpdateOptions {
  /** How many times to reload and retry after a `ConcurrencyError`. Default 3. */
  readonly retries?: number;
  /** Create the aggregate when it does not exist yet. Default false. */
  readonly create?: boolean;
}

/**
 * Loads aggregates by replaying their streams (from a snapshot when there is one) and saves their
 * new events with optimistic concurrency.
 *
 * @example
 * ```ts
 * const accounts = new AggregateRepository(store, BankAccount, {
 *   snapshots: { store: new InMemorySnapshotStore(), policy: everyNEvents(100) },
 * });
 * await accounts.update('acc-1', (account) => account.deposit('25.00'));
 * ```
 */
export class AggregateRepository<A extends AggregateRoot<unknown>> {
  readonly #store: EventStore;
  readonly #aggregate: AggregateClass<A>;
  readonly #options: AggregateRepositoryOptions;

  constructor(store: EventStore, aggregate: AggregateClass<A>, options: AggregateRepositoryOptions = {}) {
    this.#store = store;
    this.#aggregate = aggregate;
    this.#options = options;
    streamIdFor(aggregate.aggregateType, 'x'); // validates the type name once
    if (options.snapshots && store.tenantId !== undefined && typeof options.snapshots.store.forTenant !== 'function') {
      throw new InvalidArgumentError(
        `This repository reads tenant "${store.tenantId}"'s events, but its snapshot store has no forTenant(): it would mix ` +
          "tenants' snapshots. Use a snapshot store with tenant views (every eventsmith snapshot store has them).",
      );
    }
  }

  streamId(aggregateId: string): string {
    return streamIdFor(this.#aggregate.aggregateType, aggregateId);
  }

  /** Loads an aggregate; throws {@link AggregateNotFoundError} if it has no events. */
  async load(aggregateId: string): Promise<A> {
    // Without a tracer provider the span would record nothing (and the repository's spans have no
    // duration metric): no span, no attributes, and no promise where the stream's first page was all.
    if (!tracing()) {
      const loaded = this.#load(aggregateId);
      return this.#found(loaded instanceof Promise ? await loaded : loaded, aggregateId);
    }
    return withSpan('eventsmith.repository.load', this.#attributes(aggregateId), async (span) => {
      const aggregate = await this.#load(aggregateId);
      span.setAttribute(SpanAttributes.version, aggregate.version);
      return this.#found(aggregate, aggregateId);
    });
  }

  /** Loads an aggregate, or returns a new one (version 0) if it has no events. */
  async loadOrCreate(aggregateId: string): Promise<A> {
    if (!tracing()) return this.#load(aggregateId);
    return withSpan('eventsmith.repository.load', this.#attributes(aggregateId), async () => this.#load(aggregateId));
  }

  /** `aggregate`, unless it has no events: {@link AggregateNotFoundError} then. */
  #found(aggregate: A, aggregateId: string): A {
    if (aggregate.version === 0) throw new AggregateNotFoundError(this.#aggregate.aggregateType, aggregateId);
    return aggregate;
  }

  async exists(aggregateId: string): Promise<boolean> {
    return withSpan('eventsmith.repository.exists', this.#attributes(aggregateId), async (span) => {
      const version = await this.#store.getStreamVersion(this.streamId(aggregateId));
      span.setAttribute(SpanAttributes.version, version);
      return version > 0;
    });
  }

  /**
   * The aggregate as it was at a version or at a moment (time travel). Throws
   * {@link AggregateNotFoundError} if it had no events by then.
   */
  async loadAt(aggregateId: string, at: { version: number } | { at: Date }): Promise<A> {
    if ('version' in at && (!Number.isInteger(at.version) || at.version < 0)) {
      throw new InvalidArgumentError(`loadAt needs a version ≥ 0, got ${String(at.version)}.`);
    }
    if ('at' in at && !(at.at instanceof Date && !Number.isNaN(at.at.getTime()))) {
      throw new InvalidArgumentError('loadAt needs a valid Date in { at }.');
    }
    return withSpan('eventsmith.repository.load_at', this.#attributes(aggregateId), async (span) => {
      const aggregate = new this.#aggregate(aggregateId);
      const options = 'version' in at ? { to: at.version } : {};
      if ('version' in at && at.version === 0)
        throw new AggregateNotFoundError(this.#aggregate.aggregateType, aggregateId);
      for await (const stored of this.#store.readStream(this.streamId(aggregateId), options)) {
        if ('at' in at && stored.event.occurredAt.getTime() > at.at.getTime()) break;
        aggregate.replay(stored.event);
      }
      span.setAttribute(SpanAttributes.version, aggregate.version);
      if (aggregate.version === 0) throw new AggregateNotFoundError(this.#aggregate.aggregateType, aggregateId);
      return aggregate;
    });
  }

  /**
   * Appends the aggregate's new events, expecting the stream to be exactly where it was loaded.
   * Does nothing without new events. The events are marked committed only after the append.
   */
  async save(aggregate: A, options: SaveOptions = {}): Promise<AppendResult | undefined> {
    try {
      return await this.#save(aggregate, options);
    } catch (error) {
      if (error instanceof ConcurrencyError) await this.#dropSnapshotAheadOfStream(aggregate, error);
      throw error;
    }
  }

  async #save(aggregate: A, options: SaveOptions): Promise<AppendResult | undefined> {
    const events = aggregate.uncommittedEvents;
    if (events.length === 0) return undefined;
    const expectedVersion = aggregate.version - events.length;
    const outbox = this.#options.outbox;
    if (outbox && !(options.transaction && isTransaction(options.transaction))) {
      if (options.transaction)
        throw new InvalidArgumentError(
          'With an outbox, save needs an EventStoreTransaction (from store.transaction), not a bare appender.',
        );
      return this.#store.transaction((tx) => this.#save(aggregate, { transaction: tx }));
    }
    const appender = options.transaction ?? this.#store;
    // Without a tracer provider: no span, no attributes (see load).
    if (!tracing()) return this.#append(aggregate, events, expectedVersion, appender, undefined);
    return withSpan(
      'eventsmith.repository.save',
      {
        ...this.#attributes(aggregate.id),
        [SpanAttributes.expectedVersion]: expectedVersion,
        [SpanAttributes.eventCount]: events.length,
      },
      (span) => this.#append(aggregate, events, expectedVersion, appender, span),
    );
  }

  /** The body of {@link save}: appends `events`, then marks them committed (once the transaction commits, in one). */
  async #append(
    aggregate: A,
    events: readonly DomainEvent[],
    expectedVersion: number,
    appender: EventAppender | EventStoreTransaction,
    span: Span | undefined,
  ): Promise<AppendResult> {
    const outbox = this.#options.outbox;
    const stored = stampTraceContext(this.#stampTenant(events));
    const result = await appender.appendToStream(this.streamId(aggregate.id), stored, { expectedVersion });
    if (outbox && isTransaction(appender)) await outbox.add(stored, { transaction: appender });
    span?.setAttribute(SpanAttributes.version, result.nextVersion);
    if (isTransaction(appender))
      appender.afterCommit(() => this.#committed(aggregate, events, expectedVersion, result));
    else {
      const snapshotTaken = this.#committed(aggregate, events, expectedVersion, result);
      if (snapshotTaken) await snapshotTaken;
    }
    return result;
  }

  /**
   * After a conflict where the stream is *behind* the version the aggregate was loaded at: only a
   * snapshot beyond the stream (a corrupt row, or one restored from another database) gives that,
   * and every later load would restore it and conflict again, for good. Reports it as corrupt and
   * deletes it, so the reload a `ConcurrencyError` asks for replays the stream in full.
   */
  async #dropSnapshotAheadOfStream(aggregate: A, conflict: ConcurrencyError): Promise<void> {
    const snapshots = this.#snapshots();
    const loadedAt = aggregate.version - aggregate.uncommittedEvents.length;
    if (!snapshots || conflict.actual >= loadedAt) return;
    try {
      const snapshot = await snapshots.get(this.#aggregate.aggregateType, aggregate.id);
      if (!snapshot || snapshot.version <= conflict.actual) return;
      this.#report({
        kind: 'corrupt',
        aggregateId: aggregate.id,
        error: new InvalidArgumentError(
          `The snapshot of ${this.streamId(aggregate.id)} is at version ${snapshot.version}, but the stream ends at ` +
            `version ${conflict.actual}. It was deleted; the next load replays the stream in full.`,
        ),
      });
      await snapshots.delete(this.#aggregate.aggregateType, aggregate.id);
    } catch (error) {
      this.#report({ kind: 'write-failed', aggregateId: aggregate.id, error });
    }
  }

  /** Marks `events` committed; takes a snapshot if the policy says so (the promise of it, else undefined). */
  #committed(
    aggregate: A,
    events: readonly DomainEvent[],
    expectedVersion: number,
    result: AppendResult,
  ): Promise<void> | undefined {
    aggregate.markCommitted(events);
    return this.#shouldSnapshot(aggregate.id, expectedVersion, result.nextVersion)
      ? this.snapshot(aggregate)
      : undefined;
  }

  /** Takes a snapshot now. Failures are reported to `onSnapshotProblem`, never thrown. */
  async snapshot(aggregate: A): Promise<void> {
    const snapshots = this.#options.snapshots;
    if (!snapshots)
      throw new InvalidArgumentError('This repository has no snapshot store; pass { snapshots: { store } }.');
    try {
      await this.#snapshots()!.save({
        aggregateType: this.#aggregate.aggregateType,
        aggregateId: aggregate.id,
        version: aggregate.version,
        stateVersion: this.#aggregate.stateVersion,
        ...(this.#aggregate.snapshotFingerprint !== undefined
          ? { fingerprint: this.#aggregate.snapshotFingerprint }
          : {}),
        state: aggregate.snapshotState(),
        createdAt: new Date(),
      });
    } catch (error) {
      this.#report({ kind: 'write-failed', aggregateId: aggregate.id, error });
    }
  }

  /**
   * Loads, runs `fn`, and saves; on a {@link ConcurrencyError} reloads and runs `fn` again, up to
   * `retries` times. `fn` must be safe to run more than once.
   */
  async update(
    aggregateId: string,
    fn: (aggregate: A) => void | Promise<void>,
    options: UpdateOptions = {},
  ): Promise<A> {
    const retries = options.retries ?? 3;
    if (!Number.isInteger(retries) || retries < 0)
      throw new InvalidArgumentError(`update needs retries ≥ 0, got ${String(retries)}.`);
    return withSpan('eventsmith.repository.update', this.#attributes(aggregateId), async (span) => {
      for (let attempt = 0; ; attempt++) {
        span.setAttribute('eventsmith.attempts', attempt + 1);
        const aggregate = options.create ? await this.loadOrCreate(aggregateId) : await this.load(aggregateId);
        await fn(aggregate);
        try {
          await this.save(aggregate);
          return aggregate;
        } catch (error) {
          if (!(error instanceof ConcurrencyError) || attempt >= retries) throw error;
        }
      }
    });
  }

  /**
   * A new aggregate replayed from the stream, or from a snapshot when there is a snapshot store.
   * Without one, and when the store's first page held the whole stream, it comes back as it is,
   * not in a promise.
   */
  #load(aggregateId: string): A | Promise<A> {
    if (!this.#options.snapshots) return this.#replay(new this.#aggregate(aggregateId), aggregateId);
    return this.#loadFromSnapshot(aggregateId);
  }

  async #loadFromSnapshot(aggregateId: string): Promise<A> {
    const aggregate = new this.#aggregate(aggregateId);
    const snapshot = await this.#readSnapshot(aggregateId);
    const { snapshotHits, snapshotMisses } = instruments();
    (snapshot ? snapshotHits : snapshotMisses).add(1, {
      [MetricAttributes.aggregateType]: this.#aggregate.aggregateType,
    });
    if (snapshot) {
      try {
        aggregate.restoreSnapshot(snapshot.state, snapshot.version);
      } catch (error) {
        this.#report({ kind: 'corrupt', aggregateId, error });
        return this.#replay(new this.#aggregate(aggregateId), aggregateId);
      }
    }
    return this.#replay(aggregate, aggregateId);
  }

  /** Replays the stream after `aggregate`'s version; the aggregate itself when the store's first page held it all. */
  #replay(aggregate: A, aggregateId: string): A | Promise<A> {
    const streamId = this.streamId(aggregateId);
    // A store that reads the stream's first page as one array saves a promise round per event.
    const page = (this.#store as Partial<StreamPageReader>)[readStreamPage]?.(streamId, aggregate.version + 1);
    if (page === undefined) return this.#replayRest(aggregate, streamId);
    if (page instanceof Promise) return page.then((read) => this.#replayPage(aggregate, streamId, read));
    return this.#replayPage(aggregate, streamId, page);
  }

  #replayPage(aggregate: A, streamId: string, page: StreamPage): A | Promise<A> {
    for (const event of page.events) aggregate.replay(event);
    return page.more ? this.#replayRest(aggregate, streamId) : aggregate;
  }

  async #replayRest(aggregate: A, streamId: string): Promise<A> {
    for await (const stored of this.#store.readStream(streamId, { from: aggregate.version + 1 })) {
      aggregate.replay(stored.event);
    }
    return aggregate;
  }

  async #readSnapshot(aggregateId: string): Promise<Snapshot | undefined> {
    const snapshots = this.#snapshots();
    if (!snapshots) return undefined;
    let snapshot: Snapshot | undefined;
    try {
      snapshot = await snapshots.get(this.#aggregate.aggregateType, aggregateId);
    } catch (error) {
      this.#report({ kind: 'read-failed', aggregateId, error });
      return undefined;
    }
    if (!snapshot) return undefined;
    if (snapshot.stateVersion !== this.#aggregate.stateVersion) {
      this.#report({ kind: 'outdated', aggregateId, outdatedBy: 'stateVersion' });
      return undefined;
    }
    if (snapshot.fingerprint !== this.#aggregate.snapshotFingerprint) {
      // Taken under another state schema, event version or upcast step: its state may not be what a replay gives now.
      this.#report({ kind: 'outdated', aggregateId, outdatedBy: 'fingerprint' });
      return undefined;
    }
    if (!Number.isSafeInteger(snapshot.version) || snapshot.version < 1 || snapshot.aggregateId !== aggregateId) {
      this.#report({
        kind: 'corrupt',
        aggregateId,
        error: new InvalidArgumentError(`Snapshot of ${aggregateId} has an invalid version or id.`),
      });
      return undefined;
    }
    if (snapshot.tenantId !== this.#store.tenantId) {
      // A snapshot store that ignored its tenant view: never restore another tenant's state.
      this.#report({
        kind: 'corrupt',
        aggregateId,
        error: new TenantMismatchError(this.#store.tenantId ?? '(none)', snapshot.tenantId),
      });
      return undefined;
    }
    return snapshot;
  }

  /**
   * The events as a tenant view stores them: those without a tenant get the view's, so outbox rows
   * (and what a relay publishes) carry the same tenant as the stored events.
   */
  #stampTenant(events: readonly DomainEvent[]): readonly DomainEvent[] {
    const tenantId = this.#store.tenantId;
    if (tenantId === undefined || events.every((event) => event.tenantId !== undefined)) return events;
    return events.map((event) => (event.tenantId === undefined ? event.with({ tenantId }) : event));
  }

  /** The snapshot store's view of the event store's tenant: a tenant's repository reads and writes only its snapshots. */
  #snapshots(): SnapshotStore | undefined {
    const store = this.#options.snapshots?.store;
    const tenantId = this.#store.tenantId;
    return store && tenantId !== undefined ? store.forTenant(tenantId) : store;
  }

  #shouldSnapshot(aggregateId: string, from: number, to: number): boolean {
    try {
      return this.#options.snapshots?.policy?.shouldSnapshot(from, to) ?? false;
    } catch (error) {
      this.#report({ kind: 'write-failed', aggregateId, error });
      return false;
    }
  }

  #report(problem: Omit<SnapshotProblem, 'aggregateType'>): void {
    try {
      this.#options.onSnapshotProblem?.({ ...problem, aggregateType: this.#aggregate.aggregateType });
    } catch {
      // A faulty reporter must not turn a snapshot problem into a failed load or save.
    }
  }

  #attributes(aggregateId: string): Attributes {
    return {
      [SpanAttributes.aggregateType]: this.#aggregate.aggregateType,
      [SpanAttributes.aggregateId]: aggregateId,
      [SpanAttributes.stream]: this.streamId(aggregateId),
    };
  }
}

function isTransaction(appender: EventAppender): appender is EventStoreTransaction {
  return typeof (appender as Partial<EventStoreTransaction>).afterCommit === 'function';
}

/**
 * With an OpenTelemetry SDK recording, the events carry the save's trace context in their metadata
 * (`traceparent`, `tracestate`), so the subscription batches and reactions they start link back to
 * it. Events that already carry one keep it; without a recording span nothing changes.
 */
function stampTraceContext(events: readonly DomainEvent[]): readonly DomainEvent[] {
  const traceContext = activeTraceContext();
  if (!traceContext) return events;
  return events.map((event) =>
    event.metadata['traceparent'] !== undefined
      ? event
      : event.with({ metadata: { ...event.metadata, ...traceContext } }),
  );
}
