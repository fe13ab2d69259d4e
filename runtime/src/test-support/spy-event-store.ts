// An EventStore wrapper that records calls and can interfere with appends, for repository tests.
import type { DomainEvent } from '../events/domain-event.js';
import type {
  AppendOptions,
  AppendResult,
  EventStore,
  EventStoreTransaction,
  ReadAllOptions,
  ReadStreamOptions,
  StoredEvent,
} from '../store/event-store.js';
import type { Position } from '../store/position.js';

export interface AppendCall {
  readonly streamId: string;
  readonly expectedVersion: AppendOptions['expectedVersion'];
  readonly count: number;
}

export interface ReadCall {
  readonly streamId: string;
  readonly options: ReadStreamOptions;
  yielded: number;
}

export class SpyEventStore implements EventStore {
  readonly appends: AppendCall[] = [];
  readonly reads: ReadCall[] = [];
  /** Runs before each append is passed on; may append something else first, or throw. */
  beforeAppend: ((call: AppendCall) => Promise<void>) | undefined;

  constructor(readonly inner: EventStore) {}

  get storeId() {
    return this.inner.storeId;
  }
  get tenantId() {
    return this.inner.tenantId;
  }
  get registry() {
    return this.inner.registry;
  }

  async appendToStream(
    streamId: string,
    events: readonly DomainEvent[],
    options: AppendOptions,
  ): Promise<AppendResult> {
    const call = { streamId, expectedVersion: options.expectedVersion, count: events.length };
    this.appends.push(call);
    await this.beforeAppend?.(call);
    return this.inner.appendToStream(streamId, events, options);
  }

  async *readStream(streamId: string, options: ReadStreamOptions = {}): AsyncIterable<StoredEvent> {
    const call: ReadCall = { streamId, options, yielded: 0 };
    this.reads.push(call);
    for await (const stored of this.inner.readStream(streamId, options)) {
      call.yielded++;
      yield stored;
    }
  }

  getStreamVersion(streamId: string): Promise<number> {
    return this.inner.getStreamVersion(streamId);
  }
  readAll(options?: ReadAllOptions): AsyncIterable<StoredEvent> {
    return this.inner.readAll(options);
  }
  currentPosition(): Promise<Position | null> {
    return this.inner.currentPosition();
  }
  eventExists(eventId: string): Promise<boolean> {
    return this.inner.eventExists(eventId);
  }
  transaction<T>(fn: (tx: EventStoreTransaction) => Promise<T>): Promise<T> {
    return this.inner.transaction(fn);
  }
  forTenant(tenantId: string): EventStore {
    return this.inner.forTenant(tenantId);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}
