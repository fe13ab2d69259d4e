import type { DomainEvent } from '../events/domain-event.js';
import type { EventRegistry } from '../events/event-registry.js';
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
import { readFeedPage, type FeedPage } from '../store/feed-page.js';
import { nameStatement, statementNamer } from '../store/sql/statement-naming.js';
import type { WakeUpSignal } from './wake-up.js';

/** Work added to every append of a store (see {@link withAppendHooks}). */
export interface AppendHooks {
  /**
   * Runs once inside each transaction that appends, right after its first append, so its writes
   * commit or roll back with the events (e.g. `pg_notify`, which PostgreSQL delivers on commit).
   */
  readonly inTransaction?: (tx: EventStoreTransaction) => Promise<void>;
  /** Runs after each transaction that appended has committed. */
  readonly afterCommit?: () => void;
}

/**
 * A view of `store` that runs `hooks` around every append, whether made directly, through a
 * repository or inside `store.transaction`. Everything else goes straight to `store`.
 *
 * @example
 * ```ts
 * const store = withAppendHooks(sqliteStore, { afterCommit: () => signal.notify() });
 * ```
 */
export function withAppendHooks(store: EventStore, hooks: AppendHooks): EventStore {
  return new HookedEventStore(store, hooks);
}

/**
 * A view of `store` that calls `signal.notify()` after each committed append, waking the
 * subscriptions of this process at once instead of at the next poll.
 *
 * @example
 * ```ts
 * const signal = new WakeUpSignal();
 * const store = signalOnCommit(new InMemoryEventStore({ registry }), signal);
 * const manager = new SubscriptionManager({ store, wakeUps: [signal] });
 * ```
 */
export function signalOnCommit(store: EventStore, signal: WakeUpSignal): EventStore {
  return withAppendHooks(store, { afterCommit: () => signal.notify() });
}

class HookedEventStore implements EventStore {
  constructor(
    private readonly inner: EventStore,
    private readonly hooks: AppendHooks,
  ) {}

  get storeId(): string {
    return this.inner.storeId;
  }

  get tenantId(): string | undefined {
    return this.inner.tenantId;
  }

  get registry(): EventRegistry {
    return this.inner.registry;
  }

  /** The wrapped store's Kysely database, if it has one (SQL stores). */
  get db(): unknown {
    return (this.inner as { db?: unknown }).db;
  }

  async appendToStream(
    streamId: string,
    events: readonly DomainEvent[],
    options: AppendOptions,
  ): Promise<AppendResult> {
    if (this.hooks.inTransaction) return this.transaction((tx) => tx.appendToStream(streamId, events, options));
    const result = await this.inner.appendToStream(streamId, events, options);
    this.hooks.afterCommit?.();
    return result;
  }

  transaction<T>(fn: (tx: EventStoreTransaction) => Promise<T>): Promise<T> {
    const hooks = this.hooks;
    return this.inner.transaction((tx) => {
      let hooked = false;
      const wrapped: EventStoreTransaction = {
        get sql() {
          return tx.sql;
        },
        afterCommit: (callback) => tx.afterCommit(callback),
        appendToStream: async (streamId, events, options) => {
          const result = await tx.appendToStream(streamId, events, options);
          if (!hooked) {
            hooked = true;
            await hooks.inTransaction?.(tx);
            if (hooks.afterCommit) tx.afterCommit(hooks.afterCommit);
          }
          return result;
        },
      };
      // The store's internal statement naming (PostgreSQL), for the outbox insert through `sql`.
      const namer = statementNamer(tx);
      return fn(namer ? Object.assign(wrapped, { [nameStatement]: namer }) : wrapped);
    });
  }

  readStream(streamId: string, options?: ReadStreamOptions): AsyncIterable<StoredEvent> {
    return this.inner.readStream(streamId, options);
  }

  getStreamVersion(streamId: string): Promise<number> {
    return this.inner.getStreamVersion(streamId);
  }

  readAll(options?: ReadAllOptions): AsyncIterable<StoredEvent> {
    return this.inner.readAll(options);
  }

  [readFeedPage](options: ReadAllOptions): FeedPage | undefined {
    return (this.inner as Partial<Pick<HookedEventStore, typeof readFeedPage>>)[readFeedPage]?.(options);
  }

  currentPosition(): Promise<Position | null> {
    return this.inner.currentPosition();
  }

  eventExists(eventId: string): Promise<boolean> {
    return this.inner.eventExists(eventId);
  }

  forTenant(tenantId: string): EventStore {
    return new HookedEventStore(this.inner.forTenant(tenantId), this.hooks);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
