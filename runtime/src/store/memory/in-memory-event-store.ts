import { DuplicateEventError, InvalidArgumentError, TenantMismatchError } from '../../errors.js';
import type { DomainEvent } from '../../events/domain-event.js';
import { toEventRecord, type EventRecord } from '../../events/event-record.js';
import type { EventRegistry } from '../../events/event-registry.js';
import { deepFreeze } from '../../events/json.js';
import { SpanAttributes, traceIterable, withSpan } from '../../telemetry/tracing.js';
import type {
  AppendOptions,
  AppendResult,
  EventStore,
  EventStoreTransaction,
  ReadAllOptions,
  ReadStreamOptions,
  StoredEvent,
} from '../event-store.js';
import { checkExpectedVersion } from '../expected-version.js';
import { Position } from '../position.js';
import {
  checkAppendCall,
  checkAppendText,
  checkIdText,
  checkReadable,
  feedRange,
  streamRange,
} from '../store-input.js';
import { decodeFeedEvent } from '../undecodable-event-error.js';
import { StoreGate } from '../store-gate.js';
import { sameTenantView } from '../../tenancy/view-tenant.js';

interface Row {
  readonly record: EventRecord;
  readonly streamId: string;
  readonly position: bigint;
  readonly storedAt: Date;
}

interface Shared {
  readonly rows: Row[];
  readonly streams: Map<string, Row[]>;
  readonly eventIds: Set<string>;
  /** Serializes writers, so a transaction's staged versions and positions stay valid until it commits. */
  writer: Promise<void>;
  /** Refuses appends, reads and transactions once `close()` has begun, and lets it wait for the ones accepted. */
  readonly gate: StoreGate;
}

let nextStoreNumber = 1;

export interface InMemoryEventStoreOptions {
  readonly registry: EventRegistry;
  /** Defaults to a unique `memory:<n>`. */
  readonly storeId?: string;
}

/**
 * A complete event store in process memory, for tests and single-process tools. Events are kept
 * in their stored (JSON) form, so reads exercise the same decode and upcast path as SQL stores.
 *
 * @example
 * ```ts
 * const store = new InMemoryEventStore({ registry });
 * await store.appendToStream('BankAccount-1', [opened], { expectedVersion: 'no_stream' });
 * ```
 */
export class InMemoryEventStore implements EventStore {
  readonly storeId: string;
  readonly registry: EventRegistry;
  readonly #shared: Shared;
  readonly #tenantId: string | undefined;

  constructor(options: InMemoryEventStoreOptions);
  constructor(options: InMemoryEventStoreOptions, shared: Shared, tenantId: string);
  constructor(options: InMemoryEventStoreOptions, shared?: Shared, tenantId?: string) {
    this.registry = options.registry;
    this.storeId = options.storeId ?? `memory:${nextStoreNumber++}`;
    this.#shared = shared ?? {
      rows: [],
      streams: new Map(),
      eventIds: new Set(),
      writer: Promise.resolve(),
      gate: new StoreGate(this.storeId),
    };
    this.#tenantId = tenantId;
  }

  async appendToStream(
    streamId: string,
    events: readonly DomainEvent[],
    options: AppendOptions,
  ): Promise<AppendResult> {
    checkAppendCall(streamId, events, options);
    return withSpan(
      'eventsmith.store.append',
      {
        [SpanAttributes.store]: this.storeId,
        [SpanAttributes.stream]: streamId,
        [SpanAttributes.eventCount]: events.length,
      },
      () =>
        this.#shared.gate.run(() =>
          this.#exclusive(async () => {
            const pending = new Pending();
            const result = this.#stage(pending, streamId, events, options);
            pending.commit(this.#shared);
            return result;
          }),
        ),
    );
  }

  /** Refused once `close()` has begun; `close()` waits for one already running (and its `afterCommit` callbacks). */
  transaction<T>(fn: (tx: EventStoreTransaction) => Promise<T>): Promise<T> {
    return this.#shared.gate.transaction(() => this.#transaction(fn));
  }

  async #transaction<T>(fn: (tx: EventStoreTransaction) => Promise<T>): Promise<T> {
    const pending = new Pending();
    let open = true;
    const ensureOpen = () => {
      if (!open)
        throw new InvalidArgumentError('This transaction has ended; use the store, or start a new transaction.');
    };
    const result = await this.#exclusive(async () => {
      const tx: EventStoreTransaction = {
        sql: undefined,
        appendToStream: async (streamId, events, options) => {
          checkAppendCall(streamId, events, options);
          return withSpan(
            'eventsmith.store.append',
            {
              [SpanAttributes.store]: this.storeId,
              [SpanAttributes.stream]: streamId,
              [SpanAttributes.eventCount]: events.length,
            },
            async () => {
              ensureOpen();
              return this.#stage(pending, streamId, events, options);
            },
          );
        },
        afterCommit: (callback) => {
          ensureOpen();
          pending.callbacks.push(callback);
        },
      };
      try {
        const value = await fn(tx);
        pending.commit(this.#shared);
        return value;
      } finally {
        open = false;
      }
    });
    let failure: { error: unknown } | undefined;
    for (const callback of pending.callbacks) {
      try {
        await callback();
      } catch (error) {
        failure ??= { error };
      }
    }
    if (failure) throw failure.error;
    return result;
  }

  async #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const previous = this.#shared.writer;
    let release!: () => void;
    this.#shared.writer = new Promise((resolve) => (release = resolve));
    await previous;
    try {
      return await fn();
    } finally {
      release();
    }
  }

  readStream(streamId: string, options: ReadStreamOptions = {}): AsyncIterable<StoredEvent> {
    return traceIterable(
      'eventsmith.store.read_stream',
      { [SpanAttributes.store]: this.storeId, [SpanAttributes.stream]: streamId },
      this.#readStream(streamId, options),
    );
  }

  async *#readStream(streamId: string, options: ReadStreamOptions): AsyncIterable<StoredEvent> {
    const { gate } = this.#shared;
    gate.check();
    const range = streamRange(streamId, options);
    const rows = this.#shared.streams.get(streamId) ?? [];
    const backward = range.direction === 'backward';
    const from = range.from ?? (backward ? rows.length : 1);
    const to = range.to ?? (backward ? 1 : rows.length);
    const limit = range.limit;
    let emitted = 0;
    if (backward) {
      for (let v = Math.min(from, rows.length); v >= Math.max(to, 1) && emitted < limit; v--) {
        const row = rows[v - 1]!;
        if (!this.#visible(row)) continue;
        gate.check(); // each event is a read of the store, refused once close() has begun
        emitted++;
        yield this.#decode(row);
      }
    } else {
      for (let v = Math.max(from, 1); v <= Math.min(to, rows.length) && emitted < limit; v++) {
        const row = rows[v - 1]!;
        if (!this.#visible(row)) continue;
        gate.check(); // each event is a read of the store, refused once close() has begun
        emitted++;
        yield this.#decode(row);
      }
    }
  }

  async getStreamVersion(streamId: string): Promise<number> {
    this.#shared.gate.check();
    checkIdText('stream id', streamId);
    const rows = this.#shared.streams.get(streamId);
    if (!rows || (this.#tenantId !== undefined && !rows.some((r) => this.#visible(r)))) return 0;
    return rows.length;
  }

  readAll(options: ReadAllOptions = {}): AsyncIterable<StoredEvent> {
    return traceIterable('eventsmith.store.read_all', { [SpanAttributes.store]: this.storeId }, this.#readAll(options));
  }

  async *#readAll(options: ReadAllOptions): AsyncIterable<StoredEvent> {
    const { gate } = this.#shared;
    gate.check();
    const { after, limit } = feedRange(this.storeId, options);
    const tenant = options.tenantId ?? this.#tenantId;
    if (this.#tenantId !== undefined && tenant !== this.#tenantId) return;
    const types = options.eventTypes ? new Set(options.eventTypes) : undefined;
    const categories = options.aggregateTypes ? new Set(options.aggregateTypes) : undefined;
    let emitted = 0;
    // Positions are 1-based array indexes, so resuming is a direct jump, not a scan.
    for (let i = Number(after); i < this.#shared.rows.length && emitted < limit; i++) {
      const row = this.#shared.rows[i]!;
      if (tenant !== undefined && row.record.tenantId !== tenant) continue;
      if (categories && !categories.has(row.record.aggregateType)) continue;
      if (types && !types.has(this.#currentType(row.record.eventType))) continue;
      gate.check(); // each event is a read of the store, refused once close() has begun
      emitted++;
      yield this.#decode(row, true);
    }
  }

  async currentPosition(): Promise<Position | null> {
    this.#shared.gate.check();
    const rows = this.#shared.rows;
    for (let i = rows.length - 1; i >= 0; i--) {
      if (this.#visible(rows[i]!)) return Position.of(this.storeId, rows[i]!.position);
    }
    return null;
  }

  async eventExists(eventId: string): Promise<boolean> {
    this.#shared.gate.check();
    checkIdText('event id', eventId);
    if (this.#tenantId === undefined) return this.#shared.eventIds.has(eventId);
    return this.#shared.rows.some((r) => r.record.eventId === eventId && this.#visible(r));
  }

  forTenant(tenantId: string): EventStore {
    checkIdText('tenant id', tenantId, true);
    if (sameTenantView('event store', this.#tenantId, tenantId)) return this;
    return new InMemoryEventStore({ registry: this.registry, storeId: this.storeId }, this.#shared, tenantId);
  }

  /** The tenant of this view, or `undefined` for the store itself. */
  get tenantId(): string | undefined {
    return this.#tenantId;
  }

  /**
   * Waits for the appends and transactions already accepted; later calls (appends, reads, the
   * next event of an iteration, transactions) fail with `EventStoreClosedError`.
   */
  async close(): Promise<void> {
    await this.#shared.gate.close(async () => undefined);
  }

  #stage(pending: Pending, streamId: string, events: readonly DomainEvent[], options: AppendOptions): AppendResult {
    const existing = this.#shared.streams.get(streamId) ?? [];
    if (this.#tenantId !== undefined) {
      // A tenant view may only extend its own tenant's streams; checked before the version so a
      // conflict does not reveal another tenant's stream.
      const foreign = existing.find((row) => !this.#visible(row));
      if (foreign)
        throw new TenantMismatchError(
          this.#tenantId,
          foreign.record.tenantId ?? undefined,
          events.map((e) => e.eventId),
        );
    }
    const current = existing.length + pending.countFor(streamId);
    checkExpectedVersion(streamId, options.expectedVersion, current);
    const seen = new Set<string>();
    const records = events.map((event) => {
      if (this.#tenantId !== undefined && event.tenantId !== undefined && event.tenantId !== this.#tenantId) {
        throw new TenantMismatchError(this.#tenantId, event.tenantId, [event.eventId]);
      }
      checkReadable(this.registry, event); // not on a later read
      if (seen.has(event.eventId)) throw new DuplicateEventError(event.eventId, 'batch');
      if (this.#shared.eventIds.has(event.eventId) || pending.eventIds.has(event.eventId)) {
        throw new DuplicateEventError(event.eventId);
      }
      seen.add(event.eventId);
      const record = toEventRecord(event);
      return this.#tenantId !== undefined && record.tenantId === null
        ? { ...record, tenantId: this.#tenantId }
        : record;
    });
    checkAppendText(streamId, records);
    const storedAt = new Date();
    let version = current;
    const base = BigInt(this.#shared.rows.length + pending.rows.length);
    const rows = records.map((record, i): Row => ({
      // Frozen, so an upcaster that edits its input in place fails loudly instead of corrupting the store.
      record: deepFreeze({ ...record, aggregateVersion: ++version }),
      streamId,
      position: base + BigInt(i + 1),
      storedAt,
    }));
    pending.add(streamId, rows);
    return { nextVersion: version, position: Position.of(this.storeId, rows[rows.length - 1]!.position) };
  }

  #visible(row: Row): boolean {
    return this.#tenantId === undefined || row.record.tenantId === this.#tenantId;
  }

  #currentType(eventType: string): string {
    return this.registry.has(eventType) ? this.registry.resolveType(eventType) : eventType;
  }

  #decode(row: Row, feed = false): StoredEvent {
    const location = {
      streamId: row.streamId,
      streamVersion: row.record.aggregateVersion,
      position: Position.of(this.storeId, row.position),
      storedAt: row.storedAt,
    };
    return {
      event: feed ? decodeFeedEvent(this.registry, row.record, location) : this.registry.decode(row.record),
      ...location,
    };
  }
}

/** Appends staged by one call or transaction, applied to the shared state in one synchronous step. */
class Pending {
  readonly rows: Row[] = [];
  readonly eventIds = new Set<string>();
  readonly callbacks: (() => void | Promise<void>)[] = [];
  readonly #perStream = new Map<string, number>();

  countFor(streamId: string): number {
    return this.#perStream.get(streamId) ?? 0;
  }

  add(streamId: string, rows: Row[]): void {
    this.rows.push(...rows);
    for (const row of rows) this.eventIds.add(row.record.eventId);
    this.#perStream.set(streamId, this.countFor(streamId) + rows.length);
  }

  commit(shared: Shared): void {
    for (const row of this.rows) {
      shared.rows.push(row);
      let stream = shared.streams.get(row.streamId);
      if (!stream) shared.streams.set(row.streamId, (stream = []));
      stream.push(row);
      shared.eventIds.add(row.record.eventId);
    }
  }
}
