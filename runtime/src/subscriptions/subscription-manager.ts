import type { BatchObservableResult } from '@opentelemetry/api';
import { instruments, MetricAttributes } from '../telemetry/metrics.js';
import type { EventStore } from '../store/event-store.js';
import type { Position } from '../store/position.js';
import type { Projection } from '../projections/projection.js';
import type { Kysely } from 'kysely';
import { projectionHandler, type ProjectionSubscriptionOptions } from './projection-subscription.js';
import { rebuildProjection, type RebuildProjectionOptions, type RebuildReport } from './rebuild-projection.js';
import { InMemoryCheckpointStore, type CheckpointStore } from './checkpoint-store.js';
import type { DeadLetterQueue } from './dead-letter-queue.js';
import { InMemoryDeadLetterQueue } from './in-memory-dead-letter-queue.js';
import {
  DeadLetterEntryNotFoundError,
  DuplicateSubscriptionError,
  SubscriptionConfigError,
  SubscriptionNotFoundError,
} from './subscription-errors.js';
import { InMemorySubscriptionLock, type SubscriptionLock } from './subscription-lock.js';
import type {
  SubscriptionErrorInfo,
  SubscriptionHandler,
  SubscriptionOptions,
  SubscriptionStatus,
} from './subscription-options.js';
import { SubscriptionRunner } from './subscription-runner.js';
import type { WakeUpSource } from './wake-up.js';

export interface SubscriptionManagerOptions {
  readonly store: EventStore;
  /** Default: in memory (subscriptions start over after a restart). */
  readonly checkpoints?: CheckpointStore;
  /** Default: in memory. A durable checkpoint store needs a durable dead-letter queue. */
  readonly deadLetters?: DeadLetterQueue;
  /** Keeps two processes from running one subscription. Default: a lock local to this manager. */
  readonly lock?: SubscriptionLock;
  /** Hints that new events were appended (in-process signal, PostgreSQL NOTIFY, bus). */
  readonly wakeUps?: readonly WakeUpSource[];
  /**
   * Longest wait between two reads of the feed while live. Bounds the delay of an event whose
   * wake-up was lost. Default 1000 ms.
   */
  readonly pollIntervalMs?: number;
  /** How often a standby retries the lock another process holds. Default 1000 ms. */
  readonly lockRetryMs?: number;
  /** Default time `stop()` waits for batches in flight. Default 30 s. */
  readonly stopTimeoutMs?: number;
  /** Lag is counted up to this many events. Default 10,000. */
  readonly lagCountLimit?: number;
  /** Called for every handler or infrastructure error (for logging); the subscription carries on. */
  readonly onError?: (subscription: string, error: SubscriptionErrorInfo) => void;
}

/** A registered subscription. */
export interface Subscription {
  readonly name: string;
  status(): Promise<SubscriptionStatus>;
  pause(): Promise<void>;
  resume(): void;
}

/** What `retryDeadLetters` did. */
export interface DeadLetterRetryReport {
  readonly resolved: number;
  readonly failed: number;
  /** Entries that were not pending any more, or whose subscription is not registered here. */
  readonly skipped: number;
}

/**
 * Runs subscriptions over a store's global feed: each catches up from its checkpoint, then stays
 * live, woken by hints and by a bounded poll; every read goes to the store, so each event is
 * delivered once, in global order. Failing events are retried with backoff and jitter, then
 * parked in the dead-letter queue (or, with `stopOnError`, stop the subscription). A stored event
 * the store cannot decode (`UndecodableEventError` from `readAll`) is parked without delivery and
 * skipped, or stops the subscription too; except an event of a schema version newer than the
 * registry knows (written by a newer release during a rolling deploy): the subscription stops
 * before it, gives its lock up for a process running the newer release, and tries again later. Subscriptions fail independently of one another.
 *
 * On a tenant view (`store.forTenant(tenantId)`) the manager uses the tenant views of its
 * checkpoint store, lock and dead-letter queue (`checkpoints`, `deadLetters` are those views): a
 * subscription name has its own checkpoint and lock per tenant, and the manager lists, counts,
 * retries and resolves only its tenant's dead letters.
 *
 * @example
 * ```ts
 * const manager = new SubscriptionManager({ store, checkpoints, deadLetters, lock });
 * manager.subscribe(async ({ event }) => mailer.send(event), { name: 'welcome-mail', eventTypes: ['AccountOpened'] });
 * manager.project(accountSummary, { batchSize: 500 });
 * await manager.runUntilSignal();
 * ```
 */
export class SubscriptionManager {
  readonly store: EventStore;
  readonly checkpoints: CheckpointStore;
  readonly deadLetters: DeadLetterQueue;
  readonly #lock: SubscriptionLock;
  readonly #options: SubscriptionManagerOptions;
  readonly #runners = new Map<string, SubscriptionRunner>();
  readonly #projections = new Map<string, { projection: Projection<any>; options: ProjectionSubscriptionOptions }>();
  readonly #progressListeners = new Set<(subscription: string, position: Position) => void>();
  #started = false;
  #stopLagMetrics: (() => void) | undefined;

  constructor(options: SubscriptionManagerOptions) {
    this.store = options.store;
    // On a tenant view, the tenant's views of them: its own checkpoints, locks and dead letters.
    const tenantId = options.store.tenantId;
    this.checkpoints = tenantView(options.checkpoints ?? new InMemoryCheckpointStore(), tenantId, 'checkpoint store');
    this.deadLetters = tenantView(options.deadLetters ?? new InMemoryDeadLetterQueue(), tenantId, 'dead-letter queue');
    this.#lock = tenantView(options.lock ?? new InMemorySubscriptionLock(), tenantId, 'lock');
    this.#options = options;
    if (this.checkpoints.durable && !this.deadLetters.durable) {
      throw new SubscriptionConfigError(
        undefined,
        'The checkpoint store is durable but the dead-letter queue is in memory: events parked before a restart would be lost. ' +
          'Pass a durable deadLetters (e.g. SqlDeadLetterQueue on the same database).',
      );
    }
  }

  /**
   * Registers a subscription; it starts with `start()` (or at once if the manager is running).
   * Throws {@link DuplicateSubscriptionError} when the name is taken.
   */
  subscribe(handler: SubscriptionHandler, options: SubscriptionOptions): Subscription {
    if (!options.name || options.name.length > 200) {
      throw new SubscriptionConfigError(options.name, 'name must be 1 to 200 characters long.');
    }
    if (this.#runners.has(options.name)) throw new DuplicateSubscriptionError(options.name);
    const runner = new SubscriptionRunner(
      {
        store: this.store,
        checkpoints: this.checkpoints,
        deadLetters: this.deadLetters,
        lock: this.#lock,
        pollIntervalMs: this.#options.pollIntervalMs ?? 1000,
        lockRetryMs: this.#options.lockRetryMs ?? 1000,
        lagCountLimit: this.#options.lagCountLimit ?? 10_000,
        onError: this.#options.onError,
        onProgress: (name, position) => {
          for (const listener of this.#progressListeners) listener(name, position);
        },
      },
      handler,
      options,
    );
    this.#runners.set(options.name, runner);
    if (this.#started) runner.start();
    return {
      name: options.name,
      status: () => runner.status(),
      pause: () => runner.pause(),
      resume: () => runner.resume(),
    };
  }

  /**
   * Runs a projection under the manager: its name is the subscription name, its event types the
   * filter, and each batch runs in one transaction with `context.db` set to it, so the rows and
   * the checkpoint commit together. By default that is a transaction of the SQL store's own
   * Kysely database (`store.db`), or `store.transaction()` for stores without one.
   */
  project<Db>(projection: Projection<Db>, options: ProjectionSubscriptionOptions = {}): Subscription {
    const subscription = this.subscribe(projectionHandler(projection), {
      ...options,
      name: projection.name,
      eventTypes: projection.eventTypes,
      transaction: options.transaction ?? (options.db ? { db: options.db } : defaultProjectionTransaction(this.store)),
    });
    this.#projections.set(projection.name, { projection, options });
    return subscription;
  }

  /** Stops (gracefully) and removes a subscription. Its checkpoint is kept. */
  async unsubscribe(name: string, timeoutMs = this.#stopTimeout()): Promise<void> {
    const runner = this.#runner(name);
    await runner.stop(timeoutMs);
    this.#runners.delete(name);
    this.#projections.delete(name);
  }

  /**
   * Starts the wake-up sources and every subscription, also after a stop (a subscription whose
   * forced stop left a handler running goes on once that handler returns). Returns the wake-up
   * sources that failed to start (polling covers for them).
   */
  async start(): Promise<Error[]> {
    if (this.#started) return [];
    this.#started = true;
    const failures: Error[] = [];
    for (const source of this.#options.wakeUps ?? []) {
      try {
        await source.start(() => this.notify());
      } catch (error) {
        failures.push(error instanceof Error ? error : new Error(String(error)));
      }
    }
    for (const runner of this.#runners.values()) runner.start();
    this.#stopLagMetrics = this.#observeLag();
    return failures;
  }

  /**
   * Reports each subscription's lag (events and seconds) to OpenTelemetry when a metric reader
   * collects, while the manager runs. Without an SDK nothing is ever collected, so nothing is read.
   */
  #observeLag(): () => void {
    const { meter, subscriptionLag, subscriptionLagTime } = instruments();
    const observe = async (result: BatchObservableResult) => {
      const statuses = await Promise.all([...this.#runners.values()].map((r) => r.status().catch(() => undefined)));
      for (const status of statuses) {
        if (!status) continue;
        const attributes = { [MetricAttributes.subscription]: status.name };
        result.observe(subscriptionLag, status.lagEvents, attributes);
        result.observe(subscriptionLagTime, status.lagSeconds, attributes);
      }
    };
    meter.addBatchObservableCallback(observe, [subscriptionLag, subscriptionLagTime]);
    return () => meter.removeBatchObservableCallback(observe, [subscriptionLag, subscriptionLagTime]);
  }

  /**
   * Graceful stop: each subscription finishes the event in flight (a batch handler, its batch),
   * checkpoints what it has done and starts nothing more. After `timeoutMs` the stop is forced:
   * handlers still running get their `context.signal` aborted, and nothing they write through the
   * subscription (checkpoint, transaction, dead letter) is committed once the lock is given up;
   * their events are delivered again after `start()`. Returns the names that were forced.
   */
  async stop(timeoutMs = this.#stopTimeout()): Promise<string[]> {
    this.#started = false;
    this.#stopLagMetrics?.();
    this.#stopLagMetrics = undefined;
    const results = await Promise.all(
      [...this.#runners.values()].map(async (r) => [r.name, await r.stop(timeoutMs)] as const),
    );
    await Promise.all((this.#options.wakeUps ?? []).map((source) => source.stop().catch(() => undefined)));
    return results.filter(([, r]) => r.forced).map(([name]) => name);
  }

  /** Pauses one subscription, or all; resolves once the event (or batch) in flight is done and checkpointed. */
  async pause(name?: string): Promise<void> {
    await Promise.all(this.#select(name).map((r) => r.pause()));
  }

  resume(name?: string): void {
    for (const runner of this.#select(name)) runner.resume();
  }

  /** Wakes every subscription to read the feed now (call after appending, or wire a {@link WakeUpSignal}). */
  notify(): void {
    for (const runner of this.#runners.values()) runner.wake();
  }

  async status(name: string): Promise<SubscriptionStatus> {
    return this.#runner(name).status();
  }

  async statuses(): Promise<SubscriptionStatus[]> {
    return Promise.all([...this.#runners.values()].map((r) => r.status()));
  }

  /**
   * Calls `listener` each time a subscription's checkpoint moves (once the work up to it is
   * committed) or is read back at start. Returns a function that removes the listener. A thrown
   * error is ignored.
   *
   * @example
   * ```ts
   * const off = manager.onProgress((name, position) => console.log(name, position.toString()));
   * ```
   */
  onProgress(listener: (subscription: string, position: Position) => void): () => void {
    const safe = (subscription: string, position: Position) => {
      try {
        listener(subscription, position);
      } catch {
        // A listener must not break the subscription that reports progress.
      }
    };
    this.#progressListeners.add(safe);
    return () => this.#progressListeners.delete(safe);
  }

  /** Names of the registered subscriptions. */
  get names(): string[] {
    return [...this.#runners.keys()];
  }

  /**
   * Re-delivers one dead-lettered event through its subscription's handler. Resolved on success;
   * on failure it goes back to `pending` with the attempt counted. A manager on a tenant view
   * works on the dead-letter queue's view of its tenant, so another tenant's entry is not found.
   */
  async retryDeadLetter(id: string, options: { by?: string } = {}): Promise<'resolved' | 'failed' | 'skipped'> {
    const entry = await this.deadLetters.get(id);
    if (!entry) throw new DeadLetterEntryNotFoundError(id);
    if (this.store.tenantId !== undefined && entry.tenantId !== this.store.tenantId) return 'skipped'; // a view that mixes tenants
    const runner = this.#runner(entry.subscription);
    if (!(await this.deadLetters.markRetrying(id))) return 'skipped';
    return runner.redeliver({ ...entry, status: 'retrying' }, options.by);
  }

  /** Re-delivers every pending entry (of one subscription, if given), oldest first. */
  async retryDeadLetters(
    options: { subscription?: string; by?: string; limit?: number } = {},
  ): Promise<DeadLetterRetryReport> {
    let resolved = 0;
    let failed = 0;
    let skipped = 0;
    const limit = options.limit ?? Infinity;
    let afterId: string | undefined;
    while (resolved + failed + skipped < limit) {
      const page = await this.deadLetters.list({
        status: 'pending',
        limit: Math.min(100, limit - (resolved + failed + skipped)),
        ...(options.subscription !== undefined ? { subscription: options.subscription } : {}),
        ...(afterId !== undefined ? { afterId } : {}),
      });
      if (page.length === 0) break;
      for (const entry of page) {
        afterId = entry.id;
        if (!this.#runners.has(entry.subscription)) {
          skipped++;
          continue;
        }
        const outcome = await this.retryDeadLetter(entry.id, options.by !== undefined ? { by: options.by } : {});
        if (outcome === 'resolved') resolved++;
        else if (outcome === 'failed') failed++;
        else skipped++;
      }
    }
    return { resolved, failed, skipped };
  }

  /** The projection registered under `name` with `project()`, if any. */
  projection(name: string): { projection: Projection<any>; options: ProjectionSubscriptionOptions } | undefined {
    return this.#projections.get(name);
  }

  /**
   * Rebuilds a projection registered with `project()` blue/green (see `rebuildProjection`): the
   * live subscription keeps running while shadow tables are replayed, pauses for the final
   * catch-up and the swap, then resumes. It replays the feed the subscription reads: the event
   * types, aggregate types and tenant the projection was registered with. Needs the Kysely
   * database of the projection's tables: the `db` it was registered with, or the store's own `db`
   * (SQL stores expose one).
   */
  async rebuild(
    name: string,
    options: Omit<
      RebuildProjectionOptions,
      'store' | 'projection' | 'tenantId' | 'aggregateTypes' | 'db' | 'checkpoints' | 'live' | 'lock' | 'deadLetters'
    > & { db?: Kysely<any> } = {},
  ): Promise<RebuildReport> {
    const registered = this.#projections.get(name);
    if (!registered) throw new SubscriptionNotFoundError(name, [...this.#projections.keys()]);
    const db = options.db ?? registered.options.db ?? (this.store as { db?: Kysely<any> }).db;
    if (!db)
      throw new SubscriptionConfigError(
        name,
        'rebuild needs the Kysely database of the projection tables; pass { db }.',
      );
    const runner = this.#runner(name);
    if (runner.running && !runner.holdsLock) {
      throw new SubscriptionConfigError(
        name,
        'is held by another process (this manager is on standby); rebuild it where it runs.',
      );
    }
    const live = runner.running
      ? { position: () => runner.position, pause: () => runner.pause(), resume: () => runner.resume() }
      : undefined;
    return rebuildProjection({
      ...options,
      store: this.store,
      projection: registered.projection,
      // The same feed as the projection's subscription: its tenant and aggregate types.
      ...(registered.options.tenantId !== undefined ? { tenantId: registered.options.tenantId } : {}),
      ...(registered.options.aggregateTypes ? { aggregateTypes: registered.options.aggregateTypes } : {}),
      db,
      checkpoints: this.checkpoints,
      deadLetters: this.deadLetters,
      ...(live ? { live } : { lock: this.#lock }),
    });
  }

  /**
   * Starts, then runs until SIGINT or SIGTERM, then stops gracefully. A second signal during the
   * stop forces it.
   *
   * @example
   * ```ts
   * await manager.runUntilSignal({ stopTimeoutMs: 10_000 });
   * process.exit(0);
   * ```
   */
  async runUntilSignal(options: { signals?: readonly NodeJS.Signals[]; stopTimeoutMs?: number } = {}): Promise<void> {
    const signals = options.signals ?? ['SIGINT', 'SIGTERM'];
    let onSignal: () => void = () => undefined;
    const received = new Promise<void>((resolve) => (onSignal = resolve));
    const listener = () => onSignal();
    for (const signal of signals) process.on(signal, listener);
    try {
      await this.start();
      await received;
      let force: () => void = () => undefined;
      const forced = new Promise<number>((resolve) => (force = () => resolve(0)));
      onSignal = force;
      const timeout = options.stopTimeoutMs ?? this.#stopTimeout();
      // A second signal shortens the wait to nothing.
      await Promise.race([this.stop(timeout), forced.then((ms) => this.stop(ms))]);
    } finally {
      for (const signal of signals) process.off(signal, listener);
    }
  }

  #stopTimeout(): number {
    return this.#options.stopTimeoutMs ?? 30_000;
  }

  #select(name: string | undefined): SubscriptionRunner[] {
    return name === undefined ? [...this.#runners.values()] : [this.#runner(name)];
  }

  #runner(name: string): SubscriptionRunner {
    const runner = this.#runners.get(name);
    if (!runner) throw new SubscriptionNotFoundError(name, [...this.#runners.keys()]);
    return runner;
  }
}

/** `component`'s view of `tenantId` (itself when undefined); refuses a component without tenant views. */
function tenantView<T extends { forTenant?(tenantId: string): T }>(
  component: T,
  tenantId: string | undefined,
  what: string,
): T {
  if (tenantId === undefined) return component;
  if (typeof component.forTenant !== 'function') {
    throw new SubscriptionConfigError(
      undefined,
      `This manager reads tenant "${tenantId}"'s events, but its ${what} has no forTenant(): tenants' subscriptions of the same name ` +
        `would share it. Use a ${what} with tenant views (every eventsmith ${what} has them).`,
    );
  }
  return component.forTenant(tenantId);
}

/** A transaction on the store's own Kysely database when it has one (cheaper than store.transaction), else the store's. */
function defaultProjectionTransaction(store: EventStore): SubscriptionOptions['transaction'] {
  const db = (store as { db?: unknown }).db as Kysely<any> | undefined;
  return db && typeof db.transaction === 'function' && typeof db.selectFrom === 'function' ? { db } : 'store';
}
